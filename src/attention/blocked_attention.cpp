// Query chunking with banded key selection for sliding windows (plus sink tokens).
#include "blocked_attention.h"

#include <ATen/TensorOperators.h>  // Tensor operators
#include <ATen/ops/arange.h>       // at::arange
#include <ATen/ops/cat.h>          // at::cat
#include <ATen/ops/full_like.h>    // at::full_like
#include <ATen/ops/where.h>        // at::where
#include <c10/util/StringUtil.h>   // c10::str for sizes in messages

#include <algorithm>  // std::max, std::min

#include "gptbench/kernels/grouped_query.h"  // check_grouped_heads
#include "gptbench/util/check.h"              // GPTBENCH_CHECK

namespace gptbench::attention {
namespace {

// Query chunk length for banded attention: at least the window, and large enough that each
// block is a reasonably sized matrix product.
int64_t chunk_length(int64_t window) { return std::max<int64_t>(window, 64); }

}  // namespace

at::Tensor rows_without_keys(const at::Tensor& visible) { return visible.any(-1, /*keepdim=*/true).logical_not(); }

at::Tensor run_blocked(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                       const AttentionPositions& positions, const AttentionSpec& spec, Blocking blocking,
                       const std::function<at::Tensor(const AttentionBlock&)>& attend) {
  GPTBENCH_CHECK(!positions.q_pos.defined(), "a device query position (CUDA-graph decode) needs the flash kernel");
  const int64_t b = q.size(0), kv_heads = k.size(1), tq = q.size(2), tk = k.size(2), d = q.size(3);
  kernels::check_grouped_heads("attention", q.size(1), kv_heads);
  GPTBENCH_CHECK(v.sizes() == k.sizes(), "attention: v {} must have k's shape {}", c10::str(v.sizes()),
                 c10::str(k.sizes()));
  const int64_t chunk = chunk_length(spec.window);
  const bool banded = blocking == Blocking::kAuto && spec.window > 0 && !positions.key_pos.defined() &&
                      tk > spec.window + chunk;
  if (!banded) return attend({q, k, v, query_key_positions(positions, 0, tq, 0, tk, q.device())});

  const auto long_options = at::TensorOptions().dtype(at::kLong).device(q.device());
  std::vector<at::Tensor> outputs;
  for (int64_t i0 = 0; i0 < tq; i0 += chunk) {
    const int64_t n = std::min(chunk, tq - i0);
    const int64_t first_pos = positions.q_pos0 + i0;                    // contiguous keys: index == position
    const int64_t lo = std::max<int64_t>(0, first_pos - spec.window + 1);  // oldest key the chunk may see
    const int64_t hi = std::min<int64_t>(tk, first_pos + n);            // one past the newest
    AttentionBlock block;
    block.q = q.narrow(2, i0, n);
    block.qk.qpos = at::arange(first_pos, first_pos + n, long_options).view({1, n, 1});
    at::Tensor band_pos = at::arange(lo, hi, long_options).view({1, 1, hi - lo});
    if (spec.global_tokens > 0 && lo > 0) {
      // Sink keys of each row: positions key_start[b] + g. Those inside the band are already there,
      // so their copies get position -1 (invisible) instead of being counted twice.
      at::Tensor sink_pos = positions.key_start.view({b, 1}) + at::arange(spec.global_tokens, long_options).view({1, -1});
      at::Tensor index = sink_pos.clamp(0, tk - 1).view({b, 1, -1, 1}).expand({b, kv_heads, spec.global_tokens, d});
      at::Tensor usable = sink_pos < lo;
      block.k = at::cat({k.gather(2, index), k.narrow(2, lo, hi - lo)}, 2);
      block.v = at::cat({v.gather(2, index), v.narrow(2, lo, hi - lo)}, 2);
      at::Tensor sink_kpos = at::where(usable, sink_pos, at::full_like(sink_pos, -1)).view({b, 1, -1});
      block.qk.kpos = at::cat({sink_kpos, band_pos.expand({b, 1, hi - lo})}, 2);
    } else {
      block.k = k.narrow(2, lo, hi - lo);
      block.v = v.narrow(2, lo, hi - lo);
      block.qk.kpos = band_pos;
    }
    outputs.push_back(attend(block));
  }
  return outputs.size() == 1 ? outputs[0] : at::cat(outputs, 2);
}

}  // namespace gptbench::attention
