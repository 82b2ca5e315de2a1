// Which backward ran for the flash variant's training path (its forward is our fused op, its
// backward our fused kernel or, where that does not run, a recompute: src/attention/flash_autograd.h).
// Reports record it.
#pragma once

#include <string>  // std::string

namespace gptbench::attention {

// The backward kernel of the most recent flash backward in this process, e.g.
// "flash_bwd_sm80_bf16_d64_causal" (our kernel; "_deterministic" appended in that mode),
// "recompute:sdpa:flash_attention" or "recompute:sdpa:efficient_attention+additive-mask";
// "none" before any backward ran.
std::string last_flash_backward_kernel();

}  // namespace gptbench::attention
