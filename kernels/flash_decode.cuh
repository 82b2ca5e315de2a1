// Split-KV decode (flash-decoding) for one query token per row: the keys of each (b, h)
// are cut into num_splits ranges, one CTA each; a CTA streams its K/V range once with
// 16-byte loads (memory bound), keeps an online softmax per thread group, and writes a
// normalised partial output plus its log-sum-exp; a second kernel combines the splits.
// Included only by the per-instantiation .cu files that the build generates.
#pragma once

#include <cuda_runtime.h>  // dim3, cudaGetLastError

#include <cstdint>      // int32_t, uint4
#include <type_traits>  // std::integral_constant

#include "attention_params.h"  // AttentionParams, MaskPolicy
#include "flash_config.h"      // kDecodeThreads, kDecodeUnroll, decode_heads_per_cta
#include "flash_mask.cuh"      // RowMask
#include "launch_overlap.cuh"  // overlap::allow_dependent_launch
#include "ptx.cuh"             // ex2, to_float, from_float

namespace gptbench::kernels {

// The keys one row scans, as a virtual index v in [0, span): with a rolling cache
// (key_pos) every slot; with contiguous keys the sinks [key_start, key_start + n_sink)
// first, then the window band [band_lo, min(qpos, Tk - 1)] (the causal range when no window).
template <MaskPolicy P>
struct DecodeSpan {
  int span = 0, n_sink = 0, key_start = 0, band_lo = 0;

  __device__ __forceinline__ DecodeSpan(const AttentionParams& p, int key_start_b, int qpos) : key_start(key_start_b) {
    if (p.key_pos != nullptr) {
      span = p.k_len;
      return;
    }
    const int hi = min(qpos, p.k_len - 1);
    band_lo = key_start;
    if constexpr (policy_has_window(P)) {
      band_lo = max(key_start, qpos - p.window + 1);
      n_sink = max(0, min(min(key_start + p.global_tokens, band_lo), hi + 1) - key_start);
    }
    span = n_sink + max(0, hi - band_lo + 1);
  }
  __device__ __forceinline__ int slot(int vi) const { return vi < n_sink ? key_start + vi : band_lo + (vi - n_sink); }
};

// One CTA per (b, block of kHeads query heads sharing one key/value head, split): every K/V
// element it loads feeds all kHeads query heads (grouped-query attention reads K/V once per group).
template <typename T, int D, MaskPolicy P, int kUnroll, int kHeads>
__global__ void __launch_bounds__(kDecodeThreads) flash_decode_kernel(const AttentionParams p) {
  constexpr int kLanesPerKey = D / 8;  // each lane holds 8 elements = 16 bytes of a key row
  constexpr int kGroups = kDecodeThreads / kLanesPerKey;
  static_assert(kLanesPerKey <= 32 && 32 % kLanesPerKey == 0, "a key's lanes must sit in one warp");

  __shared__ float s_max[kGroups][kHeads], s_sum[kGroups][kHeads];
  __shared__ float s_acc[kGroups][kHeads][D];

  overlap::allow_dependent_launch();  // an overlapped GEMV after attention may start its weight prefetch
  const int head_blocks = p.heads / kHeads;
  const int b = blockIdx.y / head_blocks;
  const int h0 = (blockIdx.y - b * head_blocks) * kHeads;  // first query head of this CTA
  const int h_kv = h0 / (p.heads / p.kv_heads);
  const int split = blockIdx.x;
  const int tid = threadIdx.x;
  const int group = tid / kLanesPerKey, gl = tid - group * kLanesPerKey;

  const T* q = static_cast<const T*>(p.q) + b * p.q_strides[0] + h0 * p.q_strides[1];
  const T* k = static_cast<const T*>(p.k) + b * p.k_strides[0] + h_kv * p.k_strides[1];
  const T* v = static_cast<const T*>(p.v) + b * p.v_strides[0] + h_kv * p.v_strides[1];
  const int32_t* key_pos = p.key_pos != nullptr ? p.key_pos + b * p.key_pos_batch_stride : nullptr;

  constexpr float kLog2e = 1.4426950408889634f;
  float qf[kHeads][8];
  float slope_log2[kHeads];
#pragma unroll
  for (int hq = 0; hq < kHeads; ++hq) {
    const uint4 raw = *reinterpret_cast<const uint4*>(q + hq * p.q_strides[1] + gl * 8);
    const T* e = reinterpret_cast<const T*>(&raw);
#pragma unroll
    for (int i = 0; i < 8; ++i) qf[hq][i] = ptx::to_float<T>(e[i]) * (p.scale * kLog2e);
    slope_log2[hq] = 0.f;
    if constexpr (policy_has_alibi(P)) slope_log2[hq] = p.alibi_slopes[h0 + hq] * kLog2e;
  }

  const int key_start = p.key_start[b];
  const int qpos = p.q_pos_device != nullptr ? static_cast<int>(*p.q_pos_device) : p.q_pos0;
  const RowMask<P> mask{key_start, p.window, p.global_tokens};
  const DecodeSpan<P> span(p, key_start, qpos);
  const int chunk = (span.span + p.num_splits - 1) / p.num_splits;
  const int v_begin = split * chunk;
  const int v_end = min(span.span, v_begin + chunk);

  float m[kHeads], l[kHeads];
  float acc[kHeads][8];
#pragma unroll
  for (int hq = 0; hq < kHeads; ++hq) {
    m[hq] = -INFINITY;
    l[hq] = 0.f;
#pragma unroll
    for (int i = 0; i < 8; ++i) acc[hq][i] = 0.f;
  }

  for (int vb = v_begin; vb < v_end; vb += kGroups * kUnroll) {
    uint4 kr[kUnroll], vr[kUnroll];
    int kpos[kUnroll];
    // Issue every load of this step before using any.
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      const int vi = vb + u * kGroups + group;
      kpos[u] = -1;
      kr[u] = vr[u] = make_uint4(0u, 0u, 0u, 0u);
      if (vi < v_end) {
        const int slot = span.slot(vi);
        kpos[u] = key_pos != nullptr ? key_pos[slot] : slot;
        kr[u] = __ldg(reinterpret_cast<const uint4*>(k + slot * p.k_strides[2] + gl * 8));
        vr[u] = __ldg(reinterpret_cast<const uint4*>(v + slot * p.v_strides[2] + gl * 8));
      }
    }
    bool vis[kUnroll];
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) vis[u] = mask.visible(qpos, kpos[u]);  // kpos -1 fails key_start <= kpos
#pragma unroll
    for (int hq = 0; hq < kHeads; ++hq) {
      float s[kUnroll];
      float step_max = -INFINITY;
#pragma unroll
      for (int u = 0; u < kUnroll; ++u) {
        const T* ke = reinterpret_cast<const T*>(&kr[u]);
        float dot = 0.f;
#pragma unroll
        for (int i = 0; i < 8; ++i) dot = fmaf(qf[hq][i], ptx::to_float<T>(ke[i]), dot);
#pragma unroll
        for (int off = 1; off < kLanesPerKey; off <<= 1) dot += __shfl_xor_sync(0xffffffffu, dot, off);
        if constexpr (policy_has_alibi(P)) dot -= slope_log2[hq] * static_cast<float>(qpos - kpos[u]);
        s[u] = vis[u] ? dot : -INFINITY;
        step_max = fmaxf(step_max, s[u]);
      }
      const float m_new = fmaxf(m[hq], step_max);
      const float base = m_new == -INFINITY ? 0.f : m_new;
      const float corr = ptx::ex2(m[hq] - base);
      m[hq] = m_new;
      l[hq] *= corr;
#pragma unroll
      for (int i = 0; i < 8; ++i) acc[hq][i] *= corr;
#pragma unroll
      for (int u = 0; u < kUnroll; ++u) {
        // Invisible slots may hold garbage (an empty cache slot, even NaN): never touch their V.
        if (vis[u]) {
          const float pr = ptx::ex2(s[u] - base);
          l[hq] += pr;
          const T* ve = reinterpret_cast<const T*>(&vr[u]);
#pragma unroll
          for (int i = 0; i < 8; ++i) acc[hq][i] = fmaf(pr, ptx::to_float<T>(ve[i]), acc[hq][i]);
        }
      }
    }
  }

  // Merge the thread groups of this CTA, per query head.
#pragma unroll
  for (int hq = 0; hq < kHeads; ++hq) {
    if (gl == 0) {
      s_max[group][hq] = m[hq];
      s_sum[group][hq] = l[hq];
    }
#pragma unroll
    for (int i = 0; i < 8; ++i) s_acc[group][hq][gl * 8 + i] = acc[hq][i];
  }
  __syncthreads();
  for (int idx = tid; idx < kHeads * D; idx += kDecodeThreads) {
    const int hq = idx / D, d = idx - hq * D;
    float mx = -INFINITY;
#pragma unroll
    for (int gi = 0; gi < kGroups; ++gi) mx = fmaxf(mx, s_max[gi][hq]);
    const float base = mx == -INFINITY ? 0.f : mx;
    float sum = 0.f, o = 0.f;
#pragma unroll
    for (int gi = 0; gi < kGroups; ++gi) {
      const float w = ptx::ex2(s_max[gi][hq] - base);
      sum += s_sum[gi][hq] * w;
      o += s_acc[gi][hq][d] * w;
    }
    const float val = sum > 0.f ? o / sum : 0.f;  // no visible key: exactly 0
    const int h = h0 + hq;
    if (p.num_splits == 1) {
      T* out = static_cast<T*>(p.out) + b * p.out_strides[0] + h * p.out_strides[1];
      out[d] = ptx::from_float<T>(val);
    } else {
      const int64_t slot = (static_cast<int64_t>(b) * p.heads + h) * p.num_splits + split;
      p.partial_out[slot * D + d] = val;
      if (d == 0) p.partial_lse[slot] = sum > 0.f ? base + __log2f(sum) : -INFINITY;
    }
  }
}

// out[b, h] = sum_s 2^(lse_s - M) * partial_s / sum_s 2^(lse_s - M); one CTA per (b, h).
template <typename T, int D>
__global__ void __launch_bounds__(D) flash_decode_combine_kernel(const AttentionParams p) {
  overlap::allow_dependent_launch();
  const int bh = blockIdx.x;
  const int b = bh / p.heads, h = bh - b * p.heads;
  const int d = threadIdx.x;
  const float* lse = p.partial_lse + static_cast<int64_t>(bh) * p.num_splits;
  const float* part = p.partial_out + static_cast<int64_t>(bh) * p.num_splits * D;
  float mx = -INFINITY;
  for (int s = 0; s < p.num_splits; ++s) mx = fmaxf(mx, lse[s]);
  float val = 0.f;
  if (mx != -INFINITY) {
    float sum = 0.f, o = 0.f;
    for (int s = 0; s < p.num_splits; ++s) {
      const float w = ptx::ex2(lse[s] - mx);
      sum += w;
      o = fmaf(w, part[s * D + d], o);
    }
    val = o / sum;
  }
  T* out = static_cast<T*>(p.out) + b * p.out_strides[0] + h * p.out_strides[1];
  out[d] = ptx::from_float<T>(val);
}

template <typename T, int D, MaskPolicy P, int kHeads>
cudaError_t launch_flash_decode_grouped(const AttentionParams& p, cudaStream_t stream) {
  const dim3 grid(p.num_splits, p.batch * (p.heads / kHeads));
  flash_decode_kernel<T, D, P, kDecodeUnroll, kHeads><<<grid, kDecodeThreads, 0, stream>>>(p);
  cudaError_t err = cudaGetLastError();
  if (err != cudaSuccess || p.num_splits == 1) return err;
  flash_decode_combine_kernel<T, D><<<p.batch * p.heads, D, 0, stream>>>(p);
  return cudaGetLastError();
}

// The compiled heads-per-CTA counts (decode_heads_per_cta's answers) -> f(integral_constant<int, n>).
template <typename R, typename F>
R visit_decode_heads_per_cta(const AttentionParams& p, F&& f) {
  switch (decode_heads_per_cta(p.heads / p.kv_heads)) {
    case 8: return f(std::integral_constant<int, 8>{});
    case 4: return f(std::integral_constant<int, 4>{});
    case 2: return f(std::integral_constant<int, 2>{});
    default: return f(std::integral_constant<int, 1>{});
  }
}

template <typename T, int D, MaskPolicy P>
cudaError_t run_flash_decode(const AttentionParams& p, cudaStream_t stream) {
  return visit_decode_heads_per_cta<cudaError_t>(
      p, [&](auto heads) { return launch_flash_decode_grouped<T, D, P, decltype(heads)::value>(p, stream); });
}

template <typename T, int D, MaskPolicy P>
int flash_decode_ctas_per_sm(const AttentionParams& p) {
  return visit_decode_heads_per_cta<int>(p, [](auto heads) {
    int n = 0;
    if (cudaOccupancyMaxActiveBlocksPerMultiprocessor(
            &n, flash_decode_kernel<T, D, P, kDecodeUnroll, decltype(heads)::value>, kDecodeThreads, 0) != cudaSuccess) {
      cudaGetLastError();
      return 1;
    }
    return n;
  });
}

}  // namespace gptbench::kernels
