// The kernel name a GEMV call reports on the current CUDA device: `base` ("gemv_fp16_rows3"), plus
// "+pdl" where the launch overlaps the previous kernel's (sm_90+, on unless set_gemv_launch_overlap(false);
// gptbench/kernels/fused_linear.h).
#pragma once

#include <ATen/cuda/CUDAContext.h>  // at::cuda::getCurrentDeviceProperties

#include <string>  // std::string

namespace test_support {

inline std::string gemv_name(const std::string& base, bool overlap_enabled = true) {
  return base + (overlap_enabled && at::cuda::getCurrentDeviceProperties()->major >= 9 ? "+pdl" : "");
}

}  // namespace test_support
