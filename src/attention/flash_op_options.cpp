// A variant spec as gptbench::attention op options (see flash_op_options.h).
#include "gptbench/attention/flash_op_options.h"

namespace gptbench::attention {

kernels::AttentionOptions flash_op_options(const AttentionSpec& spec, const AttentionPositions& positions,
                                           const at::Tensor& slopes) {
  kernels::AttentionOptions options;
  if (positions.key_pos.defined()) options.key_pos = positions.key_pos;
  if (positions.q_pos.defined()) {
    options.q_pos = positions.q_pos;
  } else {
    options.q_pos0 = positions.q_pos0;
  }
  if (spec.alibi()) options.alibi_slopes = slopes;
  options.window = spec.window;
  options.global_tokens = spec.window > 0 ? spec.global_tokens : 0;
  options.flash_arch = spec.flash_arch;
  return options;
}

}  // namespace gptbench::attention
