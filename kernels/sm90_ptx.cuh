// Hopper (sm_90) asynchronous-copy primitives: shared-memory mbarriers with transaction
// counts, the bulk copies (1-D, and tensor/TMA) global -> shared that complete on one, and the
// warpgroup register reallocation (setmaxnreg, sm_90a). Bodies compile to nothing on older
// architectures (the sm_80 pass of a multi-architecture build); callers never run there.
#pragma once

#include <cuda.h>  // CUtensorMap

#include <cstdint>  // uint32_t, uint64_t

namespace gptbench::kernels::sm90 {

#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
#define GPTBENCH_SM90_ASYNC 1
#endif

__device__ __forceinline__ void mbarrier_init(uint32_t bar, uint32_t arrivals) {
#ifdef GPTBENCH_SM90_ASYNC
  asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;\n" ::"r"(bar), "r"(arrivals));
#endif
}
// Makes initialised barriers visible to the copy engine (then a CTA barrier for the threads).
__device__ __forceinline__ void fence_barrier_init() {
#ifdef GPTBENCH_SM90_ASYNC
  asm volatile("fence.mbarrier_init.release.cluster;\n" ::: "memory");
#endif
}
// One arrival that also announces `bytes` of copies that will complete on the barrier.
__device__ __forceinline__ void mbarrier_arrive_expect_tx(uint32_t bar, uint32_t bytes) {
#ifdef GPTBENCH_SM90_ASYNC
  asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;\n" ::"r"(bar), "r"(bytes) : "memory");
#endif
}
__device__ __forceinline__ void mbarrier_arrive(uint32_t bar) {
#ifdef GPTBENCH_SM90_ASYNC
  asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];\n" ::"r"(bar) : "memory");
#endif
}
// Blocks until the phase with the given parity (0 or 1) has completed.
__device__ __forceinline__ void mbarrier_wait(uint32_t bar, uint32_t parity) {
#ifdef GPTBENCH_SM90_ASYNC
  asm volatile(
      "{\n"
      ".reg .pred done;\n"
      "WAIT_%=:\n"
      "mbarrier.try_wait.parity.shared::cta.b64 done, [%0], %1;\n"
      "@!done bra WAIT_%=;\n"
      "}\n" ::"r"(bar),
      "r"(parity)
      : "memory");
#endif
}

// One poll of the phase with the given parity: true once it has completed (the hardware may wait a
// little before answering false). For waits that give up (decode_megakernel.cuh's deadlines).
__device__ __forceinline__ bool mbarrier_try_wait(uint32_t bar, uint32_t parity) {
  uint32_t done = 1;
#ifdef GPTBENCH_SM90_ASYNC
  asm volatile(
      "{\n"
      ".reg .pred p;\n"
      "mbarrier.try_wait.parity.shared::cta.b64 p, [%1], %2;\n"
      "selp.u32 %0, 1, 0, p;\n"
      "}\n"
      : "=r"(done)
      : "r"(bar), "r"(parity)
      : "memory");
#endif
  return done != 0;
}

// 1-D bulk copy of `bytes` (a multiple of 16) from global `src` to shared `dst` (both 16-byte aligned) that
// completes on the mbarrier `bar` (counted in its transaction bytes). No tensor map.
__device__ __forceinline__ void bulk_copy_g2s(uint32_t dst, const void* src, uint32_t bytes, uint32_t bar) {
#ifdef GPTBENCH_SM90_ASYNC
  asm volatile("cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1], %2, [%3];\n" ::"r"(dst),
               "l"(src), "r"(bytes), "r"(bar)
               : "memory");
#endif
}

// 4-D tile copy: box at element coordinates (c0 innermost .. c3) of the tensor map -> shared
// memory at dst; out-of-range elements are written as zeros and still count as bytes.
__device__ __forceinline__ void tma_load_4d(uint32_t dst, const CUtensorMap* map, uint32_t bar, int c0, int c1,
                                            int c2, int c3) {
#ifdef GPTBENCH_SM90_ASYNC
  asm volatile(
      "cp.async.bulk.tensor.4d.shared::cluster.global.tile.mbarrier::complete_tx::bytes [%0], [%1, {%3, %4, %5, %6}], "
      "[%2];\n" ::"r"(dst),
      "l"(reinterpret_cast<uint64_t>(map)), "r"(bar), "r"(c0), "r"(c1), "r"(c2), "r"(c3)
      : "memory");
#endif
}
// Fetches the tensor map descriptor into the cache ahead of the first copy.
__device__ __forceinline__ void tma_prefetch_map(const CUtensorMap* map) {
#ifdef GPTBENCH_SM90_ASYNC
  asm volatile("prefetch.tensormap [%0];\n" ::"l"(reinterpret_cast<uint64_t>(map)) : "memory");
#endif
}

// Warpgroup register budget (sm_90a): producers give registers back, consumers take them.
// Takes effect only with a register cap at entry (__launch_bounds__(threads, 1)).
template <int kRegs>
__device__ __forceinline__ void setmaxnreg_dec() {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
  asm volatile("setmaxnreg.dec.sync.aligned.u32 %0;\n" ::"n"(kRegs));
#endif
}
template <int kRegs>
__device__ __forceinline__ void setmaxnreg_inc() {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
  asm volatile("setmaxnreg.inc.sync.aligned.u32 %0;\n" ::"n"(kRegs));
#endif
}

}  // namespace gptbench::kernels::sm90

#undef GPTBENCH_SM90_ASYNC
