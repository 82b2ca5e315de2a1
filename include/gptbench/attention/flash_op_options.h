// A variant's call of the gptbench::attention op: the op options that say what its spec computes
// (ALiBi, window, sinks) at these positions. One mapping for every caller of the op: the flash
// variant, its training path, check_supported and attn-bench.
#pragma once

#include <ATen/core/Tensor.h>  // at::Tensor

#include "gptbench/attention/attention.h"   // AttentionSpec, AttentionPositions
#include "gptbench/kernels/attention_op.h"  // AttentionOptions

namespace gptbench::attention {

// positions: q_pos (device) or q_pos0, and key_pos for a rolling cache; key_start is the op's
// own argument. slopes: (H,) fp32, passed only when the spec has ALiBi. Sinks only with a window.
kernels::AttentionOptions flash_op_options(const AttentionSpec& spec, const AttentionPositions& positions,
                                           const at::Tensor& slopes);

}  // namespace gptbench::attention
