// Dense and rolling KV caches.
#include "gptbench/model/kv_cache.h"

#include <ATen/TensorOperators.h>  // Tensor operators
#include <ATen/ops/arange.h>       // at::arange
#include <ATen/ops/cat.h>          // at::cat
#include <ATen/ops/empty.h>        // at::empty
#include <ATen/ops/full.h>         // at::full
#include <ATen/ops/index_select.h> // at::index_select
#include <ATen/ops/where.h>        // at::where
#include <ATen/ops/zeros.h>        // at::zeros

#include <algorithm>  // std::max

#include "gptbench/util/check.h"  // GPTBENCH_CHECK
#include "gptbench/util/error.h"  // Error

namespace gptbench::model {
namespace {

// Empty slots are masked out, but a masked slot still enters P @ V with weight 0, and 0 * NaN
// is NaN: slots that may be read before they are written (the rolling ring) start at zero.
enum class Fill { kUninitialized, kZero };

std::vector<at::Tensor> allocate(const CacheShape& s, int64_t slots, Fill fill) {
  std::vector<at::Tensor> buffers;
  const auto options = at::TensorOptions().dtype(s.dtype).device(s.device);
  for (int64_t l = 0; l < s.n_layer; ++l) {
    buffers.push_back(fill == Fill::kZero ? at::zeros({s.batch, s.n_kv_head, slots, s.head_dim}, options)
                                          : at::empty({s.batch, s.n_kv_head, slots, s.head_dim}, options));
  }
  return buffers;
}

// Gathers the batch rows of every per-layer buffer: (B, ...) -> (B', ...).
void reorder_rows(std::vector<at::Tensor>& buffers, const at::Tensor& rows) {
  for (at::Tensor& buffer : buffers) buffer = buffer.index_select(0, rows);
}

// The same for one optional per-row tensor (undefined before the first step).
void reorder_rows(at::Tensor& t, const at::Tensor& rows) {
  if (t.defined()) t = t.index_select(0, rows);
}

int64_t total_bytes(const std::vector<at::Tensor>& k, const std::vector<at::Tensor>& v) {
  int64_t total = 0;
  for (size_t l = 0; l < k.size(); ++l) total += k[l].nbytes() + v[l].nbytes();
  return total;
}

}  // namespace

DenseKvCache::DenseKvCache(const CacheShape& shape, int64_t capacity) : capacity_(capacity) {
  const auto options = at::TensorOptions().dtype(shape.dtype).device(shape.device);
  for (int64_t l = 0; l < shape.n_layer; ++l) {
    // Uninitialised: read only up to the last written position.
    kv_.push_back(at::empty({2, shape.batch, shape.n_kv_head, capacity, shape.head_dim}, options));
    k_.push_back(kv_.back()[0]);
    v_.push_back(kv_.back()[1]);
  }
}

CacheView DenseKvCache::update(int64_t layer, int64_t pos0, const at::Tensor& k_new, const at::Tensor& v_new) {
  const int64_t t = k_new.size(2);
  GPTBENCH_CHECK(pos0 + t <= capacity_, "KV cache overflow: positions up to {} requested, capacity {}", pos0 + t,
                 capacity_);
  k_[layer].narrow(2, pos0, t).copy_(k_new);
  v_[layer].narrow(2, pos0, t).copy_(v_new);
  return {k_[layer].narrow(2, 0, pos0 + t), v_[layer].narrow(2, 0, pos0 + t), {}};
}

int64_t DenseKvCache::bytes() const { return total_bytes(k_, v_); }

void DenseKvCache::reorder(const at::Tensor& rows) {
  for (size_t l = 0; l < kv_.size(); ++l) {
    kv_[l] = kv_[l].index_select(1, rows);
    k_[l] = kv_[l][0];
    v_[l] = kv_[l][1];
  }
}

RollingKvCache::RollingKvCache(const CacheShape& shape, int64_t window, int64_t global_tokens,
                               const at::Tensor& key_start)
    : k_(allocate(shape, global_tokens + window, Fill::kZero)),
      v_(allocate(shape, global_tokens + window, Fill::kZero)),
      window_(window),
      sinks_(global_tokens),
      key_start_(key_start) {
  key_pos_ = at::full({shape.batch, global_tokens + window}, -1,
                      at::TensorOptions().dtype(at::kLong).device(shape.device));
}

int64_t RollingKvCache::bytes() const { return total_bytes(k_, v_); }

void RollingKvCache::reorder(const at::Tensor& rows) {
  reorder_rows(k_, rows);
  reorder_rows(v_, rows);
  // Every per-row fact moves with its row: a beam keeps its prompt's start and its slots' positions.
  for (at::Tensor* t : {&key_start_, &key_pos_, &prev_key_pos_, &sink_source_, &sink_take_}) reorder_rows(*t, rows);
}

void RollingKvCache::plan_step(int64_t pos0, int64_t t) {
  GPTBENCH_CHECK(pos0 == next_pos_, "rolling KV cache: positions must arrive in order (got {}, expected {})", pos0,
                 next_pos_);
  const auto long_options = key_pos_.options();
  prev_key_pos_ = key_pos_.clone();
  const int64_t end = pos0 + t;
  // The ring keeps the last W positions.
  const int64_t first_kept = std::max(pos0, end - window_);
  ring_first_ = first_kept - pos0;
  at::Tensor kept = at::arange(first_kept, end, long_options);
  ring_slots_ = kept.remainder(window_) + sinks_;
  if (sinks_ > 0) {
    // Row b's sinks are positions start[b] + g. One moves into its sink slot when it leaves the
    // ring (or never enters it), from the ring (positions cached before) or the new tokens.
    at::Tensor sink_pos = key_start_.view({-1, 1}) + at::arange(sinks_, long_options).view({1, -1});  // (B, G)
    sink_take_ = prev_key_pos_.narrow(1, 0, sinks_).eq(-1) & (sink_pos < end - window_);
    sink_source_ = at::where(sink_pos >= pos0, sink_pos - pos0 + window_, sink_pos.remainder(window_));
    key_pos_.narrow(1, 0, sinks_).copy_(at::where(sink_take_, sink_pos, prev_key_pos_.narrow(1, 0, sinks_)));
  }
  key_pos_.index_copy_(1, ring_slots_, kept.view({1, -1}).expand({key_pos_.size(0), kept.size(0)}));
  next_pos_ = end;
}

CacheView RollingKvCache::update(int64_t layer, int64_t pos0, const at::Tensor& k_new, const at::Tensor& v_new) {
  const int64_t t = k_new.size(2);
  if (layer == 0) plan_step(pos0, t);
  CacheView view;
  if (pos0 == 0) {
    view = {k_new, v_new, {}};  // nothing cached before: contiguous keys, banded attention
  } else if (t > 1) {
    // A multi-token step after a cached prefix: the cache as it was, then the new tokens.
    at::Tensor new_pos = at::arange(pos0, pos0 + t, key_pos_.options()).view({1, -1}).expand({key_pos_.size(0), t});
    view = {at::cat({k_[layer], k_new}, 2), at::cat({v_[layer], v_new}, 2), at::cat({prev_key_pos_, new_pos}, 1)};
  }
  auto store = [&](at::Tensor& buffer, const at::Tensor& fresh) {
    if (sinks_ > 0) {
      const int64_t b = buffer.size(0), h = buffer.size(1), d = buffer.size(3);
      auto expand = [&](const at::Tensor& idx) { return idx.view({b, 1, sinks_, 1}).expand({b, h, sinks_, d}); };
      at::Tensor ring = buffer.narrow(2, sinks_, window_);
      at::Tensor from_ring = ring.gather(2, expand(sink_source_.clamp(0, window_ - 1)));
      at::Tensor from_new = fresh.gather(2, expand((sink_source_ - window_).clamp(0, t - 1)));
      at::Tensor moved = at::where(expand(sink_source_ >= window_), from_new, from_ring);
      at::Tensor sink_slots = buffer.narrow(2, 0, sinks_);
      sink_slots.copy_(at::where(sink_take_.view({b, 1, sinks_, 1}), moved, sink_slots));
    }
    buffer.index_copy_(2, ring_slots_, fresh.narrow(2, ring_first_, fresh.size(2) - ring_first_));
  };
  store(k_[layer], k_new);
  store(v_[layer], v_new);
  // Single-token decode reads the cache after the write: the slot it overwrote held position
  // pos0 - W, outside the query's window (and moved to a sink slot first if it was a sink).
  if (pos0 > 0 && t == 1) view = {k_[layer], v_[layer], key_pos_};
  return view;
}

RecurrentStateCache::RecurrentStateCache(const CacheShape& shape, int64_t features) {
  const auto options = at::TensorOptions().dtype(at::kFloat).device(shape.device);
  for (int64_t l = 0; l < shape.n_layer; ++l)
    states_.push_back({at::zeros({shape.batch, shape.n_kv_head, features, shape.head_dim}, options),
                       at::zeros({shape.batch, shape.n_kv_head, features}, options)});
}

CacheView RecurrentStateCache::update(int64_t, int64_t, const at::Tensor&, const at::Tensor&) {
  throw Error("a recurrent decode state holds no keys or values: its attention folds tokens into recurrent_state()");
}

int64_t RecurrentStateCache::bytes() const {
  int64_t total = 0;
  for (const auto& state : states_) total += state.s.nbytes() + state.z.nbytes();
  return total;
}

void RecurrentStateCache::reorder(const at::Tensor& rows) {
  for (auto& state : states_) {
    state.s = state.s.index_select(0, rows);
    state.z = state.z.index_select(0, rows);
  }
}

bool uses_rolling_cache(const attention::AttentionSpec& spec) { return spec.sparse(); }

const char* kv_cache_kind(const attention::AttentionSpec& spec) {
  if (spec.learned.recurrent()) return "recurrent";
  return uses_rolling_cache(spec) ? "rolling" : "dense";
}

int64_t kv_cache_bytes(const CacheShape& shape, const attention::AttentionSpec& spec, int64_t max_len) {
  if (spec.learned.recurrent())  // S and z in fp32
    return shape.n_layer * shape.batch * shape.n_kv_head * spec.learned.features * (shape.head_dim + 1) * 4;
  const int64_t slots = uses_rolling_cache(spec) ? spec.global_tokens + spec.window : max_len;
  return 2 * shape.n_layer * shape.batch * shape.n_kv_head * slots * shape.head_dim *
         static_cast<int64_t>(c10::elementSize(shape.dtype));
}

std::unique_ptr<KvCache> make_kv_cache(const CacheShape& shape, const attention::AttentionSpec& spec,
                                       int64_t max_len, const at::Tensor& key_start) {
  if (spec.learned.recurrent()) return std::make_unique<RecurrentStateCache>(shape, spec.learned.features);
  if (uses_rolling_cache(spec)) return std::make_unique<RollingKvCache>(shape, spec.window, spec.global_tokens, key_start);
  return std::make_unique<DenseKvCache>(shape, max_len);
}

}  // namespace gptbench::model
