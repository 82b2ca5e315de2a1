// CUDA-graph decode step (see decode_graph.h). Without CUDA support in the build every entry
// point reports that graphs are unavailable, and generation stays eager.
#include "gptbench/model/decode_graph.h"

#include <ATen/ops/argmax.h>  // at::argmax
#include <ATen/ops/empty.h>   // at::empty
#include <ATen/ops/full.h>    // at::full
#include <ATen/ops/zeros.h>   // at::zeros
#include <c10/core/InferenceMode.h>  // c10::InferenceMode

#include <algorithm>  // std::min, std::max, std::find, std::find_if
#include <chrono>     // std::chrono::steady_clock
#include <functional> // std::function
#include <limits>     // std::numeric_limits
#include <vector>     // std::vector

#ifdef GPTBENCH_HAVE_CUDA
#include <ATen/cuda/CUDAEvent.h>   // at::cuda::CUDAEvent
#include <ATen/cuda/CUDAGraph.h>   // at::cuda::CUDAGraph
#include <c10/cuda/CUDAGuard.h>    // c10::cuda::CUDAGuard, CUDAStreamGuard
#include <c10/cuda/CUDAStream.h>   // c10::cuda::getStreamFromPool, getCurrentCUDAStream
#endif

#include <fmt/format.h>  // fmt::format

#include "gptbench/util/check.h"  // GPTBENCH_CHECK
#include "gptbench/util/error.h"  // Error

namespace gptbench::model {
namespace {

// The graph keeps the model it replays alive: models are always held by a shared_ptr.
std::shared_ptr<CausalLm> shared_model(CausalLm& model) {
  return std::static_pointer_cast<CausalLm>(model.shared_from_this());
}

}  // namespace

std::string decode_graph_unsupported_reason(const CausalLm& model) {
#ifndef GPTBENCH_HAVE_CUDA
  (void)model;
  return "this build has no CUDA support";
#else
  if (!model.device().is_cuda()) return "the model is not on a CUDA device";
  if (model.spec().kernel != attention::Kernel::kFlash)
    return "only the flash kernel reads the query position on the device";
  const std::string family_reason = model.device_position_unsupported_reason();
  if (!family_reason.empty()) return fmt::format("{}: {}", model.shape().family, family_reason);
  // Sliding-window variants decode from a dense cache in the graph (their rolling cache places keys
  // by host positions); the flash kernel's window policy still reads only the sinks and the window.
  return "";
#endif
}

std::string decode_graph_declined_reason(const CausalLm& model, int64_t max_len) {
  std::string why_not = decode_graph_unsupported_reason(model);
  const attention::AttentionSpec& spec = model.spec();
  if (why_not.empty() && spec.sparse() && max_len > kMaxDenseOverRollingCache * (spec.global_tokens + spec.window))
    why_not = fmt::format(
        "a graph decodes from a dense cache of {} positions, over {}x the rolling cache's {} (sinks + window): "
        "--decode graph forces it",
        max_len, kMaxDenseOverRollingCache, spec.global_tokens + spec.window);
  return why_not;
}

#ifdef GPTBENCH_HAVE_CUDA

// A captured prefill for one prompt length: static inputs, the graph, and its output.
struct PrefillGraph {
  int64_t length = 0;
  at::Tensor ids;        // (B, T) int64
  at::Tensor logits;     // (B, 1, V), written by each replay
  KernelsRan kernels;    // what the capture ran
  at::cuda::CUDAGraph graph;
};

struct DecodeGraph::Capture {
  explicit Capture(c10::cuda::CUDAStream s) : stream(s) {}
  c10::cuda::CUDAStream stream;  // every capture of this graph runs here (warm cuBLAS state)
  at::cuda::CUDAGraph graph;
  std::list<std::unique_ptr<PrefillGraph>> prefills;  // most recently used first
};

namespace {

constexpr size_t kMaxPrefillGraphs = 2;  // each holds its activations in a private pool

// Runs `body` `warmups` times on `stream` (lazy cuBLAS, allocator and kernel-selection set-up for
// its shapes stays out of the graph), then captures one more run into `graph`. Returns the host time.
double capture_graph(at::cuda::CUDAGraph& graph, c10::cuda::CUDAStream stream, int warmups,
                     const std::function<void()>& body) {
  const auto t0 = std::chrono::steady_clock::now();
  c10::cuda::getCurrentCUDAStream().synchronize();  // the inputs were written on the caller's stream
  {
    const c10::cuda::CUDAStreamGuard stream_guard(stream);
    for (int i = 0; i < warmups; ++i) body();
    stream.synchronize();
    graph.capture_begin();
    body();
    graph.capture_end();
  }
  stream.synchronize();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

DecodeGraph::DecodeGraph(CausalLm& model, int64_t batch, int64_t capacity, GraphCaptureStats* stats)
    : model_(shared_model(model)),
      eos_token_id_(model.shape().eos_token_id),
      vocab_size_(model.shape().vocab_size),
      batch_(batch),
      stats_(stats) {
  const std::string why_not = decode_graph_unsupported_reason(model);
  GPTBENCH_CHECK(why_not.empty(), "decode graph: {}", why_not);
  c10::InferenceMode inference_mode;
  const c10::cuda::CUDAGuard device_guard(model.device());
  cache_ = std::make_unique<DenseKvCache>(model.cache_shape(batch), capacity);
  const auto longs = at::TensorOptions().dtype(at::kLong).device(model.device());
  ids_ = at::zeros({batch, 1}, longs);
  q_pos_ = at::zeros({1}, longs);
  key_start_ = at::zeros({batch}, longs.dtype(at::kInt));
  eos_bias_ = at::zeros({1}, longs.dtype(at::kFloat));
  next_ = at::zeros({batch}, longs);

  // Capture needs a side stream. The warm-up steps write cache slots 0-1 with garbage, and the
  // position they advance is reset by set_input; every batch's prefill rewrites the slots it reads.
  capture_ = std::make_unique<Capture>(c10::cuda::getStreamFromPool());
  stats_->ms += capture_graph(capture_->graph, capture_->stream, /*warmups=*/2, [this] { step(); });
  ++stats_->decode;
  step_kernels_ = model.last_kernels();
}

DecodeGraph::~DecodeGraph() = default;

void DecodeGraph::step() {
  attention::AttentionPositions positions;
  positions.key_start = key_start_;
  positions.q_pos = q_pos_;
  positions.left_padded = true;  // the flash kernel masks by key_start either way
  at::Tensor logits = model_->forward(ids_, positions, cache_.get(), LogitsMode::kLastPosition);  // (B, 1, V)
  if (eos_token_id_ >= 0 && eos_token_id_ < vocab_size_) logits.select(2, eos_token_id_).add_(eos_bias_);
  next_.copy_(at::argmax(logits.select(1, 0), /*dim=*/-1));
  ids_.copy_(next_.view({batch_, 1}));
  q_pos_.add_(1);
}

at::Tensor DecodeGraph::prefill(const at::Tensor& ids, const at::Tensor& key_start) {
  const int64_t t = ids.size(1);
  key_start_.copy_(key_start);
  // left_padded only steers SDPA's mask; the flash kernel masks by key_start in any case.
  auto run = [&](const at::Tensor& in_ids) {
    attention::AttentionPositions positions{key_start_, 0, {}, /*left_padded=*/true};
    return model_->forward(in_ids, positions, cache_.get(), LogitsMode::kLastPosition);
  };
  auto& prefills = capture_->prefills;
  auto found = std::find_if(prefills.begin(), prefills.end(), [&](const auto& p) { return p->length == t; });
  const bool seen = std::find(prefill_lengths_seen_.begin(), prefill_lengths_seen_.end(), t) !=
                    prefill_lengths_seen_.end();
  if (found == prefills.end() && !seen) {
    prefill_lengths_seen_.push_back(t);
    last_prefill_replayed_ = false;
    at::Tensor logits = run(ids);
    last_prefill_kernels_ = model_->last_kernels();
    return logits;
  }
  if (found == prefills.end()) {
    if (prefills.size() >= kMaxPrefillGraphs) prefills.pop_back();
    auto p = std::make_unique<PrefillGraph>();
    p->length = t;
    p->ids = ids.clone();
    PrefillGraph& fresh = *p;
    stats_->ms += capture_graph(fresh.graph, capture_->stream, /*warmups=*/1, [&] { fresh.logits = run(fresh.ids); });
    ++stats_->prefill;
    p->kernels = model_->last_kernels();
    prefills.push_front(std::move(p));
    found = prefills.begin();
  } else {
    prefills.splice(prefills.begin(), prefills, found);
    found = prefills.begin();
  }
  PrefillGraph& p = **found;
  p.ids.copy_(ids);
  p.graph.replay();
  last_prefill_replayed_ = true;
  last_prefill_kernels_ = p.kernels;
  return p.logits;
}

void DecodeGraph::set_input(const at::Tensor& tokens, int64_t pos) {
  GPTBENCH_CHECK(pos >= 0 && pos < capacity(), "decode graph: position {} outside the cache of {}", pos, capacity());
  ids_.copy_(tokens.view({batch_, 1}));
  q_pos_.fill_(pos);
}

void DecodeGraph::set_eos_allowed(bool allowed) {
  if (allowed == eos_allowed_) return;
  eos_bias_.fill_(allowed ? 0.0 : -std::numeric_limits<double>::infinity());
  eos_allowed_ = allowed;
}

void DecodeGraph::replay() { capture_->graph.replay(); }

struct StepTokens::Impl {
  at::Tensor host;  // (steps, B) int64, pinned
  std::vector<at::cuda::CUDAEvent> done;
};

StepTokens::StepTokens(int64_t steps, int64_t batch) : impl_(std::make_unique<Impl>()) {
  impl_->host = at::empty({steps, batch}, at::TensorOptions().dtype(at::kLong).pinned_memory(true));
  impl_->done.resize(static_cast<size_t>(steps));
}

void StepTokens::push(int64_t step, const at::Tensor& tokens) {
  impl_->host.select(0, step).copy_(tokens, /*non_blocking=*/true);
  impl_->done[static_cast<size_t>(step)].record(c10::cuda::getCurrentCUDAStream(tokens.device().index()));
}

const int64_t* StepTokens::wait(int64_t step) {
  impl_->done[static_cast<size_t>(step)].synchronize();
  return impl_->host.select(0, step).data_ptr<int64_t>();
}

#else  // no CUDA in this build

struct DecodeGraph::Capture {};
at::Tensor DecodeGraph::prefill(const at::Tensor&, const at::Tensor&) { return {}; }
DecodeGraph::DecodeGraph(CausalLm& model, int64_t batch, int64_t, GraphCaptureStats* stats)
    : model_(shared_model(model)), eos_token_id_(-1), vocab_size_(0), batch_(batch), stats_(stats) {
  throw Error("decode graph: this build has no CUDA support");
}
DecodeGraph::~DecodeGraph() = default;
void DecodeGraph::step() {}
void DecodeGraph::set_input(const at::Tensor&, int64_t) {}
void DecodeGraph::set_eos_allowed(bool) {}
void DecodeGraph::replay() {}

struct StepTokens::Impl {};
StepTokens::StepTokens(int64_t, int64_t) { throw Error("step tokens: this build has no CUDA support"); }
void StepTokens::push(int64_t, const at::Tensor&) {}
const int64_t* StepTokens::wait(int64_t) { return nullptr; }

#endif

StepTokens::~StepTokens() = default;

DecodeGraph& DecodeGraphs::get(CausalLm& model, int64_t batch, int64_t min_capacity) {
  // Round capacities up to 64 positions, within the context.
  int64_t capacity = (min_capacity + 63) / 64 * 64;
  capacity = std::max(min_capacity, std::min(capacity, context_limit(model.shape(), model.spec())));
  for (auto it = graphs_.begin(); it != graphs_.end(); ++it) {
    if ((*it)->batch() == batch && (*it)->capacity() == capacity) {
      graphs_.splice(graphs_.begin(), graphs_, it);
      return *graphs_.front();
    }
  }
  if (graphs_.size() >= max_graphs_) graphs_.pop_back();
  graphs_.push_front(std::make_unique<DecodeGraph>(model, batch, capacity, &stats_));
  return *graphs_.front();
}

}  // namespace gptbench::model
