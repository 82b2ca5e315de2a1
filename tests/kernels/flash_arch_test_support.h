// Which prefill kernels a GPU test must cover on the device it runs on, and whether a reported
// kernel name is the one asked for: the sm_80 kernel everywhere, the sm_90a kernel too on sm_90
// (asking for it there must work: a build without its instances fails the test, never skips it).
#pragma once

#include <ATen/cuda/CUDAContext.h>  // at::cuda::getCurrentDeviceProperties

#include <string>  // std::string
#include <vector>  // std::vector

#include "gptbench/kernels/flash_arch.h"  // FlashArch

namespace gptbench::kernels::testing {

inline std::vector<FlashArch> prefill_archs_on_this_device() {
  std::vector<FlashArch> archs = {FlashArch::kSm80};
  if (at::cuda::getCurrentDeviceProperties()->major == 9) archs.push_back(FlashArch::kSm90);
  return archs;
}

inline const char* arch_label(FlashArch arch) {
  return arch == FlashArch::kSm90 ? "sm90" : arch == FlashArch::kSm80 ? "sm80" : "auto";
}

// A prefill kernel's name says which kernel ran: flash_prefill_sm90_... or flash_prefill_<dtype>_...
inline bool prefill_kernel_is(const std::string& name, FlashArch arch) {
  const bool sm90 = name.rfind("flash_prefill_sm90_", 0) == 0;
  const bool sm80 = !sm90 && name.rfind("flash_prefill_", 0) == 0;
  return arch == FlashArch::kSm90 ? sm90 : arch == FlashArch::kSm80 ? sm80 : (sm90 || sm80);
}

}  // namespace gptbench::kernels::testing
