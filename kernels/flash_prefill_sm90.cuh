// Fused attention forward for Hopper (sm_90a): the same function as flash_prefill.cuh (same
// AttentionParams, same visibility rule through kv_tile_range / mask_tile, same log2-domain
// online softmax), with Hopper's own instructions:
//  - persistent CTAs (one per resident slot) that walk (batch, head, query block) items;
//  - a producer warpgroup whose one elected thread loads each item's Q and its K/V tiles into a
//    ring of kStages shared-memory stages with bulk tensor copies (TMA) completing on mbarriers;
//    the next item's Q is loaded as soon as the consumers' last S = Q K^T of this item is done;
//  - kConsumerGroups consumer warpgroups of 64 query rows each: S = Q K^T with wgmma reading both
//    operands from shared memory, O += P V with P from registers (the S accumulators re-packed)
//    and V from shared memory; the softmax of tile i runs while P V of tile i-1 is in flight; a
//    stage is released (empty barrier) as soon as the wgmma that read it has completed;
//  - setmaxnreg moves registers from the producer to the consumers.
// Grouped-query attention: the K/V descriptors span the Hkv heads and query head h loads kv head
// h / (H / Hkv): the G query heads of a group read the same K/V tiles (no copies).
// The KV tile grid starts at the row's key_start (TMA boxes need no alignment), so keys before
// it (padding, possibly NaN) are never loaded; keys past Tk arrive as zeros and are masked.
// Included only by the per-instantiation .cu files; sm_90a-only bodies are guarded, and the
// launcher refuses devices other than compute capability 9.x and binaries without sm_90a code.
#pragma once

#include <cuda.h>          // CUtensorMap
#include <cuda_bf16.h>     // __nv_bfloat16
#include <cuda_runtime.h>  // dim3, cudaFuncSetAttribute, cudaFuncGetAttributes, cudaGetLastError, cudaDeviceGetAttribute

#include <algorithm>    // std::min
#include <cstdint>      // uint32_t, uint4, int64_t
#include <type_traits>  // std::is_same_v

#include "attention_params.h"   // AttentionParams, MaskPolicy, policy_has_alibi/window
#include "flash_prefill.cuh"    // KvTileRange, kv_tile_range, mask_tile (the sm_80 kernel's rule)
#include "flash_prefill_sm90.h"  // run_flash_prefill_sm90 (declaration)
#include "flash_prefill_sm90_config.h"  // PrefillSm90Config, prefill_sm90_layout_ok
#include "ptx.cuh"              // smem_addr, ex2, pack2
#include "sm90_ptx.cuh"         // mbarriers, tma_load_4d, setmaxnreg
#include "sm90_tensor_map.cuh"  // make_attention_tensor_map
#include "sm90_wgmma.cuh"       // smem_desc_sw128, wgmma_ss, wgmma_rs, fence/commit/wait

namespace gptbench::kernels {

struct Sm90TensorMaps {
  CUtensorMap q, k, v;  // boxes of 64 columns x kBlockM (q) or kBlockN (k, v) rows
};

// Byte offsets inside the CTA's shared memory (from a 1024-byte aligned base). A tile of R rows
// is stored as D / 64 column blocks of R rows x 128 bytes, each 128-byte swizzled by the TMA.
template <int D, MaskPolicy P>
struct Sm90SmemLayout {
  using Cfg = PrefillSm90Config<D, P>;
  static constexpr int kRowBytes = 128;
  static constexpr int kQBytes = Cfg::kBlockM * D * 2;
  static constexpr int kKvBytes = Cfg::kBlockN * D * 2;
  static constexpr int kOOffset = kQBytes + 2 * Cfg::kStages * kKvBytes;  // O staging, same shape as Q
  static constexpr int kBarriers = 2 + 4 * Cfg::kStages;  // q_full, q_empty, k/v_full, k/v_empty
  static constexpr int kBarrierOffset = kOOffset + kQBytes;
  static constexpr int kBytes = kBarrierOffset + 8 * kBarriers + 1024;  // + alignment slack
};

// Online softmax of one 64 x kBlockN S tile in the wgmma accumulator layout: this thread holds
// rows g (elements 0, 1) and g + 8 (elements 2, 3); a row is spread over the 4 threads of a quad.
// factor: scale to log2 units applied inside the exponent (1 when the scores already are).
// S becomes P (unnormalised); corr is the factor O must be rescaled by before P V is added,
// left to the caller because O may still be in use by an earlier wgmma.
template <int kNTiles>
__device__ __forceinline__ void online_softmax_tile(float (&s)[kNTiles][4], float (&row_max)[2],
                                                    float (&row_sum)[2], float factor, float (&corr)[2]) {
#pragma unroll
  for (int half = 0; half < 2; ++half) {
    float mx = row_max[half];
#pragma unroll
    for (int j = 0; j < kNTiles; ++j) mx = fmaxf(mx, fmaxf(s[j][2 * half], s[j][2 * half + 1]));
    mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 1));
    mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 2));
    // A row that has seen only masked keys keeps max -inf: subtract 0 so exp2 never sees NaN.
    const float base = mx == -INFINITY ? 0.f : mx * factor;
    corr[half] = ptx::ex2(fmaf(row_max[half], factor, -base));
    row_max[half] = mx;
    float sum = 0.f;
#pragma unroll
    for (int j = 0; j < kNTiles; ++j) {
#pragma unroll
      for (int e = 0; e < 2; ++e) {
        float& x = s[j][2 * half + e];
        x = ptx::ex2(fmaf(x, factor, -base));
        sum += x;
      }
    }
    row_sum[half] = row_sum[half] * corr[half] + sum;
  }
}

// One work item of the persistent grid: a (batch, head, query block) and the KV tiles it visits.
struct Sm90WorkItem {
  int b, h, m0, key_start, n_tiles;
  int q_pos_lo, q_pos_hi;  // positions of the block's first and last real query
  KvTileRange range;       // tile indices counted from key_start
};

// Items are numbered with the longest causal query blocks first (all heads of the last block,
// then the one before), so the static stride of the persistent grid spreads long and short ones.
template <MaskPolicy P, int kBlockM, int kBlockN>
__device__ __forceinline__ Sm90WorkItem sm90_work_item(const AttentionParams& p, int item, int m_blocks) {
  Sm90WorkItem w;
  const int batch_heads = p.batch * p.heads;
  const int bh = item % batch_heads;
  w.b = bh / p.heads;
  w.h = bh - w.b * p.heads;
  w.m0 = (m_blocks - 1 - item / batch_heads) * kBlockM;
  w.key_start = p.key_start[w.b];
  w.q_pos_lo = p.q_pos0 + w.m0;
  w.q_pos_hi = p.q_pos0 + min(w.m0 + kBlockM, p.q_len) - 1;
  // The sm_80 rule on a key axis shifted by key_start: the tile grid starts there.
  AttentionParams from_key_start = p;
  from_key_start.k_len = p.k_len - w.key_start;
  w.range = kv_tile_range<P, kBlockN>(from_key_start, 0, w.q_pos_lo - w.key_start, w.q_pos_hi - w.key_start);
  w.n_tiles = w.range.count();
  return w;
}

template <typename T, int D, MaskPolicy P>
__global__ void __launch_bounds__(PrefillSm90Config<D, P>::kThreads, PrefillSm90Config<D, P>::kCtasPerSm)
    flash_prefill_sm90_kernel(const AttentionParams p, const __grid_constant__ Sm90TensorMaps maps) {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
  using Cfg = PrefillSm90Config<D, P>;
  using Smem = Sm90SmemLayout<D, P>;
  constexpr int kBlockM = Cfg::kBlockM;
  constexpr int kBlockN = Cfg::kBlockN;
  constexpr int kStages = Cfg::kStages;
  constexpr int kColumnBlocks = D / 64;
  constexpr int kNTiles = kBlockN / 8;
  constexpr int kDTiles = D / 8;
  constexpr bool kAlibi = policy_has_alibi(P);
  constexpr uint32_t kSw = Smem::kRowBytes;

  extern __shared__ unsigned char smem_raw[];
  const uint32_t smem = (ptx::smem_addr(smem_raw) + 1023u) & ~1023u;
  const uint32_t s_q = smem;
  auto s_k = [&](int stage) { return smem + Smem::kQBytes + stage * Smem::kKvBytes; };
  auto s_v = [&](int stage) { return smem + Smem::kQBytes + (kStages + stage) * Smem::kKvBytes; };
  const uint32_t bars = smem + Smem::kBarrierOffset;
  const uint32_t q_full = bars;
  auto k_full = [&](int stage) { return bars + 8 * (1 + stage); };
  auto v_full = [&](int stage) { return bars + 8 * (1 + kStages + stage); };
  auto k_empty = [&](int stage) { return bars + 8 * (1 + 2 * kStages + stage); };
  auto v_empty = [&](int stage) { return bars + 8 * (1 + 3 * kStages + stage); };

  const uint32_t q_empty = bars + 8 * (1 + 4 * kStages);
  const uint32_t s_o = smem + Smem::kOOffset;
  const int m_blocks = (p.q_len + kBlockM - 1) / kBlockM;
  const int n_items = m_blocks * p.batch * p.heads;
  auto work_item = [&](int item) { return sm90_work_item<P, kBlockM, kBlockN>(p, item, m_blocks); };
  // Round r gives CTA c item r * G + c on even rounds and r * G + G - 1 - c on odd ones (G = gridDim.x):
  // items get shorter along the numbering, so the snake order evens out each CTA's total.
  auto item_of = [&](int round) {
    const int grid = static_cast<int>(gridDim.x), cta = static_cast<int>(blockIdx.x);
    return round * grid + ((round & 1) ? grid - 1 - cta : cta);
  };
  const int warpgroup = threadIdx.x / 128;

  if (threadIdx.x == 0) {
    sm90::mbarrier_init(q_full, 1);
    sm90::mbarrier_init(q_empty, Cfg::kConsumerGroups * 4);  // one arrival per consumer warp
#pragma unroll
    for (int s = 0; s < kStages; ++s) {
      sm90::mbarrier_init(k_full(s), 1);
      sm90::mbarrier_init(v_full(s), 1);
      sm90::mbarrier_init(k_empty(s), Cfg::kConsumerGroups * 4);
      sm90::mbarrier_init(v_empty(s), Cfg::kConsumerGroups * 4);
    }
    sm90::fence_barrier_init();
  }
  __syncthreads();

  // Persistent CTAs (items in item_of's order). Producer and consumers walk the same
  // items and count KV tiles the same way (kv: tiles of all earlier items), so stage and phase of
  // the ring agree without any other communication.
  if (warpgroup == 0) {
    // Producer: one thread issues every copy. A stage is reused once every consumer warp has
    // released it; Q of the next item is loaded once the consumers' last S of this item is done,
    // so it overlaps their last softmax, P V and epilogue.
    sm90::setmaxnreg_dec<Cfg::kProducerRegs>();
    if (threadIdx.x == 0) {
      sm90::tma_prefetch_map(&maps.q);
      sm90::tma_prefetch_map(&maps.k);
      sm90::tma_prefetch_map(&maps.v);
      int kv = 0, round_q = 0;
      const int group = p.heads / p.kv_heads;  // grouped-query attention: query head h reads kv head h / group
      for (int round = 0; round * static_cast<int>(gridDim.x) < n_items; ++round) {
        const int item = item_of(round);
        if (item >= n_items) continue;
        const Sm90WorkItem w = work_item(item);
        const int h_kv = w.h / group;
        if (round_q > 0) sm90::mbarrier_wait(q_empty, (round_q - 1) & 1);
        sm90::mbarrier_arrive_expect_tx(q_full, Smem::kQBytes);
#pragma unroll
        for (int c = 0; c < kColumnBlocks; ++c) {
          sm90::tma_load_4d(s_q + c * kBlockM * kSw, &maps.q, q_full, c * 64, w.m0, w.h, w.b);
        }
        for (int it = 0; it < w.n_tiles; ++it, ++kv) {
          const int stage = kv % kStages;
          const int round = kv / kStages;
          const int n0 = w.key_start + w.range.tile(it) * kBlockN;
          if (round > 0) sm90::mbarrier_wait(k_empty(stage), (round - 1) & 1);
          sm90::mbarrier_arrive_expect_tx(k_full(stage), Smem::kKvBytes);
#pragma unroll
          for (int c = 0; c < kColumnBlocks; ++c) {
            sm90::tma_load_4d(s_k(stage) + c * kBlockN * kSw, &maps.k, k_full(stage), c * 64, n0, h_kv, w.b);
          }
          if (round > 0) sm90::mbarrier_wait(v_empty(stage), (round - 1) & 1);
          sm90::mbarrier_arrive_expect_tx(v_full(stage), Smem::kKvBytes);
#pragma unroll
          for (int c = 0; c < kColumnBlocks; ++c) {
            sm90::tma_load_4d(s_v(stage) + c * kBlockN * kSw, &maps.v, v_full(stage), c * 64, n0, h_kv, w.b);
          }
        }
        ++round_q;
      }
    }
  } else {
    sm90::setmaxnreg_inc<Cfg::kConsumerRegs>();
    const int group_row0 = (warpgroup - 1) * 64;  // this group's first row inside the CTA tile
    const int tid = threadIdx.x % 128;
    const int warp = tid / 32, lane = tid % 32;
    const int g = lane / 4, t = lane % 4;

    constexpr float kLog2e = 1.4426950408889634f;
    const float scale_log2 = p.scale * kLog2e;
    // As in the sm_80 kernel: without ALiBi the max is taken on raw scores and the scale is
    // folded into the exponent's FMA; with ALiBi the scores become log2 units first.
    const float softmax_factor = kAlibi ? 1.f : scale_log2;

    // Per-item state, set at the top of each item.
    int key_start = 0, group_pos_lo = 0, group_pos_hi = 0, first_qpos = 0;
    float slope_log2 = 0.f;
    float o[kDTiles][4];
    float row_max[2], row_sum[2];

    // S = Q K^T into s: D / 16 k steps, 32 bytes apart inside a 128-byte swizzle row.
    auto issue_s = [&](float(&s)[kNTiles][4], int stage) {
      sm90::wgmma_fence();
#pragma unroll
      for (int kk = 0; kk < D / 16; ++kk) {
        const uint32_t column = (kk % 4) * 32;
        const uint64_t desc_q =
            sm90::smem_desc_sw128(s_q + (kk / 4) * kBlockM * kSw + group_row0 * kSw + column, 0, 1024);
        const uint64_t desc_k = sm90::smem_desc_sw128(s_k(stage) + (kk / 4) * kBlockN * kSw + column, 0, 1024);
        sm90::wgmma_ss<T, kBlockN>(s, desc_q, desc_k, kk > 0 ? 1 : 0);
      }
      sm90::wgmma_commit();
    };
    // O += P V, 16 keys a step; pf must stay untouched until the group has completed.
    auto issue_pv = [&](const uint32_t(&pf)[kBlockN / 16][4], int stage) {
      sm90::wgmma_fence();
#pragma unroll
      for (int kc = 0; kc < kBlockN / 16; ++kc) {
        const uint64_t desc_v = sm90::smem_desc_sw128(s_v(stage) + kc * 16 * kSw, kBlockN * kSw, 1024);
        sm90::wgmma_rs<T, D>(o, pf[kc], desc_v, 1);
      }
      sm90::wgmma_commit();
    };
    // Scores of the tile at n0 -> unnormalised probabilities: ALiBi, mask, online softmax.
    auto softmax = [&](float(&s)[1][kNTiles][4], int n0, float(&corr)[2]) {
      if constexpr (kAlibi) {
        // ALiBi's slope * (kpos - qpos) = slope * (kpos - group_pos_lo) - slope * (qpos - group_pos_lo):
        // the second term is the same for every key of a row and cancels in the softmax, so both
        // of this thread's rows share one bias per column (32 FMAs a tile instead of 64), and the
        // keys that carry weight (near qpos) keep small, exact biases.
        const float tile_bias = slope_log2 * static_cast<float>(n0 + 2 * t - group_pos_lo);
        float column_bias[kNTiles][2];
#pragma unroll
        for (int j = 0; j < kNTiles; ++j) {
#pragma unroll
          for (int e = 0; e < 2; ++e) column_bias[j][e] = fmaf(static_cast<float>(8 * j + e), slope_log2, tile_bias);
        }
#pragma unroll
        for (int j = 0; j < kNTiles; ++j) {
#pragma unroll
          for (int c = 0; c < 4; ++c) s[0][j][c] = fmaf(s[0][j][c], scale_log2, column_bias[j][c & 1]);
        }
      }
      // Uniform over the warpgroup: tiles wholly visible to its 64 rows skip the mask.
      bool full = n0 + kBlockN - 1 <= group_pos_lo && n0 + kBlockN <= p.k_len;
      if constexpr (policy_has_window(P)) {
        full = full && (group_pos_hi - n0 < p.window || n0 + kBlockN - 1 - key_start < p.global_tokens);
      }
      if (!full) {
        if (policy_has_window(P) && n0 < key_start + p.global_tokens) {
          mask_tile<P, true>(s, p, key_start, n0, t, first_qpos);
        } else {
          mask_tile<P, false>(s, p, key_start, n0, t, first_qpos);
        }
      }
      online_softmax_tile(s[0], row_max, row_sum, softmax_factor, corr);
    };
    // P packed as the register A operand (m16n8k16 A-fragment layout).
    auto pack = [&](uint32_t(&pf)[kBlockN / 16][4], const float(&s)[kNTiles][4]) {
#pragma unroll
      for (int kc = 0; kc < kBlockN / 16; ++kc) {
        pf[kc][0] = ptx::pack2<T>(s[2 * kc][0], s[2 * kc][1]);
        pf[kc][1] = ptx::pack2<T>(s[2 * kc][2], s[2 * kc][3]);
        pf[kc][2] = ptx::pack2<T>(s[2 * kc + 1][0], s[2 * kc + 1][1]);
        pf[kc][3] = ptx::pack2<T>(s[2 * kc + 1][2], s[2 * kc + 1][3]);
      }
    };
    auto release = [&](uint32_t bar) {
      if (lane == 0) sm90::mbarrier_arrive(bar);
    };
    // O staging: this group's rows of the O buffer, the 128-byte swizzle of the Q tile
    // (conflict-free 4-byte writes, 16-byte reads).
    unsigned char* o_generic = smem_raw + (s_o - ptx::smem_addr(smem_raw));
    auto staged = [&](int row, int chunk) {  // row inside the CTA tile, 16-byte chunk of D
      return o_generic + (chunk / 8) * kBlockM * kSw + row * kSw + ((chunk % 8) ^ (row % 8)) * 16;
    };

    float s[1][kNTiles][4];
    uint32_t pf[kBlockN / 16][4];
    float corr[2];
    int kv = 0, round_q = 0;
    for (int round = 0; round * static_cast<int>(gridDim.x) < n_items; ++round) {
      const int item = item_of(round);
      if (item >= n_items) continue;
      const Sm90WorkItem w = work_item(item);
      key_start = w.key_start;
      group_pos_lo = w.q_pos_lo + group_row0;
      group_pos_hi = min(group_pos_lo + 63, p.q_pos0 + p.q_len - 1);
      first_qpos = group_pos_lo + 16 * warp + g;  // this thread's rows: +0 and +8
      if constexpr (kAlibi) slope_log2 = p.alibi_slopes[w.h] * kLog2e;
      row_max[0] = row_max[1] = -INFINITY;
      row_sum[0] = row_sum[1] = 0.f;
#pragma unroll
      for (int j = 0; j < kDTiles; ++j) o[j][0] = o[j][1] = o[j][2] = o[j][3] = 0.f;
      auto tile_start = [&](int it) { return w.key_start + w.range.tile(it) * kBlockN; };
      auto stage_of = [&](int it) { return (kv + it) % kStages; };
      auto phase_of = [&](int it) { return static_cast<uint32_t>((kv + it) / kStages) & 1; };

      // Software pipeline inside the warpgroup: S of tile it and P V of tile it-1 are issued
      // together; the softmax of tile it runs while P V of tile it-1 is on the tensor cores, and
      // O is rescaled only once that P V has completed. Q is released after the last S.
      sm90::mbarrier_wait(q_full, round_q & 1);
      if (w.n_tiles == 0) release(q_empty);
      if (w.n_tiles > 0) {
        sm90::mbarrier_wait(k_full(stage_of(0)), phase_of(0));
        issue_s(s[0], stage_of(0));
        sm90::wgmma_wait<0>();
        sm90::fence_accumulators(s[0]);
        release(k_empty(stage_of(0)));
        if (w.n_tiles == 1) release(q_empty);
        softmax(s, tile_start(0), corr);  // O is still 0: nothing to rescale
        pack(pf, s[0]);
      }
      for (int it = 1; it < w.n_tiles; ++it) {
        const int stage = stage_of(it), prev = stage_of(it - 1);
        sm90::mbarrier_wait(k_full(stage), phase_of(it));
        issue_s(s[0], stage);
        sm90::mbarrier_wait(v_full(prev), phase_of(it - 1));
        issue_pv(pf, prev);
        sm90::wgmma_wait<1>();  // S done; P V may still run
        sm90::fence_accumulators(s[0]);
        release(k_empty(stage));
        if (it == w.n_tiles - 1) release(q_empty);
        softmax(s, tile_start(it), corr);
        sm90::wgmma_wait<0>();
        sm90::fence_accumulators(o);
        release(v_empty(prev));
#pragma unroll
        for (int j = 0; j < kDTiles; ++j) {
          o[j][0] *= corr[0], o[j][1] *= corr[0];
          o[j][2] *= corr[1], o[j][3] *= corr[1];
        }
        pack(pf, s[0]);
      }
      if (w.n_tiles > 0) {
        const int last = stage_of(w.n_tiles - 1);
        sm90::mbarrier_wait(v_full(last), phase_of(w.n_tiles - 1));
        issue_pv(pf, last);
        sm90::wgmma_wait<0>();
        sm90::fence_accumulators(o);
        release(v_empty(last));
      }
      kv += w.n_tiles;

      // Epilogue: normalise, stage this warp's 16 rows, then 16-byte coalesced global stores.
      T* out = static_cast<T*>(p.out) + w.b * p.out_strides[0] + w.h * p.out_strides[1];
      __syncwarp();  // the previous item's reads of the staging rows are done
#pragma unroll
      for (int half = 0; half < 2; ++half) {
        float sum = row_sum[half];
        sum += __shfl_xor_sync(0xffffffffu, sum, 1);
        sum += __shfl_xor_sync(0xffffffffu, sum, 2);
        const float inv = sum > 0.f ? 1.f / sum : 0.f;  // a row with no visible key outputs 0
        const int row = group_row0 + 16 * warp + g + 8 * half;
#pragma unroll
        for (int j = 0; j < kDTiles; ++j) {
          *reinterpret_cast<uint32_t*>(staged(row, j) + 4 * t) =
              ptx::pack2<T>(o[j][2 * half] * inv, o[j][2 * half + 1] * inv);
        }
      }
      __syncwarp();
      for (int i = lane; i < 16 * kDTiles; i += 32) {
        const int r = i / kDTiles, c = i - r * kDTiles;
        const int row = group_row0 + 16 * warp + r;
        if (w.m0 + row < p.q_len) {
          *reinterpret_cast<uint4*>(out + (w.m0 + row) * p.out_strides[2] + c * 8) =
              *reinterpret_cast<const uint4*>(staged(row, c));
        }
      }
      ++round_q;
    }
  }
#else
  __trap();  // built for an architecture without wgmma: the launcher never starts it there
#endif
}

template <typename T, int D, MaskPolicy P>
cudaError_t run_flash_prefill_sm90(const AttentionParams& p, cudaStream_t stream) {
  using Cfg = PrefillSm90Config<D, P>;
  if (p.batch == 0 || p.heads == 0 || p.q_len == 0) return cudaSuccess;
  int device = 0, major = 0;
  cudaError_t err = cudaGetDevice(&device);
  if (err == cudaSuccess) err = cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device);
  if (err != cudaSuccess) return err;
  if (major != 9) return cudaErrorNotSupported;
  if (p.head_dim != D || p.k_len < 1 || p.kv_heads < 1 || p.heads % p.kv_heads != 0 ||
      !prefill_sm90_layout_ok(p, static_cast<int>(sizeof(T)))) {
    return cudaErrorInvalidValue;
  }
  constexpr bool kBf16 = std::is_same_v<T, __nv_bfloat16>;
  Sm90TensorMaps maps;
  if (!sm90::make_attention_tensor_map(&maps.q, p.q, kBf16, p.batch, p.heads, p.q_len, D, p.q_strides, Cfg::kBlockM) ||
      !sm90::make_attention_tensor_map(&maps.k, p.k, kBf16, p.batch, p.kv_heads, p.k_len, D, p.k_strides, Cfg::kBlockN) ||
      !sm90::make_attention_tensor_map(&maps.v, p.v, kBf16, p.batch, p.kv_heads, p.k_len, D, p.v_strides, Cfg::kBlockN)) {
    return cudaErrorInvalidValue;
  }
  constexpr int kSmemBytes = Sm90SmemLayout<D, P>::kBytes;
  auto kernel = flash_prefill_sm90_kernel<T, D, P>;
  // A binary without sm_90a code would run this kernel from older PTX, whose body only traps.
  static const bool has_sm90a_code = [&] {
    cudaFuncAttributes attr{};
    return cudaFuncGetAttributes(&attr, kernel) == cudaSuccess && attr.ptxVersion >= 90;
  }();
  if (!has_sm90a_code) return cudaErrorNotSupported;
  err = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, kSmemBytes);
  if (err != cudaSuccess) return err;
  // Persistent grid: every resident CTA slot once, each walking its items in the kernel's item_of order.
  int sms = 0;
  err = cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device);
  if (err != cudaSuccess) return err;
  const int64_t items = int64_t((p.q_len + Cfg::kBlockM - 1) / Cfg::kBlockM) * p.batch * p.heads;
  const int grid = static_cast<int>(std::min<int64_t>(items, int64_t(sms) * Cfg::kCtasPerSm));
  kernel<<<grid, Cfg::kThreads, kSmemBytes, stream>>>(p, maps);
  return cudaGetLastError();
}

}  // namespace gptbench::kernels
