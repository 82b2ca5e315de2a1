// Hopper warpgroup matrix multiply (wgmma, sm_90a): the shared-memory matrix descriptor, the
// fence / commit / wait that order the asynchronous instructions, and the three shapes the
// sm_90 prefill kernel issues (fp32 accumulators in registers, 128 threads of one warpgroup):
//   wgmma_ss<T, 128>: D(64x128) += A(64x16, shared, K-major) * B(16x128, shared, K-major)   S = Q K^T
//   wgmma_rs<T, N>:   D(64xN)   += A(64x16, registers)       * B(16xN, shared, N-major)     O += P V
// Accumulator layout (per warp w of the warpgroup, lane = 4 g + t): d[j][0..1] = row 16 w + g,
// columns 8 j + 2 t + {0, 1}; d[j][2..3] = row 16 w + g + 8; the register A operand uses the
// m16n8k16 A-fragment layout, so a row of S re-packs into P without shared memory.
// Every body is empty unless compiled for sm_90a (__CUDA_ARCH_FEAT_SM90_ALL): the sm_80 pass of
// the same file must still compile; the kernel itself refuses to run there.
#pragma once

#include <cuda_bf16.h>  // __nv_bfloat16
#include <cuda_fp16.h>  // __half

#include <cstdint>  // uint32_t, uint64_t

namespace gptbench::kernels::sm90 {

// Shared-memory matrix descriptor of a 128-byte-swizzled tile (TMA's CU_TENSOR_MAP_SWIZZLE_128B):
// rows of 64 16-bit elements (128 bytes), 8-row atoms of 1024 bytes that must start 1024-byte
// aligned. leading/stride byte offsets as the PTX ISA defines them for the operand's major-ness:
//  - K-major (Q, K): stride = 1024 (next 8 rows); leading unused. A K step of 16 elements inside
//    the 128-byte row is +32 bytes on the start address (the swizzle is applied to the address).
//  - N-major (V with keys as K): stride = 1024 (next 8 keys); leading = bytes to the next
//    64-column block (D = 128 keeps two such blocks).
__device__ __forceinline__ uint64_t smem_desc_sw128(uint32_t smem_byte_addr, uint32_t leading_bytes,
                                                    uint32_t stride_bytes) {
  uint64_t desc = 0;
  desc |= static_cast<uint64_t>((smem_byte_addr >> 4) & 0x3FFF);
  desc |= static_cast<uint64_t>((leading_bytes >> 4) & 0x3FFF) << 16;
  desc |= static_cast<uint64_t>((stride_bytes >> 4) & 0x3FFF) << 32;
  desc |= static_cast<uint64_t>(1) << 62;  // layout type 1: 128-byte swizzle
  return desc;
}

// Registers written by ordinary instructions must be fenced before a wgmma reads them.
__device__ __forceinline__ void wgmma_fence() {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
  asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory");
#endif
}
__device__ __forceinline__ void wgmma_commit() {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
  asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory");
#endif
}
// Waits until at most kPending committed groups are still running.
template <int kPending>
__device__ __forceinline__ void wgmma_wait() {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
  asm volatile("wgmma.wait_group.sync.aligned %0;\n" ::"n"(kPending) : "memory");
#endif
}
// The compiler must not move accumulator reads or writes across a wait: pin them.
template <int kRows, int kCols>
__device__ __forceinline__ void fence_accumulators(float (&d)[kRows][kCols]) {
#pragma unroll
  for (int i = 0; i < kRows; ++i) {
#pragma unroll
    for (int j = 0; j < kCols; ++j) asm volatile("" : "+f"(d[i][j])::"memory");
  }
}

// accumulate == 0: D = A * B (the accumulators' old values are ignored).
template <typename T, int N>
__device__ __forceinline__ void wgmma_ss(float (&d)[N / 8][4], uint64_t desc_a, uint64_t desc_b, int accumulate);
template <typename T, int N>
__device__ __forceinline__ void wgmma_rs(float (&d)[N / 8][4], const uint32_t (&a)[4], uint64_t desc_b,
                                         int accumulate);

// The instruction text exists only for sm_90a; other passes compile an empty body.
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
#define GPTBENCH_SM90A_ONLY(x) x
#else
#define GPTBENCH_SM90A_ONLY(x)
#endif

// The accumulator operands of an m64nN instruction: N / 2 registers per thread, as text and as
// read-write constraints on d[N / 8][4].
#define GPTBENCH_ACC32_TEXT \
  "%0,%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11,%12,%13,%14,%15," \
  "%16,%17,%18,%19,%20,%21,%22,%23,%24,%25,%26,%27,%28,%29,%30,%31"
#define GPTBENCH_ACC32_OUT \
  "+f"(d[0][0]), "+f"(d[0][1]), "+f"(d[0][2]), "+f"(d[0][3]), \
  "+f"(d[1][0]), "+f"(d[1][1]), "+f"(d[1][2]), "+f"(d[1][3]), \
  "+f"(d[2][0]), "+f"(d[2][1]), "+f"(d[2][2]), "+f"(d[2][3]), \
  "+f"(d[3][0]), "+f"(d[3][1]), "+f"(d[3][2]), "+f"(d[3][3]), \
  "+f"(d[4][0]), "+f"(d[4][1]), "+f"(d[4][2]), "+f"(d[4][3]), \
  "+f"(d[5][0]), "+f"(d[5][1]), "+f"(d[5][2]), "+f"(d[5][3]), \
  "+f"(d[6][0]), "+f"(d[6][1]), "+f"(d[6][2]), "+f"(d[6][3]), \
  "+f"(d[7][0]), "+f"(d[7][1]), "+f"(d[7][2]), "+f"(d[7][3])
#define GPTBENCH_ACC64_TEXT \
  "%0,%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11,%12,%13,%14,%15," \
  "%16,%17,%18,%19,%20,%21,%22,%23,%24,%25,%26,%27,%28,%29,%30,%31," \
  "%32,%33,%34,%35,%36,%37,%38,%39,%40,%41,%42,%43,%44,%45,%46,%47," \
  "%48,%49,%50,%51,%52,%53,%54,%55,%56,%57,%58,%59,%60,%61,%62,%63"
#define GPTBENCH_ACC64_OUT \
  "+f"(d[0][0]), "+f"(d[0][1]), "+f"(d[0][2]), "+f"(d[0][3]), \
  "+f"(d[1][0]), "+f"(d[1][1]), "+f"(d[1][2]), "+f"(d[1][3]), \
  "+f"(d[2][0]), "+f"(d[2][1]), "+f"(d[2][2]), "+f"(d[2][3]), \
  "+f"(d[3][0]), "+f"(d[3][1]), "+f"(d[3][2]), "+f"(d[3][3]), \
  "+f"(d[4][0]), "+f"(d[4][1]), "+f"(d[4][2]), "+f"(d[4][3]), \
  "+f"(d[5][0]), "+f"(d[5][1]), "+f"(d[5][2]), "+f"(d[5][3]), \
  "+f"(d[6][0]), "+f"(d[6][1]), "+f"(d[6][2]), "+f"(d[6][3]), \
  "+f"(d[7][0]), "+f"(d[7][1]), "+f"(d[7][2]), "+f"(d[7][3]), \
  "+f"(d[8][0]), "+f"(d[8][1]), "+f"(d[8][2]), "+f"(d[8][3]), \
  "+f"(d[9][0]), "+f"(d[9][1]), "+f"(d[9][2]), "+f"(d[9][3]), \
  "+f"(d[10][0]), "+f"(d[10][1]), "+f"(d[10][2]), "+f"(d[10][3]), \
  "+f"(d[11][0]), "+f"(d[11][1]), "+f"(d[11][2]), "+f"(d[11][3]), \
  "+f"(d[12][0]), "+f"(d[12][1]), "+f"(d[12][2]), "+f"(d[12][3]), \
  "+f"(d[13][0]), "+f"(d[13][1]), "+f"(d[13][2]), "+f"(d[13][3]), \
  "+f"(d[14][0]), "+f"(d[14][1]), "+f"(d[14][2]), "+f"(d[14][3]), \
  "+f"(d[15][0]), "+f"(d[15][1]), "+f"(d[15][2]), "+f"(d[15][3])

// D(64xN) (+)= A(shared) * B(shared), both K-major. DESC_A, DESC_B, ACCUMULATE: operand numbers.
#define GPTBENCH_WGMMA_SS(T, PTX_TYPE, N, ACC_TEXT, ACC_OUT, DESC_A, DESC_B, ACCUMULATE)                  template <>                                                                                             __device__ __forceinline__ void wgmma_ss<T, N>(float(&d)[N / 8][4], uint64_t desc_a, uint64_t desc_b,                                                  int accumulate) {                                          GPTBENCH_SM90A_ONLY(asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, " ACCUMULATE ", 0;\n"                                               "wgmma.mma_async.sync.aligned.m64n" #N "k16.f32." PTX_TYPE                                              "." PTX_TYPE " {" ACC_TEXT "}, " DESC_A ", " DESC_B                                                      ", p, 1, 1, 0, 0;\n}\n"                                                                                 : ACC_OUT                                                                                               : "l"(desc_a), "l"(desc_b), "r"(accumulate)));                       }
// D(64xN) (+)= A(registers) * B(shared, N-major: imm-trans-b = 1).
#define GPTBENCH_WGMMA_RS(T, PTX_TYPE, N, ACC_TEXT, ACC_OUT, A_REGS, DESC_B, ACCUMULATE)                   template <>                                                                                              __device__ __forceinline__ void wgmma_rs<T, N>(float(&d)[N / 8][4], const uint32_t(&a)[4],                                                              uint64_t desc_b, int accumulate) {                          GPTBENCH_SM90A_ONLY(asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, " ACCUMULATE ", 0;\n"                                                "wgmma.mma_async.sync.aligned.m64n" #N "k16.f32." PTX_TYPE                                               "." PTX_TYPE " {" ACC_TEXT "}, " A_REGS ", " DESC_B                                                       ", p, 1, 1, 1;\n}\n"                                                                                     : ACC_OUT                                                                                                : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(desc_b),                                                 "r"(accumulate)));                                                  }

GPTBENCH_WGMMA_SS(__half, "f16", 128, GPTBENCH_ACC64_TEXT, GPTBENCH_ACC64_OUT, "%64", "%65", "%66")
GPTBENCH_WGMMA_RS(__half, "f16", 64, GPTBENCH_ACC32_TEXT, GPTBENCH_ACC32_OUT, "{%32, %33, %34, %35}", "%36", "%37")
GPTBENCH_WGMMA_RS(__half, "f16", 128, GPTBENCH_ACC64_TEXT, GPTBENCH_ACC64_OUT, "{%64, %65, %66, %67}", "%68", "%69")
GPTBENCH_WGMMA_SS(__nv_bfloat16, "bf16", 128, GPTBENCH_ACC64_TEXT, GPTBENCH_ACC64_OUT, "%64", "%65", "%66")
GPTBENCH_WGMMA_RS(__nv_bfloat16, "bf16", 64, GPTBENCH_ACC32_TEXT, GPTBENCH_ACC32_OUT, "{%32, %33, %34, %35}", "%36", "%37")
GPTBENCH_WGMMA_RS(__nv_bfloat16, "bf16", 128, GPTBENCH_ACC64_TEXT, GPTBENCH_ACC64_OUT, "{%64, %65, %66, %67}", "%68", "%69")

#undef GPTBENCH_WGMMA_SS
#undef GPTBENCH_WGMMA_RS
#undef GPTBENCH_ACC32_TEXT
#undef GPTBENCH_ACC32_OUT
#undef GPTBENCH_ACC64_TEXT
#undef GPTBENCH_ACC64_OUT
#undef GPTBENCH_SM90A_ONLY

}  // namespace gptbench::kernels::sm90
