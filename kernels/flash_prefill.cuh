// Fused attention forward (FlashAttention-2 style) for sm_80 and newer: Q fragments in
// registers or re-read from shared memory (QStorage), K/V tiles double-buffered in shared
// memory through cp.async, S = Q K^T and O += P V on the tensor cores (mma.sync m16n8k16,
// fp32 accumulate), online softmax in fp32 registers in the log2 domain; Tq x Tk is never
// materialised. The visibility rule is flash_mask.cuh's, applied as per-row column bounds
// (mask_tile) on the few tiles not wholly visible; whole KV tiles outside the causal band,
// the window and the sinks are never visited (kv_tile_range).
// Included only by the per-instantiation .cu files that the build generates.
#pragma once

#include <cuda_runtime.h>  // dim3, cudaFuncSetAttribute, cudaGetLastError

#include <cstdint>  // int64_t, uint32_t, uint4

#include "attention_params.h"  // AttentionParams, MaskPolicy
#include "flash_config.h"      // PrefillConfig, QStorage
#include "ptx.cuh"             // mma, ldmatrix, cp.async, ex2

namespace gptbench::kernels {

// The KV tiles one query tile visits: the causal/window band [win_first, win_last] and,
// for the window policies, the sink tiles [sink_first, sink_last] left of that band.
// Visited from the last tile down, so the tiles that need the element mask come first.
struct KvTileRange {
  int win_first = 0, win_last = -1;
  int sink_first = 0, sink_last = -1;

  __device__ __forceinline__ int count() const {
    return max(0, win_last - win_first + 1) + max(0, sink_last - sink_first + 1);
  }
  __device__ __forceinline__ int tile(int i) const {
    const int n_win = max(0, win_last - win_first + 1);
    return i < n_win ? win_last - i : sink_last - (i - n_win);
  }
};

template <MaskPolicy P, int kBlockN>
__device__ __forceinline__ KvTileRange kv_tile_range(const AttentionParams& p, int key_start, int q_pos_lo,
                                                     int q_pos_hi) {
  KvTileRange r;
  const int key_hi = min(q_pos_hi, p.k_len - 1);
  if (key_hi < key_start) return r;  // nothing visible: a padding tile
  int win_lo = key_start;
  if constexpr (policy_has_window(P)) win_lo = max(key_start, q_pos_lo - p.window + 1);
  int band_first = 1 << 30;
  if (key_hi >= win_lo) {
    r.win_first = band_first = win_lo / kBlockN;
    r.win_last = key_hi / kBlockN;
  }
  if constexpr (policy_has_window(P)) {
    if (p.global_tokens > 0) {
      const int sink_hi = min(key_start + p.global_tokens - 1, key_hi);
      r.sink_first = key_start / kBlockN;
      r.sink_last = min(sink_hi / kBlockN, band_first - 1);
    }
  }
  return r;
}

// Element mask of one S tile for tiles not wholly visible. Per row the visible keys are the
// band [lo, hi] and, on tiles that reach the sinks, [key_start, sink_hi]; both are turned into
// column bounds once per row so each element costs two compares. c = 8 j + e is the column
// relative to n0 + 2 t (this thread's first column).
template <MaskPolicy P, bool kSinkTile, int kMTiles, int kNTiles>
__device__ __forceinline__ void mask_tile(float (&s)[kMTiles][kNTiles][4], const AttentionParams& p, int key_start,
                                          int n0, int t, int first_qpos) {
#pragma unroll
  for (int mt = 0; mt < kMTiles; ++mt) {
#pragma unroll
    for (int half = 0; half < 2; ++half) {
      const int qpos = first_qpos + mt * 16 + half * 8;
      const int base = n0 + 2 * t;
      int lo = key_start;
      if constexpr (policy_has_window(P)) lo = max(lo, qpos - p.window + 1);
      const int hi_abs = min(qpos, p.k_len - 1);
      lo -= base;
      const int hi = hi_abs - base;
      const int sink_lo = key_start - base;
      const int sink_hi = min(key_start + p.global_tokens - 1, hi_abs) - base;
#pragma unroll
      for (int j = 0; j < kNTiles; ++j) {
#pragma unroll
        for (int e = 0; e < 2; ++e) {
          const int c = 8 * j + e;
          bool vis = c >= lo && c <= hi;
          if constexpr (kSinkTile) vis = vis || (c >= sink_lo && c <= sink_hi);
          if (!vis) s[mt][j][2 * half + e] = -INFINITY;
        }
      }
    }
  }
}

// kWarps warps per CTA, each owning kMTiles m16 row tiles (16 * kMTiles query rows): every
// K/V fragment read from shared memory feeds kMTiles mmas, which is what keeps shared-memory
// bandwidth below the tensor cores' rate (NOTES.md). kQ: Q fragments kept in registers for
// the whole CTA, or re-read from shared memory per tile (frees registers for larger tiles).
// kMinCtas > 1 caps registers so that many CTAs fit per SM (more warps to hide latency).
template <typename T, int D, MaskPolicy P, int kWarps, int kMTiles, int kBlockN, QStorage kQ, int kMinCtas>
__global__ void __launch_bounds__(32 * kWarps, kMinCtas) flash_prefill_kernel(const AttentionParams p) {
  constexpr int kWarpRows = 16 * kMTiles;
  constexpr int kBlockM = kWarpRows * kWarps;
  constexpr int kThreads = 32 * kWarps;
  constexpr int kRow = D + 8;  // +16 bytes per row: the 8 rows of an ldmatrix hit distinct banks
  constexpr int kChunks = D / 8;  // 16-byte chunks per row
  constexpr int kNTiles = kBlockN / 8;
  constexpr int kDTiles = D / 8;
  constexpr int kKSteps = D / 16;
  constexpr bool kAlibi = policy_has_alibi(P);
  static_assert(kBlockN % 16 == 0 && D % 16 == 0, "tile shapes must be multiples of 16");

  extern __shared__ __align__(128) unsigned char smem[];
  T* s_q = reinterpret_cast<T*>(smem);
  T* s_k = s_q + kBlockM * kRow;        // 2 stages
  T* s_v = s_k + 2 * kBlockN * kRow;    // 2 stages

  const int b = blockIdx.x / p.heads;
  const int h = blockIdx.x - b * p.heads;
  const int m0 = (gridDim.y - 1 - blockIdx.y) * kBlockM;  // longest causal tiles are scheduled first
  const int tid = threadIdx.x;
  const int warp = tid >> 5, lane = tid & 31;
  const int g = lane >> 2, t = lane & 3;  // mma fragment row group and thread-in-group

  const T* q = static_cast<const T*>(p.q) + b * p.q_strides[0] + h * p.q_strides[1];
  const int h_kv = h / (p.heads / p.kv_heads);  // grouped-query attention: the group's key/value head
  const T* k = static_cast<const T*>(p.k) + b * p.k_strides[0] + h_kv * p.k_strides[1];
  const T* v = static_cast<const T*>(p.v) + b * p.v_strides[0] + h_kv * p.v_strides[1];
  T* out = static_cast<T*>(p.out) + b * p.out_strides[0] + h * p.out_strides[1];

  const int key_start = p.key_start[b];
  const int q_pos_lo = p.q_pos0 + m0;
  const int q_pos_hi = p.q_pos0 + min(m0 + kBlockM, p.q_len) - 1;
  const KvTileRange range = kv_tile_range<P, kBlockN>(p, key_start, q_pos_lo, q_pos_hi);
  const int n_tiles = range.count();

  constexpr float kLog2e = 1.4426950408889634f;
  const float scale_log2 = p.scale * kLog2e;
  // Without ALiBi the softmax runs on raw scores (the row max commutes with a positive
  // scale) and folds the scale into the exponent's FMA; with ALiBi the scores are first
  // turned into log2 units, bias included, and the factor is 1.
  const float softmax_factor = kAlibi ? 1.f : scale_log2;
  float slope_log2 = 0.f;
  if constexpr (kAlibi) slope_log2 = p.alibi_slopes[h] * kLog2e;

  // Q tile -> shared (rows past Tq read as zeros).
  for (int i = tid; i < kBlockM * kChunks; i += kThreads) {
    const int r = i / kChunks, c = i - r * kChunks;
    const bool ok = m0 + r < p.q_len;
    const T* src = ok ? q + (m0 + r) * p.q_strides[2] + c * 8 : q;
    ptx::cp_async_16(ptx::smem_addr(s_q + r * kRow + c * 8), src, ok ? 16 : 0);
  }
  // K/V tile -> shared stage; keys before key_start or past Tk become zeros, so that
  // garbage in padding slots (even NaN) never meets a zero probability.
  auto load_kv = [&](int tile, int stage) {
    const int n0 = tile * kBlockN;
    T* dk = s_k + stage * kBlockN * kRow;
    T* dv = s_v + stage * kBlockN * kRow;
    for (int i = tid; i < kBlockN * kChunks; i += kThreads) {
      const int r = i / kChunks, c = i - r * kChunks;
      const int key = n0 + r;
      const bool ok = key >= key_start && key < p.k_len;
      const T* src_k = ok ? k + key * p.k_strides[2] + c * 8 : k;
      const T* src_v = ok ? v + key * p.v_strides[2] + c * 8 : v;
      ptx::cp_async_16(ptx::smem_addr(dk + r * kRow + c * 8), src_k, ok ? 16 : 0);
      ptx::cp_async_16(ptx::smem_addr(dv + r * kRow + c * 8), src_v, ok ? 16 : 0);
    }
  };
  if (n_tiles > 0) load_kv(range.tile(0), 0);
  ptx::cp_async_commit();

  constexpr bool kQInRegs = kQ == QStorage::kRegisters;
  uint32_t q_frag[kQInRegs ? kMTiles : 1][kQInRegs ? kKSteps : 1][4];
  float o[kMTiles][kDTiles][4];
  float row_max[kMTiles][2];  // in the units the scores are kept in (raw, or log2 with ALiBi)
  float row_sum[kMTiles][2];  // this thread's partial sums; reduced over the quad at the end
#pragma unroll
  for (int mt = 0; mt < kMTiles; ++mt) {
#pragma unroll
    for (int j = 0; j < kDTiles; ++j) o[mt][j][0] = o[mt][j][1] = o[mt][j][2] = o[mt][j][3] = 0.f;
    row_max[mt][0] = row_max[mt][1] = -INFINITY;
    row_sum[mt][0] = row_sum[mt][1] = 0.f;
  }

  const int warp_row = warp * kWarpRows;
  for (int it = 0; it < n_tiles; ++it) {
    const int stage = it & 1;
    // One barrier per tile: after it, tile `it` is visible to all and every warp is done
    // with tile it-1, whose stage the next load overwrites while this tile is computed.
    ptx::cp_async_wait<0>();
    __syncthreads();
    if (it + 1 < n_tiles) load_kv(range.tile(it + 1), stage ^ 1);
    ptx::cp_async_commit();
    // A fragment of Q: m tile mt, k step kk (rows 0-7 / 8-15 x columns 0-7 / 8-15).
    auto load_q_frag = [&](uint32_t(&dst)[4], int mt, int kk) {
      const int row = warp_row + mt * 16 + (lane & 7) + ((lane >> 3) & 1) * 8;
      const int col = kk * 16 + (lane >> 4) * 8;
      ptx::ldmatrix_x4(dst, ptx::smem_addr(s_q + row * kRow + col));
    };
    if constexpr (kQInRegs) {
      if (it == 0) {
#pragma unroll
        for (int mt = 0; mt < kMTiles; ++mt) {
#pragma unroll
          for (int kk = 0; kk < kKSteps; ++kk) load_q_frag(q_frag[mt][kk], mt, kk);
        }
      }
    }
    const T* sk = s_k + stage * kBlockN * kRow;
    const T* sv = s_v + stage * kBlockN * kRow;
    const int n0 = range.tile(it) * kBlockN;

    // S = Q K^T for this warp's rows and the tile's kBlockN keys.
    float s[kMTiles][kNTiles][4];
#pragma unroll
    for (int mt = 0; mt < kMTiles; ++mt) {
#pragma unroll
      for (int j = 0; j < kNTiles; ++j) s[mt][j][0] = s[mt][j][1] = s[mt][j][2] = s[mt][j][3] = 0.f;
    }
#pragma unroll
    for (int kk = 0; kk < kKSteps; ++kk) {
      uint32_t q_step[kQInRegs ? 1 : kMTiles][4];
      if constexpr (!kQInRegs) {
#pragma unroll
        for (int mt = 0; mt < kMTiles; ++mt) load_q_frag(q_step[mt], mt, kk);
      }
#pragma unroll
      for (int j2 = 0; j2 < kNTiles / 2; ++j2) {
        uint32_t kf[4];
        const int key = j2 * 16 + (lane & 7) + (lane >> 4) * 8;
        const int col = kk * 16 + ((lane >> 3) & 1) * 8;
        ptx::ldmatrix_x4(kf, ptx::smem_addr(sk + key * kRow + col));
#pragma unroll
        for (int mt = 0; mt < kMTiles; ++mt) {
          const uint32_t(&qa)[4] = kQInRegs ? q_frag[kQInRegs ? mt : 0][kQInRegs ? kk : 0] : q_step[kQInRegs ? 0 : mt];
          ptx::mma_16816<T>(s[mt][2 * j2], qa, kf[0], kf[1]);
          ptx::mma_16816<T>(s[mt][2 * j2 + 1], qa, kf[2], kf[3]);
        }
      }
    }

    // ALiBi bias, then the mask. Tiles wholly inside the visible region skip the mask (a
    // branch uniform over the CTA).
    if constexpr (kAlibi) {
#pragma unroll
      for (int mt = 0; mt < kMTiles; ++mt) {
#pragma unroll
        for (int half = 0; half < 2; ++half) {
          const int qpos = q_pos_lo + warp_row + mt * 16 + g + half * 8;
          // bias(j, e) = slope * (kpos - qpos) = row_bias + slope * (8 j + e), one FMA each.
          const float row_bias = slope_log2 * static_cast<float>(n0 + 2 * t - qpos);
#pragma unroll
          for (int j = 0; j < kNTiles; ++j) {
#pragma unroll
            for (int e = 0; e < 2; ++e) {
              float& x = s[mt][j][2 * half + e];
              x = fmaf(x, scale_log2, fmaf(static_cast<float>(8 * j + e), slope_log2, row_bias));
            }
          }
        }
      }
    }
    bool full = n0 + kBlockN - 1 <= q_pos_lo && n0 >= key_start && n0 + kBlockN <= p.k_len;
    if constexpr (policy_has_window(P)) {
      full = full && (q_pos_hi - n0 < p.window || n0 + kBlockN - 1 - key_start < p.global_tokens);
    }
    if (!full) {
      const int first_qpos = q_pos_lo + warp_row + g;
      if (policy_has_window(P) && n0 < key_start + p.global_tokens) {
        mask_tile<P, true>(s, p, key_start, n0, t, first_qpos);
      } else {
        mask_tile<P, false>(s, p, key_start, n0, t, first_qpos);
      }
    }

    // Online softmax: rows g (elements 0,1) and g + 8 (elements 2,3) of each m tile; a
    // row's scores are spread over the 4 threads of a quad.
#pragma unroll
    for (int mt = 0; mt < kMTiles; ++mt) {
#pragma unroll
      for (int half = 0; half < 2; ++half) {
        float mx = row_max[mt][half];
#pragma unroll
        for (int j = 0; j < kNTiles; ++j) mx = fmaxf(mx, fmaxf(s[mt][j][2 * half], s[mt][j][2 * half + 1]));
        mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 1));
        mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 2));
        // A row that has seen only masked keys keeps max -inf; subtract 0 instead so that
        // exp2(-inf - -inf) never makes a NaN.
        const float base = mx == -INFINITY ? 0.f : mx * softmax_factor;
        const float corr = ptx::ex2(fmaf(row_max[mt][half], softmax_factor, -base));
        row_max[mt][half] = mx;
        float sum = 0.f;
#pragma unroll
        for (int j = 0; j < kNTiles; ++j) {
#pragma unroll
          for (int e = 0; e < 2; ++e) {
            float& x = s[mt][j][2 * half + e];
            x = ptx::ex2(fmaf(x, softmax_factor, -base));
            sum += x;
          }
        }
        row_sum[mt][half] = row_sum[mt][half] * corr + sum;
#pragma unroll
        for (int j = 0; j < kDTiles; ++j) {
          o[mt][j][2 * half] *= corr;
          o[mt][j][2 * half + 1] *= corr;
        }
      }
    }

    // O += P V: the S accumulators are re-packed as the A operand (no shared memory).
#pragma unroll
    for (int kc = 0; kc < kBlockN / 16; ++kc) {
      uint32_t pf[kMTiles][4];
#pragma unroll
      for (int mt = 0; mt < kMTiles; ++mt) {
        pf[mt][0] = ptx::pack2<T>(s[mt][2 * kc][0], s[mt][2 * kc][1]);
        pf[mt][1] = ptx::pack2<T>(s[mt][2 * kc][2], s[mt][2 * kc][3]);
        pf[mt][2] = ptx::pack2<T>(s[mt][2 * kc + 1][0], s[mt][2 * kc + 1][1]);
        pf[mt][3] = ptx::pack2<T>(s[mt][2 * kc + 1][2], s[mt][2 * kc + 1][3]);
      }
#pragma unroll
      for (int d2 = 0; d2 < kDTiles / 2; ++d2) {
        uint32_t vf[4];
        const int key = kc * 16 + (lane & 7) + ((lane >> 3) & 1) * 8;
        const int col = d2 * 16 + (lane >> 4) * 8;
        ptx::ldmatrix_x4_trans(vf, ptx::smem_addr(sv + key * kRow + col));
#pragma unroll
        for (int mt = 0; mt < kMTiles; ++mt) {
          ptx::mma_16816<T>(o[mt][2 * d2], pf[mt], vf[0], vf[1]);
          ptx::mma_16816<T>(o[mt][2 * d2 + 1], pf[mt], vf[2], vf[3]);
        }
      }
    }
  }

  // Epilogue: normalise, stage this warp's rows in s_q (its own rows only), store 16 B wide.
  ptx::cp_async_wait<0>();
  __syncthreads();  // the Q copy may still be in flight when there were no KV tiles
#pragma unroll
  for (int mt = 0; mt < kMTiles; ++mt) {
#pragma unroll
    for (int half = 0; half < 2; ++half) {
      float sum = row_sum[mt][half];
      sum += __shfl_xor_sync(0xffffffffu, sum, 1);
      sum += __shfl_xor_sync(0xffffffffu, sum, 2);
      const float inv = sum > 0.f ? 1.f / sum : 0.f;  // a row with no visible key outputs 0
      if (p.lse != nullptr && t == 0) {  // the training path: the backward's log2-sum-exp
        const int row = m0 + warp_row + mt * 16 + g + half * 8;
        if (row < p.q_len) {
          p.lse[(static_cast<int64_t>(b) * p.heads + h) * p.q_len + row] =
              sum > 0.f ? fmaf(row_max[mt][half], softmax_factor, log2f(sum)) : INFINITY;
        }
      }
      T* dst = s_q + (warp_row + mt * 16 + g + half * 8) * kRow + 2 * t;
#pragma unroll
      for (int j = 0; j < kDTiles; ++j) {
        *reinterpret_cast<uint32_t*>(dst + j * 8) =
            ptx::pack2<T>(o[mt][j][2 * half] * inv, o[mt][j][2 * half + 1] * inv);
      }
    }
  }
  __syncwarp();
  for (int i = lane; i < kWarpRows * kChunks; i += 32) {
    const int r = i / kChunks, c = i - r * kChunks;
    const int row = m0 + warp_row + r;
    if (row < p.q_len) {
      *reinterpret_cast<uint4*>(out + row * p.out_strides[2] + c * 8) =
          *reinterpret_cast<const uint4*>(s_q + (warp_row + r) * kRow + c * 8);
    }
  }
}

template <typename T, int D, MaskPolicy P, int kWarps, int kMTiles, int kBlockN, QStorage kQ, int kMinCtas = 1>
cudaError_t launch_flash_prefill_tiled(const AttentionParams& p, cudaStream_t stream) {
  constexpr int kBlockM = 16 * kMTiles * kWarps;
  constexpr int kSmemBytes = (kBlockM + 4 * kBlockN) * (D + 8) * static_cast<int>(sizeof(T));
  auto kernel = flash_prefill_kernel<T, D, P, kWarps, kMTiles, kBlockN, kQ, kMinCtas>;
  // Above 48 KB a kernel must opt in; set every launch (cheap) so any device is covered.
  cudaError_t err = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, kSmemBytes);
  if (err != cudaSuccess) return err;
  const dim3 grid(p.batch * p.heads, (p.q_len + kBlockM - 1) / kBlockM);
  kernel<<<grid, 32 * kWarps, kSmemBytes, stream>>>(p);
  return cudaGetLastError();
}

template <typename T, int D, MaskPolicy P>
cudaError_t run_flash_prefill(const AttentionParams& p, cudaStream_t stream) {
  using Cfg = PrefillConfig<D, P>;
  return launch_flash_prefill_tiled<T, D, P, Cfg::kWarps, Cfg::kMTiles, Cfg::kBlockN, Cfg::kQ, Cfg::kMinCtas>(p,
                                                                                                             stream);
}

}  // namespace gptbench::kernels
