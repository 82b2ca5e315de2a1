// The kernel name a GEMV call reports on the current CUDA device: `base` ("gemv_fp16_rows3"), plus the
// overlap suffix ("+pdl", "+pdl+l2") where the launch overlaps the previous kernel's (sm_90+, as
// gptbench::kernels::gemv_overlap() says: off unless set or GPTBENCH_GEMV_OVERLAP asks).
#pragma once

#include <ATen/cuda/CUDAContext.h>  // at::cuda::getCurrentDeviceProperties

#include <string>  // std::string

#include "gptbench/kernels/fused_linear.h"  // gemv_overlap, gemv_overlap_suffix

namespace test_support {

inline std::string gemv_name(const std::string& base) {
  namespace k = gptbench::kernels;
  return base + (at::cuda::getCurrentDeviceProperties()->major >= 9 ? k::gemv_overlap_suffix(k::gemv_overlap()) : "");
}

}  // namespace test_support
