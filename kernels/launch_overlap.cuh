// Programmatic dependent launch (sm_90+): a kernel launched with
// cudaLaunchAttributeProgrammaticStreamSerialization may start while the previous kernel in the stream
// is still running. Before `wait_for_previous_grid()` it may only read memory no earlier kernel writes
// (weights) and write nothing; after it, everything the previous kernels wrote is visible.
// `allow_dependent_launch()` lets such a dependent start as soon as every CTA of this grid has passed it.
// On older architectures (and without the launch attribute) both are no-ops.
#pragma once

#include <cstdint>  // uint32_t

namespace gptbench::kernels::overlap {

__device__ __forceinline__ void wait_for_previous_grid() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.wait;\n" ::: "memory");
#endif
}

__device__ __forceinline__ void allow_dependent_launch() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.launch_dependents;\n" ::: "memory");
#endif
}

// Asks the L2 to fetch `bytes` (a multiple of 16) from `src` (16-byte aligned) without waiting: one bulk
// prefetch instruction for a whole weight row.
__device__ __forceinline__ void prefetch_l2(const void* src, uint32_t bytes) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("cp.async.bulk.prefetch.L2.global [%0], %1;\n" ::"l"(src), "r"(bytes) : "memory");
#endif
}

}  // namespace gptbench::kernels::overlap
