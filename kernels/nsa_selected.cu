// nsa's selected branch (docs/variants.md, "slc"): for each query, softmax attention over the raw
// tokens of its selected blocks (nsa_topk.cu chose them), causal inside its own block. One CTA per
// (query, row, key/value head) serves the G query heads of the group, which share the selection:
// each key and value row is loaded once for all of them. Its four warps take the selected blocks in
// turn (split over the blocks, so that a decode step's single query still keeps four warps busy) and
// merge their softmax states at the end. A warp walks a block 32 tokens at a time: a lane loads its
// token's key (16-byte vectors, the read-only cache) and scores it against every head (fp32, log2
// units); then lanes cover the 32 tokens' value rows eight elements each (D / 8 lanes per row,
// 256 / D rows at once) and accumulate p v per head in fp32. fp16/bf16 in, fp32 out.
#include <cuda_runtime.h>  // cudaGetLastError

#include <cstdint>  // int64_t

#include "nsa_select.cuh"       // unpack8, warp_max, warp_sum, rescale, kLog2e
#include "nsa_select_launch.h"  // the entry point defined here
#include "ptx.cuh"              // to_float

namespace gptbench::kernels {
namespace {

constexpr int kWarps = 4;

template <typename T, int D, int G>
__global__ void __launch_bounds__(32 * kWarps) nsa_selected_kernel(const NsaSelectParams p) {
  constexpr int kVec = D / 8;          // 16-byte vectors per row
  constexpr int kRowLanes = D / 8;     // lanes covering one value row
  constexpr int kRowsAtOnce = 32 / kRowLanes;
  __shared__ __align__(16) float s_q[G][D];
  __shared__ __align__(16) float s_o[kWarps][G][D];
  __shared__ float s_m[kWarps][G], s_l[kWarps][G];

  const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
  const int t = blockIdx.x;
  const int b = blockIdx.y / p.kv_heads, hk = blockIdx.y - b * p.kv_heads;
  const int64_t key_start = p.key_start[b];
  const int64_t rel = p.q_pos0 + t - key_start;
  float* out = p.out_slc + b * p.out_strides[0] + hk * G * p.out_strides[1] + t * p.out_strides[2];
  const int64_t out_head = p.out_strides[1];  // between the group's heads
  if (rel < 0) {  // a padding query: 0
    for (int i = tid; i < G * D; i += 32 * kWarps) out[(i / D) * out_head + i % D] = 0.f;
    return;
  }
  const float q_scale = p.scale * nsa::kLog2e;
  for (int i = tid; i < G * D; i += 32 * kWarps) {
    const int g = i / D, c = i - g * D;
    const T* q = static_cast<const T*>(p.q) + b * p.q_strides[0] + (hk * G + g) * p.q_strides[1] + t * p.q_strides[2];
    s_q[g][c] = ptx::to_float(q[c]) * q_scale;
  }
  __syncthreads();

  const T* k = static_cast<const T*>(p.k) + b * p.k_strides[0] + hk * p.k_strides[1];
  const T* v = static_cast<const T*>(p.v) + b * p.v_strides[0] + hk * p.v_strides[1];
  const int32_t* blocks = p.blocks + ((static_cast<int64_t>(b) * p.kv_heads + hk) * p.q_len + t) * p.nsel;
  const int row_off = lane / kRowLanes, col = (lane % kRowLanes) * 8;
  float m[G], l[G], acc[G][8];
#pragma unroll
  for (int g = 0; g < G; ++g) {
    m[g] = -INFINITY;
    l[g] = 0.f;
#pragma unroll
    for (int e = 0; e < 8; ++e) acc[g][e] = 0.f;
  }
  for (int slot = warp; slot < p.nsel; slot += kWarps) {
    const int j = blocks[slot];
    if (j < 0) continue;
    const int64_t first = static_cast<int64_t>(j) * p.select_block;  // the block's first token (relative)
    for (int c0 = 0; c0 < p.select_block; c0 += 32) {
      if (first + c0 > rel) break;  // the rest of the block is after the query
      const int64_t x = first + c0 + lane;
      const bool valid = c0 + lane < p.select_block && x <= rel;
      float s[G];
#pragma unroll
      for (int g = 0; g < G; ++g) s[g] = 0.f;
      if (valid) {
        const uint4* key = reinterpret_cast<const uint4*>(k + (key_start + x) * p.k_strides[2]);
#pragma unroll
        for (int u = 0; u < kVec; ++u) {
          float kf[8];
          nsa::unpack8<T>(__ldg(key + u), kf);
#pragma unroll
          for (int g = 0; g < G; ++g) {
            const float4 qa = *reinterpret_cast<const float4*>(&s_q[g][8 * u]);
            const float4 qb = *reinterpret_cast<const float4*>(&s_q[g][8 * u + 4]);
            s[g] = fmaf(qa.x, kf[0], fmaf(qa.y, kf[1], fmaf(qa.z, kf[2], fmaf(qa.w, kf[3], s[g]))));
            s[g] = fmaf(qb.x, kf[4], fmaf(qb.y, kf[5], fmaf(qb.z, kf[6], fmaf(qb.w, kf[7], s[g]))));
          }
        }
      }
      float pr[G];
#pragma unroll
      for (int g = 0; g < G; ++g) {
        const float sg = valid ? s[g] : -INFINITY;
        const float now = fmaxf(m[g], nsa::warp_max(sg));  // finite: lane 0's token is valid
        const float corr = nsa::rescale(m[g], now);
        pr[g] = valid ? exp2f(sg - now) : 0.f;
        l[g] = l[g] * corr + pr[g];
#pragma unroll
        for (int e = 0; e < 8; ++e) acc[g][e] *= corr;
        m[g] = now;
      }
      // O += P V: kRowsAtOnce tokens per step, each value row read as D / 8 16-byte vectors.
#pragma unroll
      for (int r0 = 0; r0 < 32; r0 += kRowsAtOnce) {
        const int src = r0 + row_off;  // the lane (token) whose probabilities this row uses
        const bool row_valid = __shfl_sync(nsa::kFullMask, valid, src);
        float pg[G];
#pragma unroll
        for (int g = 0; g < G; ++g) pg[g] = __shfl_sync(nsa::kFullMask, pr[g], src);
        if (row_valid) {
          float vf[8];
          nsa::unpack8<T>(__ldg(reinterpret_cast<const uint4*>(v + (key_start + first + c0 + src) * p.v_strides[2] + col)), vf);
#pragma unroll
          for (int g = 0; g < G; ++g) {
#pragma unroll
            for (int e = 0; e < 8; ++e) acc[g][e] = fmaf(pg[g], vf[e], acc[g][e]);
          }
        }
      }
    }
  }
  // This warp's state: the lanes of one row position hold the same columns; add the row positions.
#pragma unroll
  for (int g = 0; g < G; ++g) {
#pragma unroll
    for (int off = kRowLanes; off < 32; off <<= 1) {
#pragma unroll
      for (int e = 0; e < 8; ++e) acc[g][e] += __shfl_xor_sync(nsa::kFullMask, acc[g][e], off);
    }
    l[g] = nsa::warp_sum(l[g]);
    if (lane < kRowLanes) {
#pragma unroll
      for (int e = 0; e < 8; ++e) s_o[warp][g][col + e] = acc[g][e];
    }
    if (lane == 0) {
      s_m[warp][g] = m[g];
      s_l[warp][g] = l[g];
    }
  }
  __syncthreads();
  // Merge the warps' states (a warp that saw no block has max -inf and weighs 0).
  for (int i = tid; i < G * D; i += 32 * kWarps) {
    const int g = i / D, c = i - g * D;
    float mx = -INFINITY;
#pragma unroll
    for (int w = 0; w < kWarps; ++w) mx = fmaxf(mx, s_m[w][g]);
    float sum = 0.f, o = 0.f;
    if (mx != -INFINITY) {
#pragma unroll
      for (int w = 0; w < kWarps; ++w) {
        const float f = nsa::rescale(s_m[w][g], mx);
        sum += s_l[w][g] * f;
        o += s_o[w][g][c] * f;
      }
    }
    out[g * out_head + c] = sum > 0.f ? o / sum : 0.f;
  }
}

template <typename T, int D>
cudaError_t launch_typed(const NsaSelectParams& p, cudaStream_t stream) {
  const dim3 grid(p.q_len, p.batch * p.kv_heads);
  switch (p.heads / p.kv_heads) {
    case 1: nsa_selected_kernel<T, D, 1><<<grid, 32 * kWarps, 0, stream>>>(p); break;
    case 2: nsa_selected_kernel<T, D, 2><<<grid, 32 * kWarps, 0, stream>>>(p); break;
    case 4: nsa_selected_kernel<T, D, 4><<<grid, 32 * kWarps, 0, stream>>>(p); break;
    case 8: nsa_selected_kernel<T, D, 8><<<grid, 32 * kWarps, 0, stream>>>(p); break;
    default: return cudaErrorInvalidValue;
  }
  return cudaGetLastError();
}

}  // namespace

cudaError_t launch_nsa_selected(const NsaSelectParams& p, cudaStream_t stream) {
  if (p.q_len == 0 || p.batch == 0 || p.kv_heads == 0) return cudaSuccess;
  if (p.batch * p.kv_heads > 65535) return cudaErrorInvalidValue;  // grid.y
  return nsa::dispatch(p, [&](auto element, auto dim) {
    return launch_typed<decltype(element), decltype(dim)::value>(p, stream);
  });
}

}  // namespace gptbench::kernels
