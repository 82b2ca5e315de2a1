// Maps an AttentionSpec to its implementation.
#include <fmt/format.h>  // fmt::format

#include "gptbench/attention/attention.h"  // make_attention
#include "gptbench/attention/flash_op.h"    // select_attention_kernel, flash_kernels_compiled
#include "gptbench/attention/variant.h"     // variant_name
#include "gptbench/util/error.h"           // Error, UsageError
#include "flash_attention.h"               // FlashAttention
#include "sdpa_attention.h"                // SdpaAttention
#include "standard_attention.h"            // StandardAttention

namespace gptbench::attention {

std::unique_ptr<AttentionImpl> make_attention(const AttentionSpec& spec) {
  switch (spec.kernel) {
    case Kernel::kStandard:
      return std::make_unique<StandardAttention>(spec);
    case Kernel::kSdpa:
      return std::make_unique<SdpaAttention>(spec);
    case Kernel::kFlash:
      return std::make_unique<FlashAttention>(spec);
  }
  throw Error("unknown attention kernel");
}

void check_supported(const AttentionSpec& spec, int64_t n_head, int64_t head_dim, c10::ScalarType dtype,
                     c10::Device device) {
  if (spec.kernel != Kernel::kFlash) return;
  if (!flash_kernels_compiled())
    throw UsageError("--variant flash: this build has no CUDA kernels (it was configured without nvcc)");
  if (!device.is_cuda())
    throw UsageError(fmt::format("--variant flash needs a CUDA device, got --device {}", device.str()));
  // A representative prefill and decode problem: the kernel choice depends on shapes, dtype and policy.
  for (int64_t q_len : {int64_t{64}, int64_t{1}}) {
    AttentionProblem p;
    p.device = device.type();
    p.device_index = device.index() < 0 ? 0 : device.index();
    p.sm_version = 0;  // filled in by the op from the device; unknown here
    p.dtype = dtype;
    p.batch = 1;
    p.heads = n_head;
    p.q_len = q_len;
    p.k_len = 64;
    p.head_dim = head_dim;
    p.q_pos0 = 64 - q_len;
    p.key_layout = spec.sparse() && q_len == 1 ? KeyLayout::kRolling : KeyLayout::kContiguous;
    p.bias = spec.alibi() ? ScoreBias::kAlibi : ScoreBias::kNone;
    p.window = spec.window;
    p.global_tokens = spec.window > 0 ? spec.global_tokens : 0;
    const KernelChoice choice = select_attention_kernel(p);
    if (!choice.supported)
      throw UsageError(fmt::format("--variant {} with --dtype {}: {}", variant_name(spec), c10::toString(dtype),
                                   choice.reason));
  }
}

std::unique_ptr<AttentionImpl> make_reference_attention(const AttentionSpec& spec) {
  return std::make_unique<StandardAttention>(spec, Blocking::kDense);
}

}  // namespace gptbench::attention
