// Fused attention backward (FlashAttention-2 style) for sm_80 and newer, on the tensor cores
// (mma.sync m16n8k16, fp32 accumulate). Given O, dO and the forward's per-row log2-sum-exp:
//   1. delta kernel: D_i = rowsum(dO_i o O_i) (fp32);
//   2. dK/dV kernel: a CTA per block of keys keeps dK, dV in registers and walks the query tiles
//      that see its keys (causal band, window band, every row for sink keys), recomputing
//      P^T = 2^(score - lse) and dS^T = P^T o (dP^T - D); in atomic mode it also adds its share
//      dS K of each tile's dQ into an fp32 buffer with atomics;
//   3. dQ: the conversion of that buffer (scaled) to T, or, deterministic, a separate pass with a
//      CTA per query tile that walks its KV tiles (the forward's kv_tile_range) and sums dS K in
//      registers in a fixed order.
// The visibility rule is flash_mask.cuh's; the ALiBi bias and the window are runtime values here
// (a uniform branch per tile; BackwardConfig in flash_config.h).
// Included only by the per-instantiation .cu files that the build generates.
#pragma once

#include <cuda_runtime.h>  // dim3, cudaFuncSetAttribute, cudaGetLastError

#include <algorithm>  // std::min
#include <cstdint>    // int64_t, uint32_t

#include "attention_params.h"  // AttentionParams, MaskPolicy
#include "flash_backward.h"    // AttentionBackwardParams
#include "flash_config.h"      // BackwardConfig
#include "flash_mask.cuh"      // RowMask
#include "flash_prefill.cuh"   // kv_tile_range, KvTileRange
#include "ptx.cuh"             // mma, ldmatrix, cp.async, ex2, pack2, to_float, from_float

namespace gptbench::kernels {
namespace bwd {

constexpr float kLog2e = 1.4426950408889634f;

// Rows [first, first + kRows) of a (rows, D) matrix -> shared (row stride D + 8); rows outside
// [lo, hi) become zeros, so that padding slots (even NaN) never reach an mma.
template <int D, int kRows, typename T, int kThreads>
__device__ __forceinline__ void load_rows(T* dst, const T* src, int64_t row_stride, int first, int lo, int hi,
                                          int tid) {
  constexpr int kChunks = D / 8;
  constexpr int kRow = D + 8;
#pragma unroll
  for (int i = tid; i < kRows * kChunks; i += kThreads) {
    const int r = i / kChunks, c = i - r * kChunks;
    const int row = first + r;
    const bool ok = row >= lo && row < hi;
    const T* s = ok ? src + row * row_stride + c * 8 : src;
    ptx::cp_async_16(ptx::smem_addr(dst + r * kRow + c * 8), s, ok ? 16 : 0);
  }
}

// *to += (a, b) for an 8-byte aligned pair: one vector atomic on sm_90 (global float2 atomicAdd), two
// scalar ones before it.
__device__ __forceinline__ void atomic_add2(float* to, float a, float b) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  atomicAdd(reinterpret_cast<float2*>(to), make_float2(a, b));
#else
  atomicAdd(to, a);
  atomicAdd(to + 1, b);
#endif
}

template <int kN>
__device__ __forceinline__ void zero(float (&acc)[kN][4]) {
#pragma unroll
  for (int j = 0; j < kN; ++j) acc[j][0] = acc[j][1] = acc[j][2] = acc[j][3] = 0.f;
}

// How a shared-memory B operand of a warp gemm is stored: as (n, k) rows (the product takes its
// transpose, B^T) or as (k, n) rows.
enum class BRows { kN, kK };

// acc (16 x kN) += A op(B): A (16 x kK) rows a_row0.. of s_a (row stride kRowA); B rows 0.. of s_b
// (row stride kRowB), (kN, kK) for BRows::kN (acc += A B^T), (kK, kN) for BRows::kK (acc += A B).
template <typename T, int kK, int kN, int kRowA, int kRowB, BRows kB>
__device__ __forceinline__ void warp_gemm(float (&acc)[kN / 8][4], const T* s_a, int a_row0, const T* s_b, int lane) {
#pragma unroll
  for (int kk = 0; kk < kK / 16; ++kk) {
    uint32_t a[4];
    const int row = a_row0 + (lane & 7) + ((lane >> 3) & 1) * 8;
    ptx::ldmatrix_x4(a, ptx::smem_addr(s_a + row * kRowA + kk * 16 + (lane >> 4) * 8));
#pragma unroll
    for (int j2 = 0; j2 < kN / 16; ++j2) {
      uint32_t b[4];
      if constexpr (kB == BRows::kN) {
        const int n = j2 * 16 + (lane & 7) + (lane >> 4) * 8;
        ptx::ldmatrix_x4(b, ptx::smem_addr(s_b + n * kRowB + kk * 16 + ((lane >> 3) & 1) * 8));
      } else {
        const int k = kk * 16 + (lane & 7) + ((lane >> 3) & 1) * 8;
        ptx::ldmatrix_x4_trans(b, ptx::smem_addr(s_b + k * kRowB + j2 * 16 + (lane >> 4) * 8));
      }
      ptx::mma_16816<T>(acc[2 * j2], a, b[0], b[1]);
      ptx::mma_16816<T>(acc[2 * j2 + 1], a, b[2], b[3]);
    }
  }
}

// acc (16 x kN) += A B: A (16 x kK) the fp32 accumulators of an earlier warp gemm (rounded to T,
// re-packed as the A operand without shared memory), B (kK x kN) rows 0.. of s_b, row stride kRowB.
template <typename T, int kK, int kN, int kRowB>
__device__ __forceinline__ void warp_gemm_rn(float (&acc)[kN / 8][4], const float (&a)[kK / 8][4], const T* s_b,
                                             int lane) {
#pragma unroll
  for (int kc = 0; kc < kK / 16; ++kc) {
    uint32_t af[4];
    af[0] = ptx::pack2<T>(a[2 * kc][0], a[2 * kc][1]);
    af[1] = ptx::pack2<T>(a[2 * kc][2], a[2 * kc][3]);
    af[2] = ptx::pack2<T>(a[2 * kc + 1][0], a[2 * kc + 1][1]);
    af[3] = ptx::pack2<T>(a[2 * kc + 1][2], a[2 * kc + 1][3]);
#pragma unroll
    for (int d2 = 0; d2 < kN / 16; ++d2) {
      uint32_t b[4];
      const int k = kc * 16 + (lane & 7) + ((lane >> 3) & 1) * 8;
      ptx::ldmatrix_x4_trans(b, ptx::smem_addr(s_b + k * kRowB + d2 * 16 + (lane >> 4) * 8));
      ptx::mma_16816<T>(acc[2 * d2], af, b[0], b[1]);
      ptx::mma_16816<T>(acc[2 * d2 + 1], af, b[2], b[3]);
    }
  }
}

// flash_mask.cuh's rule with the window as a runtime value, and keys past Tk never visible.
__device__ __forceinline__ bool visible(const AttentionParams& p, int key_start, int qpos, int kpos) {
  if (kpos >= p.k_len) return false;
  if (p.window > 0) return RowMask<MaskPolicy::kWindow>{key_start, p.window, p.global_tokens}.visible(qpos, kpos);
  return RowMask<MaskPolicy::kCausal>{key_start, 0, 0}.visible(qpos, kpos);
}

// Every (query, key) pair of the block [q_lo, q_hi] x [n0, n0 + kKeys) is visible (no mask needed).
template <int kKeys>
__device__ __forceinline__ bool block_fully_visible(const AttentionParams& p, int key_start, int n0, int q_lo,
                                                    int q_hi) {
  bool full = n0 >= key_start && n0 + kKeys <= p.k_len && n0 + kKeys - 1 <= q_lo;
  if (p.window > 0) full = full && (q_hi - n0 < p.window || n0 + kKeys - 1 - key_start < p.global_tokens);
  return full;
}

// P = 2^(score - lse) (0 where masked) for a score s (raw q.k) of query qpos and key kpos.
__device__ __forceinline__ float probability(float s, float lse, float scale_log2, float slope_log2, int qpos,
                                             int kpos) {
  return ptx::ex2(fmaf(s, scale_log2, fmaf(slope_log2, static_cast<float>(kpos - qpos), -lse)));
}

}  // namespace bwd

// D_i = rowsum(dO_i o O_i): one warp per query row.
template <typename T, int D>
__global__ void __launch_bounds__(BackwardConfig::kThreads) flash_bwd_delta_kernel(const AttentionBackwardParams bp) {
  const AttentionParams& p = bp.fwd;
  const int bh = blockIdx.x;
  const int b = bh / p.heads, h = bh - b * p.heads;
  const int row = blockIdx.y * BackwardConfig::kWarps + (threadIdx.x >> 5);
  const int lane = threadIdx.x & 31;
  if (row >= p.q_len) return;
  const T* o = static_cast<const T*>(p.out) + b * p.out_strides[0] + h * p.out_strides[1] + row * p.out_strides[2];
  const T* d_o = static_cast<const T*>(bp.dout) + (static_cast<int64_t>(bh) * p.q_len + row) * D;
  float sum = 0.f;
#pragma unroll
  for (int c = lane; c < D; c += 32) sum += ptx::to_float(o[c]) * ptx::to_float(d_o[c]);
#pragma unroll
  for (int off = 16; off > 0; off >>= 1) sum += __shfl_xor_sync(0xffffffffu, sum, off);
  if (lane == 0) bp.delta[static_cast<int64_t>(bh) * p.q_len + row] = sum;
}

// dK, dV of one block of kBlockKeys keys (warp w owns keys 16 w .. 16 w + 15), and in atomic mode
// the block's share of dQ. All tiles are computed transposed (keys as rows): S^T = K Q^T.
template <typename T, int D>
__global__ void __launch_bounds__(BackwardConfigFor<D>::kThreads, BackwardConfigFor<D>::kMinCtas)
    flash_bwd_dkdv_kernel(const AttentionBackwardParams bp) {
  using Cfg = BackwardConfigFor<D>;
  constexpr int kKeys = Cfg::kBlockKeys;
  constexpr int kQueries = Cfg::kBlockQueries;
  constexpr int kStages = Cfg::kStages;
  constexpr int kRow = D + 8;        // +16 bytes per row: ldmatrix rows hit distinct banks
  constexpr int kRowS = kKeys + 8;   // s_ds rows
  static_assert(kQueries == 16 * Cfg::kWarps, "each warp computes 16 rows of a tile's dQ share");
  static_assert(kQueries <= Cfg::kThreads, "one thread per row stages a tile's lse and delta");
  const AttentionParams& p = bp.fwd;

  // kStages buffers of (Q, dO, lse, delta) for the query tile being walked; K, V and dS once.
  extern __shared__ __align__(128) unsigned char smem[];
  T* s_k = reinterpret_cast<T*>(smem);
  T* s_v = s_k + kKeys * kRow;
  T* s_q0 = s_v + kKeys * kRow;                 // stage b: s_q0 + b * kQueries * kRow
  T* s_do0 = s_q0 + kStages * kQueries * kRow;  // likewise
  T* s_ds = s_do0 + kStages * kQueries * kRow;  // (queries, keys): dS of the tile, for dQ
  float* s_lse0 = reinterpret_cast<float*>(s_ds + kQueries * kRowS);  // stage b: s_lse0 + b * kQueries
  float* s_delta0 = s_lse0 + kStages * kQueries;

  const int bh = blockIdx.x;
  const int b = bh / p.heads, h = bh - b * p.heads;
  const int n0 = blockIdx.y * kKeys;
  const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
  const int g = lane >> 2, t = lane & 3;

  const T* q = static_cast<const T*>(p.q) + b * p.q_strides[0] + h * p.q_strides[1];
  const T* k = static_cast<const T*>(p.k) + b * p.k_strides[0] + h * p.k_strides[1];
  const T* v = static_cast<const T*>(p.v) + b * p.v_strides[0] + h * p.v_strides[1];
  const T* d_o = static_cast<const T*>(bp.dout) + static_cast<int64_t>(bh) * p.q_len * D;
  const float* lse = p.lse + static_cast<int64_t>(bh) * p.q_len;
  const float* delta = bp.delta + static_cast<int64_t>(bh) * p.q_len;
  const int key_start = p.key_start[b];

  bwd::load_rows<D, kKeys, T, Cfg::kThreads>(s_k, k, p.k_strides[2], n0, key_start, p.k_len, tid);
  bwd::load_rows<D, kKeys, T, Cfg::kThreads>(s_v, v, p.v_strides[2], n0, key_start, p.k_len, tid);
  ptx::cp_async_commit();

  // The query rows that see a key of this block: from the first key's position on (causal), up to
  // the last key + W - 1 (window) unless the block holds sinks, which every later row sees.
  const int key_lo = max(n0, key_start), key_hi = min(n0 + kKeys, p.k_len) - 1;
  int m_first = 0, m_last = -1;
  if (key_lo <= key_hi) {
    m_first = max(0, key_lo - p.q_pos0);
    m_last = p.q_len - 1;
    const bool sinks = p.window > 0 && key_lo < key_start + p.global_tokens;
    if (p.window > 0 && !sinks) m_last = min(m_last, key_hi + p.window - 1 - p.q_pos0);
  }
  const int tile_first = m_first / kQueries;
  const int tile_last = m_last < m_first ? tile_first - 1 : m_last / kQueries;

  const float scale_log2 = p.scale * bwd::kLog2e;
  const float slope_log2 = p.alibi_slopes != nullptr ? p.alibi_slopes[h] * bwd::kLog2e : 0.f;
  const int warp_key0 = warp * 16;

  // Tile mt's Q and dO go to stage `stage` by cp.async (committed by the caller); its lse and delta
  // (one row per thread; rows past Tq: lse +inf, so P = 0) are read into registers here and stored to
  // the stage by store_rows later, so that with two stages their latency hides behind a tile's math.
  float row_lse = INFINITY, row_delta = 0.f;
  auto load_tile = [&](int mt, int stage) {
    const int m0 = mt * kQueries;
    bwd::load_rows<D, kQueries, T, Cfg::kThreads>(s_q0 + stage * kQueries * kRow, q, p.q_strides[2], m0, 0, p.q_len,
                                                 tid);
    bwd::load_rows<D, kQueries, T, Cfg::kThreads>(s_do0 + stage * kQueries * kRow, d_o, D, m0, 0, p.q_len, tid);
    const bool ok = tid < kQueries && m0 + tid < p.q_len;
    row_lse = ok ? lse[m0 + tid] : INFINITY;
    row_delta = ok ? delta[m0 + tid] : 0.f;
  };
  auto store_rows = [&](int stage) {
    if (tid < kQueries) {
      s_lse0[stage * kQueries + tid] = row_lse;
      s_delta0[stage * kQueries + tid] = row_delta;
    }
  };
  if (tile_first <= tile_last) {
    load_tile(tile_first, 0);
    ptx::cp_async_commit();
    store_rows(0);
  }

  float dk[D / 8][4], dv[D / 8][4];
  bwd::zero(dk);
  bwd::zero(dv);
  for (int mt = tile_first; mt <= tile_last; ++mt) {
    const int m0 = mt * kQueries;
    const int stage = kStages == 1 ? 0 : (mt - tile_first) & 1;
    if constexpr (kStages == 2) {
      __syncthreads();  // every warp is done with the previous tile: its stage and s_ds are free
      if (mt < tile_last) {
        load_tile(mt + 1, stage ^ 1);  // flies while this tile computes
        ptx::cp_async_commit();
        ptx::cp_async_wait<1>();  // K, V and this tile have landed
      } else {
        ptx::cp_async_wait<0>();
      }
    } else {
      if (mt > tile_first) {
        __syncthreads();  // every warp is done with the previous tile's s_q, s_do, s_ds
        load_tile(mt, 0);
        ptx::cp_async_commit();
        store_rows(0);
      }
      ptx::cp_async_wait<0>();
    }
    __syncthreads();
    const T* s_q = s_q0 + stage * kQueries * kRow;
    const T* s_do = s_do0 + stage * kQueries * kRow;
    const float* s_lse = s_lse0 + stage * kQueries;
    const float* s_delta = s_delta0 + stage * kQueries;

    float st[kQueries / 8][4], dpt[kQueries / 8][4];  // S^T, then P^T; dP^T, then dS^T
    bwd::zero(st);
    bwd::zero(dpt);
    bwd::warp_gemm<T, D, kQueries, kRow, kRow, bwd::BRows::kN>(st, s_k, warp_key0, s_q, lane);
    bwd::warp_gemm<T, D, kQueries, kRow, kRow, bwd::BRows::kN>(dpt, s_v, warp_key0, s_do, lane);

    const int q_lo = p.q_pos0 + m0;
    const bool full = bwd::block_fully_visible<kKeys>(p, key_start, n0, q_lo, q_lo + kQueries - 1);
    // Element (j, i): key row warp_key0 + g + 8 (i / 2), query column 8 j + 2 t + i % 2.
#pragma unroll
    for (int j = 0; j < kQueries / 8; ++j) {
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        const int kpos = n0 + warp_key0 + g + 8 * (i >> 1);
        const int qrow = 8 * j + 2 * t + (i & 1);
        const int qpos = q_lo + qrow;
        float pr = bwd::probability(st[j][i], s_lse[qrow], scale_log2, slope_log2, qpos, kpos);
        if (!full && !bwd::visible(p, key_start, qpos, kpos)) pr = 0.f;
        st[j][i] = pr;
        dpt[j][i] = pr * (dpt[j][i] - s_delta[qrow]);
      }
    }
    bwd::warp_gemm_rn<T, kQueries, D, kRow>(dv, st, s_do, lane);   // dV += P^T dO
    bwd::warp_gemm_rn<T, kQueries, D, kRow>(dk, dpt, s_q, lane);   // dK += dS^T Q (scaled at the end)

    if (!bp.deterministic) {
      // dS^T -> s_ds as (queries, keys); warp w then adds rows 16 w .. 16 w + 15 of dS K to dQ.
#pragma unroll
      for (int j = 0; j < kQueries / 8; ++j) {
#pragma unroll
        for (int i = 0; i < 4; ++i) {
          s_ds[(8 * j + 2 * t + (i & 1)) * kRowS + warp_key0 + g + 8 * (i >> 1)] = ptx::from_float<T>(dpt[j][i]);
        }
      }
      __syncthreads();
      float dq[D / 8][4];
      bwd::zero(dq);
      bwd::warp_gemm<T, kKeys, D, kRowS, kRow, bwd::BRows::kK>(dq, s_ds, warp * 16, s_k, lane);
      float* dq_rows = bp.dq_accum + static_cast<int64_t>(bh) * p.q_len * D;
#pragma unroll
      for (int j = 0; j < D / 8; ++j) {
#pragma unroll
        for (int half = 0; half < 2; ++half) {
          const int row = m0 + warp * 16 + g + 8 * half;
          if (row < p.q_len) {
            bwd::atomic_add2(dq_rows + static_cast<int64_t>(row) * D + 8 * j + 2 * t, dq[j][2 * half],
                             dq[j][2 * half + 1]);
          }
        }
      }
    }
    if constexpr (kStages == 2) {
      if (mt < tile_last) store_rows(stage ^ 1);  // the next tile's lse/delta, loaded before this tile's math
    }
  }
  ptx::cp_async_wait<0>();  // a block with no visible key never waited for its K/V copy

  // Every key row of the block is written (zeros where no query sees it).
  T* dk_out = static_cast<T*>(bp.dk) + static_cast<int64_t>(bh) * p.k_len * D;
  T* dv_out = static_cast<T*>(bp.dv) + static_cast<int64_t>(bh) * p.k_len * D;
#pragma unroll
  for (int half = 0; half < 2; ++half) {
    const int row = n0 + warp_key0 + g + 8 * half;
    if (row >= p.k_len) continue;
#pragma unroll
    for (int j = 0; j < D / 8; ++j) {
      const int64_t at = static_cast<int64_t>(row) * D + 8 * j + 2 * t;
      *reinterpret_cast<uint32_t*>(dk_out + at) =
          ptx::pack2<T>(dk[j][2 * half] * p.scale, dk[j][2 * half + 1] * p.scale);
      *reinterpret_cast<uint32_t*>(dv_out + at) = ptx::pack2<T>(dv[j][2 * half], dv[j][2 * half + 1]);
    }
  }
}

// Deterministic dQ: a CTA per tile of kBlockQueries rows (warp w owns rows 16 w ..) walks the KV
// tiles its rows see, in a fixed order, and sums dS K in registers.
template <typename T, int D>
__global__ void __launch_bounds__(BackwardConfigFor<D>::kThreads, BackwardConfigFor<D>::kMinCtas)
    flash_bwd_dq_kernel(const AttentionBackwardParams bp) {
  using Cfg = BackwardConfigFor<D>;
  constexpr int kKeys = Cfg::kBlockKeys;
  constexpr int kQueries = Cfg::kBlockQueries;
  constexpr int kStages = Cfg::kStages;
  constexpr int kRow = D + 8;
  const AttentionParams& p = bp.fwd;

  extern __shared__ __align__(128) unsigned char smem[];
  T* s_q = reinterpret_cast<T*>(smem);
  T* s_do = s_q + kQueries * kRow;
  T* s_k0 = s_do + kQueries * kRow;       // stage b: s_k0 + b * kKeys * kRow
  T* s_v0 = s_k0 + kStages * kKeys * kRow;  // likewise

  const int bh = blockIdx.x;
  const int b = bh / p.heads, h = bh - b * p.heads;
  const int m0 = blockIdx.y * kQueries;
  const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
  const int g = lane >> 2, t = lane & 3;

  const T* q = static_cast<const T*>(p.q) + b * p.q_strides[0] + h * p.q_strides[1];
  const T* k = static_cast<const T*>(p.k) + b * p.k_strides[0] + h * p.k_strides[1];
  const T* v = static_cast<const T*>(p.v) + b * p.v_strides[0] + h * p.v_strides[1];
  const T* d_o = static_cast<const T*>(bp.dout) + static_cast<int64_t>(bh) * p.q_len * D;
  const int key_start = p.key_start[b];

  bwd::load_rows<D, kQueries, T, Cfg::kThreads>(s_q, q, p.q_strides[2], m0, 0, p.q_len, tid);
  bwd::load_rows<D, kQueries, T, Cfg::kThreads>(s_do, d_o, D, m0, 0, p.q_len, tid);
  ptx::cp_async_commit();

  const int q_lo = p.q_pos0 + m0;
  const int q_hi = p.q_pos0 + min(m0 + kQueries, p.q_len) - 1;
  const KvTileRange range = p.window > 0 ? kv_tile_range<MaskPolicy::kWindow, kKeys>(p, key_start, q_lo, q_hi)
                                         : kv_tile_range<MaskPolicy::kCausal, kKeys>(p, key_start, q_lo, q_hi);
  const float scale_log2 = p.scale * bwd::kLog2e;
  const float slope_log2 = p.alibi_slopes != nullptr ? p.alibi_slopes[h] * bwd::kLog2e : 0.f;
  float row_lse[2], row_delta[2];
#pragma unroll
  for (int half = 0; half < 2; ++half) {
    const int row = m0 + warp * 16 + g + 8 * half;
    const bool ok = row < p.q_len;
    row_lse[half] = ok ? p.lse[static_cast<int64_t>(bh) * p.q_len + row] : INFINITY;
    row_delta[half] = ok ? bp.delta[static_cast<int64_t>(bh) * p.q_len + row] : 0.f;
  }

  float dq[D / 8][4];
  bwd::zero(dq);
  auto load_tile = [&](int it, int stage) {
    const int n0 = range.tile(it) * kKeys;
    bwd::load_rows<D, kKeys, T, Cfg::kThreads>(s_k0 + stage * kKeys * kRow, k, p.k_strides[2], n0, key_start, p.k_len,
                                              tid);
    bwd::load_rows<D, kKeys, T, Cfg::kThreads>(s_v0 + stage * kKeys * kRow, v, p.v_strides[2], n0, key_start, p.k_len,
                                              tid);
    ptx::cp_async_commit();
  };
  if (range.count() > 0) load_tile(0, 0);
  for (int it = 0; it < range.count(); ++it) {
    const int n0 = range.tile(it) * kKeys;
    const int stage = kStages == 1 ? 0 : it & 1;
    if constexpr (kStages == 2) {
      __syncthreads();  // every warp is done with the previous tile: its stage is free
      if (it + 1 < range.count()) {
        load_tile(it + 1, stage ^ 1);  // flies while this tile computes
        ptx::cp_async_wait<1>();       // Q, dO and this tile have landed
      } else {
        ptx::cp_async_wait<0>();
      }
    } else {
      if (it > 0) {
        __syncthreads();  // every warp is done with the previous tile's s_k, s_v
        load_tile(it, 0);
      }
      ptx::cp_async_wait<0>();
    }
    __syncthreads();
    const T* s_k = s_k0 + stage * kKeys * kRow;
    const T* s_v = s_v0 + stage * kKeys * kRow;

    float s[kKeys / 8][4], dp[kKeys / 8][4];  // S, then dS; dP
    bwd::zero(s);
    bwd::zero(dp);
    bwd::warp_gemm<T, D, kKeys, kRow, kRow, bwd::BRows::kN>(s, s_q, warp * 16, s_k, lane);
    bwd::warp_gemm<T, D, kKeys, kRow, kRow, bwd::BRows::kN>(dp, s_do, warp * 16, s_v, lane);
    const bool full = bwd::block_fully_visible<kKeys>(p, key_start, n0, q_lo, q_hi);
    // Element (j, i): query row 16 warp + g + 8 (i / 2), key column 8 j + 2 t + i % 2.
#pragma unroll
    for (int j = 0; j < kKeys / 8; ++j) {
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        const int half = i >> 1;
        const int qpos = q_lo + warp * 16 + g + 8 * half;
        const int kpos = n0 + 8 * j + 2 * t + (i & 1);
        float pr = bwd::probability(s[j][i], row_lse[half], scale_log2, slope_log2, qpos, kpos);
        if (!full && !bwd::visible(p, key_start, qpos, kpos)) pr = 0.f;
        s[j][i] = pr * (dp[j][i] - row_delta[half]);
      }
    }
    bwd::warp_gemm_rn<T, kKeys, D, kRow>(dq, s, s_k, lane);  // dQ += dS K (scaled at the end)
  }
  ptx::cp_async_wait<0>();

  T* dq_out = static_cast<T*>(bp.dq) + static_cast<int64_t>(bh) * p.q_len * D;
#pragma unroll
  for (int half = 0; half < 2; ++half) {
    const int row = m0 + warp * 16 + g + 8 * half;
    if (row >= p.q_len) continue;
#pragma unroll
    for (int j = 0; j < D / 8; ++j) {
      *reinterpret_cast<uint32_t*>(dq_out + static_cast<int64_t>(row) * D + 8 * j + 2 * t) =
          ptx::pack2<T>(dq[j][2 * half] * p.scale, dq[j][2 * half + 1] * p.scale);
    }
  }
}

// dQ = scale * dq_accum, rounded to T (atomic mode).
template <typename T>
__global__ void flash_bwd_convert_dq_kernel(const float* __restrict__ accum, T* __restrict__ dq, int64_t n,
                                            float scale) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    dq[i] = ptx::from_float<T>(accum[i] * scale);
  }
}

template <typename T, int D>
cudaError_t run_flash_backward(const AttentionBackwardParams& bp, cudaStream_t stream) {
  using Cfg = BackwardConfigFor<D>;
  constexpr int kRow = D + 8;
  const AttentionParams& p = bp.fwd;
  const int bh = p.batch * p.heads;
  const int q_tiles = (p.q_len + Cfg::kBlockQueries - 1) / Cfg::kBlockQueries;
  const int k_tiles = (p.k_len + Cfg::kBlockKeys - 1) / Cfg::kBlockKeys;

  flash_bwd_delta_kernel<T, D><<<dim3(bh, (p.q_len + Cfg::kWarps - 1) / Cfg::kWarps), Cfg::kThreads, 0, stream>>>(bp);
  cudaError_t err = cudaGetLastError();
  if (err != cudaSuccess) return err;

  constexpr int kDkdvSmem =
      (2 * Cfg::kBlockKeys + 2 * Cfg::kStages * Cfg::kBlockQueries) * kRow * static_cast<int>(sizeof(T)) +
      Cfg::kBlockQueries * (Cfg::kBlockKeys + 8) * static_cast<int>(sizeof(T)) +
      2 * Cfg::kStages * Cfg::kBlockQueries * static_cast<int>(sizeof(float));
  err = cudaFuncSetAttribute(flash_bwd_dkdv_kernel<T, D>, cudaFuncAttributeMaxDynamicSharedMemorySize, kDkdvSmem);
  if (err != cudaSuccess) return err;
  flash_bwd_dkdv_kernel<T, D><<<dim3(bh, k_tiles), Cfg::kThreads, kDkdvSmem, stream>>>(bp);
  err = cudaGetLastError();
  if (err != cudaSuccess) return err;

  if (bp.deterministic) {
    constexpr int kDqSmem =
        (2 * Cfg::kStages * Cfg::kBlockKeys + 2 * Cfg::kBlockQueries) * kRow * static_cast<int>(sizeof(T));
    err = cudaFuncSetAttribute(flash_bwd_dq_kernel<T, D>, cudaFuncAttributeMaxDynamicSharedMemorySize, kDqSmem);
    if (err != cudaSuccess) return err;
    flash_bwd_dq_kernel<T, D><<<dim3(bh, q_tiles), Cfg::kThreads, kDqSmem, stream>>>(bp);
  } else {
    const int64_t n = static_cast<int64_t>(bh) * p.q_len * D;
    const int blocks = static_cast<int>(std::min<int64_t>((n + 255) / 256, 65535));
    flash_bwd_convert_dq_kernel<T><<<blocks, 256, 0, stream>>>(bp.dq_accum, static_cast<T*>(bp.dq), n, p.scale);
  }
  return cudaGetLastError();
}

}  // namespace gptbench::kernels
