// Maps an AttentionSpec to its implementation.
#include <ATen/ops/empty.h>  // at::empty
#include <fmt/format.h>      // fmt::format

#include "flash_attention.h"                      // FlashAttention
#include "gptbench/attention/attention.h"         // make_attention
#include "gptbench/attention/flash_op_options.h"  // flash_op_options
#include "gptbench/attention/variant.h"           // variant_name
#include "gptbench/kernels/attention_op.h"        // make_attention_problem, select_attention_kernel, flash_kernels_compiled
#include "gptbench/kernels/grouped_query.h"       // grouped_heads_valid
#include "gptbench/util/error.h"                  // Error, UsageError
#include "maskmix_attention.h"                    // MaskMixAttention
#include "nsa_attention.h"                        // NsaAttention
#include "performer_attention.h"                  // PerformerAttention
#include "sdpa_attention.h"                       // SdpaAttention
#include "standard_attention.h"                   // StandardAttention

namespace gptbench::attention {

std::vector<std::pair<std::string, at::Tensor>> AttentionImpl::make_layer_parameters(int64_t, int64_t) {
  return {};
}

at::Tensor AttentionImpl::forward_recurrent(const at::Tensor&, const at::Tensor&, const at::Tensor&,
                                            const AttentionPositions&, RecurrentState&) {
  throw Error(fmt::format("attention {} keeps no recurrent decode state (it decodes from a KV cache)", last_kernel()));
}

std::unique_ptr<AttentionImpl> make_attention(const AttentionSpec& spec) {
  switch (spec.learned.kind) {
    case LearnedKind::kMaskMix:
      return std::make_unique<MaskMixAttention>(spec);
    case LearnedKind::kPerformer:
      return std::make_unique<PerformerAttention>(spec);
    case LearnedKind::kNsa:
      return std::make_unique<NsaAttention>(spec);
    case LearnedKind::kNone:
      break;
  }
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
                     c10::Device device, std::optional<int64_t> n_kv_head) {
  const int64_t kv_heads = n_kv_head.value_or(n_head);
  if (!kernels::grouped_heads_valid(n_head, kv_heads))
    throw UsageError(fmt::format("{} attention heads cannot share {} key/value heads: grouped-query attention needs "
                                 "the head count to be a multiple of the key/value head count",
                                 n_head, kv_heads));
  if (spec.learned.recurrent() && kv_heads != n_head)
    throw UsageError(fmt::format("--variant {}: its decode state is per head; grouped-query attention ({} heads, {} "
                                 "key/value heads) is not supported",
                                 variant_name(spec), n_head, kv_heads));
  if (spec.kernel != Kernel::kFlash) return;
  if (!kernels::flash_kernels_compiled())
    throw UsageError("--variant flash: this build has no CUDA kernels (it was configured without nvcc)");
  if (!device.is_cuda())
    throw UsageError(fmt::format("--variant flash needs a CUDA device, got --device {}", device.str()));
  // A representative prefill and decode call, built as the model makes them (the kernel choice
  // depends on shapes, dtype and policy, never on data: empty CPU tensors stand for the slopes and
  // the rolling cache's positions, whose presence is all the problem records).
  constexpr int64_t kKeys = 64;
  const at::Tensor slopes = at::empty({n_head});
  for (int64_t q_len : {kKeys, int64_t{1}}) {
    AttentionPositions positions;
    positions.q_pos0 = kKeys - q_len;
    if (spec.sparse() && q_len == 1) positions.key_pos = at::empty({1, kKeys}, at::kLong);
    const kernels::AttentionProblem problem = kernels::make_attention_problem(
        device, dtype, {1, n_head, q_len, kKeys, head_dim, kv_heads}, flash_op_options(spec, positions, slopes));
    const kernels::KernelChoice choice = kernels::select_attention_kernel(problem);
    if (!choice.supported)
      throw UsageError(fmt::format("--variant {} with --dtype {}: {}", variant_name(spec), c10::toString(dtype),
                                   choice.reason));
  }
}

std::unique_ptr<AttentionImpl> make_reference_attention(const AttentionSpec& spec) {
  return std::make_unique<StandardAttention>(spec, Blocking::kDense);
}

}  // namespace gptbench::attention
