// The op call's one kernel selection (see chosen_kernel.h).
#include "chosen_kernel.h"

#include <utility>  // std::exchange

#include "gptbench/util/check.h"  // GPTBENCH_CHECK

namespace gptbench::kernels::detail {
namespace {

thread_local std::string t_chosen_kernel;

}  // namespace

KernelChoice choose_kernel(const AttentionProblem& problem) {
  KernelChoice choice = select_attention_kernel(problem);
  GPTBENCH_CHECK(choice.supported, "gptbench::attention: unsupported on {}: {}", c10::DeviceTypeName(problem.device),
                 choice.reason);
  t_chosen_kernel = choice.kernel_name;
  return choice;
}

std::string take_chosen_kernel() { return std::exchange(t_chosen_kernel, std::string()); }

}  // namespace gptbench::kernels::detail
