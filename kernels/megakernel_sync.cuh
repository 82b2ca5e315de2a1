// How the CTAs of the decode megakernel (decode_megakernel.cuh) wait for each other, without a grid barrier:
//  - flagged words: an activation crossing CTAs is stored as 64-bit words {two 16-bit values, the launch's 32-bit
//    sequence number} with a single-copy-atomic relaxed store; a reader loads the words it needs and waits until
//    each carries this launch's number (the data is its own ready flag: one store and one load round trip);
//  - tickets: an acq_rel atomic add whose last arrival does the joint work (the attention splits' combine, the
//    argmax reduction);
//  - the grid barrier (A/B mode only): arrival with a release add, a spin with acquire loads.
// Every wait gives up after kTimeoutCycles with a printf naming what it waited for and a trap, so that a bug in
// the schedule fails a test instead of hanging it. sm_70+ PTX (the file is compiled for sm_90a).
#pragma once

#include <cuda_runtime.h>  // clock64, __nanosleep, __trap

#include <cstdint>  // uint32_t, uint64_t
#include <cstdio>   // printf

#include "decode_megakernel_params.h"  // kConsumerThreads

namespace gptbench::kernels::megakernel {

inline constexpr long long kTimeoutCycles = 4ll * 1000 * 1000 * 1000;  // ~2 s at 2 GHz

__device__ __forceinline__ long long cycles() {
#if defined(__CUDA_ARCH__)
  return clock64();
#else
  return 0;
#endif
}

struct Deadline {
  long long start;
  __device__ Deadline() : start(cycles()) {}
  __device__ bool passed() const { return cycles() - start > kTimeoutCycles; }
};

// Records the first give-up of the launch in the mapped host record (the pointer sits at the start of the dynamic
// shared memory: MegakernelSmem), prints it and traps.
__device__ __noinline__ void give_up(Wait what, int layer, int phase, long long index, uint32_t seen, uint32_t want) {
  extern __shared__ __align__(128) unsigned char megakernel_dynamic_smem[];
  uint32_t* record = *reinterpret_cast<uint32_t* const*>(megakernel_dynamic_smem);
  if (record != nullptr && atomicCAS_system(record, 0u, 1u) == 0u) {
    volatile uint32_t* r = record;
    r[1] = static_cast<uint32_t>(what);
    r[2] = static_cast<uint32_t>(layer);
    r[3] = static_cast<uint32_t>(phase);
    r[4] = static_cast<uint32_t>(index);
    r[5] = seen;
    r[6] = want;
    r[7] = blockIdx.x;
    r[8] = threadIdx.x;
    __threadfence_system();
  }
  printf(
      "decode megakernel: CTA %d thread %d gave up waiting for %s (layer %d, phase %s, index %lld): seen %u, "
      "want %u\n",
      static_cast<int>(blockIdx.x), static_cast<int>(threadIdx.x), wait_name(static_cast<int>(what)), layer,
      phase_name(phase), index, seen, want);
  __trap();
}

// The consumer warps' barrier (named barrier 1): the producer warp never joins it.
__device__ __forceinline__ void consumer_sync() {
  asm volatile("bar.sync 1, %0;\n" ::"n"(kConsumerThreads) : "memory");
}

__device__ __forceinline__ uint64_t make_word(uint32_t payload, uint32_t flag) {
  return (static_cast<uint64_t>(flag) << 32) | payload;
}
__device__ __forceinline__ uint32_t word_flag(uint64_t w) { return static_cast<uint32_t>(w >> 32); }
__device__ __forceinline__ uint32_t word_payload(uint64_t w) { return static_cast<uint32_t>(w); }

__device__ __forceinline__ void store_word(uint64_t* p, uint64_t w) {
  asm volatile("st.relaxed.gpu.global.u64 [%0], %1;\n" ::"l"(p), "l"(w) : "memory");
}

// Two words (16-byte aligned); each 64-bit element is single-copy atomic on its own.
__device__ __forceinline__ ulonglong2 load_words2(const uint64_t* p) {
  unsigned long long a, b;
  asm volatile("ld.relaxed.gpu.global.v2.u64 {%0, %1}, [%2];\n" : "=l"(a), "=l"(b) : "l"(p) : "memory");
  return make_ulonglong2(a, b);
}

__device__ __forceinline__ bool words_ready(const ulonglong2& v, uint32_t flag) {
  return word_flag(v.x) == flag && word_flag(v.y) == flag;
}

// Spins on two words until both carry `flag` (one poller per warp calls this while the others wait).
__device__ __forceinline__ ulonglong2 wait_words2(const uint64_t* p, uint32_t flag, int layer, int phase,
                                                  long long index) {
  ulonglong2 v = load_words2(p);
  if (words_ready(v, flag)) return v;
  const Deadline deadline;
  for (;;) {
    __nanosleep(32);
    v = load_words2(p);
    if (words_ready(v, flag)) return v;
    if (deadline.passed()) give_up(Wait::kWords, layer, phase, index, word_flag(v.x), flag);
  }
}

// acq_rel add of 1: the value before it. Every arrival's earlier writes are visible to the last one after it.
__device__ __forceinline__ uint32_t take_ticket(uint32_t* p) {
  uint32_t old;
  asm volatile("atom.add.acq_rel.gpu.global.u32 %0, [%1], 1;\n" : "=r"(old) : "l"(p) : "memory");
  return old;
}

__device__ __forceinline__ void store_relaxed(uint32_t* p, uint32_t v) {
  asm volatile("st.relaxed.gpu.global.u32 [%0], %1;\n" ::"l"(p), "r"(v) : "memory");
}

// The A/B grid barrier: barrier number `k` (1-based within the launch) of `grid` CTAs on a counter that the last
// CTA of the launch resets to 0. Called by all consumer threads of every CTA.
__device__ __forceinline__ void grid_barrier(uint32_t* counter, uint32_t k, uint32_t grid, int layer, int phase) {
  consumer_sync();
  if (threadIdx.x == 0) {
    asm volatile("red.release.gpu.global.add.u32 [%0], 1;\n" ::"l"(counter) : "memory");
    const uint32_t target = k * grid;
    const Deadline deadline;
    for (;;) {
      uint32_t seen;
      asm volatile("ld.acquire.gpu.global.u32 %0, [%1];\n" : "=r"(seen) : "l"(counter) : "memory");
      if (seen >= target) break;
      if (deadline.passed()) give_up(Wait::kBarrier, layer, phase, k, seen, target);
    }
  }
  consumer_sync();
}

}  // namespace gptbench::kernels::megakernel
