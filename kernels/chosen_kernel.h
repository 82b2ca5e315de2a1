// The kernel choice of the op call in progress: the CPU and CUDA implementations select once
// per call here, and the C++ entry points (attention_op, attention_op_out) hand the name of that
// same choice back to their caller instead of selecting a second time to name it.
#pragma once

#include <string>  // std::string

#include "gptbench/kernels/attention_op.h"  // AttentionProblem, KernelChoice

namespace gptbench::kernels::detail {

// select_attention_kernel(problem); throws gptbench::Error with the reason when unsupported,
// otherwise remembers the name for take_chosen_kernel on this thread and returns the choice.
KernelChoice choose_kernel(const AttentionProblem& problem);

// The name choose_kernel last chose on this thread (the dispatcher runs an op on its caller's
// thread), then forgets it: "" when no call chose since.
std::string take_chosen_kernel();

}  // namespace gptbench::kernels::detail
