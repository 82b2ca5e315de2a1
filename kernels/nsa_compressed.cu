// nsa's compressed branch and block scores (docs/variants.md, "cmp" and the importance of "slc"):
// for each query, attention over the compressed blocks that ended at or before it, and the score of
// each selection block (+inf forced, the importance p_slc for the other eligible ones, -inf past the
// query). A CTA owns 32 / G consecutive queries of one (batch row, key/value head); each warp owns 8
// rows (8 / G queries x the G query heads of the group) and the warps walk the compressed keys
// together in tiles of 32, double-buffered in shared memory (cp.async), one key per lane. fp32
// throughout (the compressed keys and values are fp32, as the ATen path has them), scores in log2
// units, every score register-blocked over the warp's 8 rows so that a key read from shared memory
// feeds 8 dot products. Two passes over the keys: the first the online softmax and o_cmp, the
// second p_cmp = exp2(s - m) / l summed over the group's heads, turned into each selection block's
// importance as soon as every compressed block overlapping it has been seen (a window of the last
// few blocks' p per query in shared memory), so that no (query x blocks) array is ever held.
#include <cuda_runtime.h>  // cudaFuncSetAttribute, cudaGetLastError

#include <cstdint>  // int64_t

#include "nsa_select.cuh"        // warp_max, warp_sum, rescale, ElementOf, kLog2e
#include "nsa_select_launch.h"   // the entry point defined here
#include "ptx.cuh"               // cp_async_16, smem_addr, to_float

namespace gptbench::kernels {
namespace {

constexpr int kWarps = 4;
constexpr int kRows = 8;   // rows per warp: (query, head) pairs
constexpr int kTile = 32;  // compressed keys per tile: one per lane

// The sizes that decide which compressed blocks a selection block j gathers its importance from.
struct Blocks {
  int l, d, ls;  // compressed block, stride, selection block
  __device__ __forceinline__ int lo(int j) const {  // first compressed block overlapping selection block j
    const int a = j * ls - l + 1;
    return a <= 0 ? 0 : (a + d - 1) / d;
  }
  __device__ __forceinline__ int hi(int j) const { return ((j + 1) * ls - 1) / d; }  // the last one
  __device__ __forceinline__ float share(int i, int j) const {  // |[i d, i d + l) ∩ [j l', (j+1) l')| / l
    const int overlap = min(i * d + l, (j + 1) * ls) - max(i * d, j * ls);
    return overlap > 0 ? static_cast<float>(overlap) / static_cast<float>(l) : 0.f;
  }
};

// Shared-memory floats of one CTA: scaled queries, two stages of compressed keys and values, the
// warps' probabilities of a tile and their queries' windows of p.
struct Layout {
  int row, window, carry;
  int q, k, v, p, w, total;
  __host__ __device__ Layout(int d_head, const NsaSelectParams& prm) {
    row = d_head + 4;  // +16 bytes per row: eight lanes' 16-byte reads of eight rows hit distinct banks
    carry = (prm.block + prm.select_block) / prm.stride + 2;
    window = carry + kTile;
    q = 0;
    k = q + kWarps * kRows * d_head;
    v = k + 2 * kTile * row;
    p = v + 2 * kTile * row;
    w = p + kWarps * kRows * kTile;
    total = w + kWarps * kRows * window;
  }
};

template <typename T, int D, int G>
__global__ void __launch_bounds__(32 * kWarps) nsa_compressed_kernel(const NsaSelectParams p) {
  constexpr int kDl = D / 32;  // value dims per lane
  constexpr int kQw = kRows / G;  // queries per warp
  extern __shared__ __align__(16) float smem[];
  const Layout lay(D, p);
  const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
  const int b = blockIdx.y / p.kv_heads, hk = blockIdx.y - b * p.kv_heads;
  const int t_first = blockIdx.x * kWarps * kQw;
  const int t_warp = t_first + warp * kQw;
  const int64_t key_start = p.key_start[b];
  const Blocks blk{p.block, p.stride, p.select_block};
  const float* kc = p.kc + (static_cast<int64_t>(b) * p.kv_heads + hk) * p.nc * D;
  const float* vc = p.vc + (static_cast<int64_t>(b) * p.kv_heads + hk) * p.nc * D;
  float* s_q = smem + lay.q + warp * kRows * D;
  float* s_k = smem + lay.k;
  float* s_v = smem + lay.v;
  float* s_p = smem + lay.p + warp * kRows * kTile;
  float* s_w = smem + lay.w + warp * kRows * lay.window;

  // Each of this warp's queries: its position, and how many compressed blocks it sees (-1: no query).
  int rel[kQw], seen[kQw];
#pragma unroll
  for (int qi = 0; qi < kQw; ++qi) {
    const int t = t_warp + qi;
    rel[qi] = t < p.q_len ? static_cast<int>(p.q_pos0 + t - key_start) : -1;
    seen[qi] = rel[qi] >= p.block - 1 ? min((rel[qi] - p.block + 1) / p.stride + 1, p.nc) : 0;
  }
  // The CTA's last query bounds the tiles: the most blocks seen, and the last selection block to score.
  const int t_last = min(t_first + kWarps * kQw, p.q_len) - 1;
  const int rel_last = static_cast<int>(p.q_pos0 + t_last - key_start);
  const int seen_last = rel_last >= p.block - 1 ? min((rel_last - p.block + 1) / p.stride + 1, p.nc) : 0;
  const int scored_last = rel_last >= 0 ? blk.hi(rel_last / p.select_block) + 1 : 0;

  // Queries, scaled into log2 units (padding and missing rows zero).
  const float q_scale = p.scale * nsa::kLog2e;
  for (int i = lane; i < kRows * D; i += 32) {
    const int r = i / D, c = i - r * D, t = t_warp + r / G, h = hk * G + r % G;
    float x = 0.f;
    if (t < p.q_len && p.q_pos0 + t >= key_start) {
      const T* q = static_cast<const T*>(p.q) + b * p.q_strides[0] + h * p.q_strides[1] + t * p.q_strides[2];
      x = ptx::to_float(q[c]) * q_scale;
    }
    s_q[i] = x;
  }
  for (int i = lane; i < kRows * lay.window; i += 32) s_w[i] = 0.f;

  auto load_tile = [&](int tile, int stage, bool values) {
    const int i0 = tile * kTile;
    for (int c = tid; c < kTile * (D / 4); c += 32 * kWarps) {
      const int r = c / (D / 4), col = (c - r * (D / 4)) * 4;
      float* dk = s_k + (stage * kTile + r) * lay.row + col;
      float* dv = s_v + (stage * kTile + r) * lay.row + col;
      if (i0 + r >= p.nc) {  // past the compressed blocks (never visible): zeros, no read
        *reinterpret_cast<float4*>(dk) = make_float4(0.f, 0.f, 0.f, 0.f);
        if (values) *reinterpret_cast<float4*>(dv) = make_float4(0.f, 0.f, 0.f, 0.f);
        continue;
      }
      const int64_t off = static_cast<int64_t>(i0 + r) * D + col;
      ptx::cp_async_16(ptx::smem_addr(dk), kc + off, 16);
      if (values) ptx::cp_async_16(ptx::smem_addr(dv), vc + off, 16);
    }
  };
  // s[r] = q_r . k_lane (log2 units), -inf where the lane's block is not visible to row r's query.
  auto scores = [&](float (&s)[kRows], int stage, int i0) {
#pragma unroll
    for (int r = 0; r < kRows; ++r) s[r] = 0.f;
    const float* key = s_k + (stage * kTile + lane) * lay.row;
#pragma unroll 4
    for (int c = 0; c < D; c += 4) {
      const float4 kv = *reinterpret_cast<const float4*>(key + c);
#pragma unroll
      for (int r = 0; r < kRows; ++r) {
        const float4 qv = *reinterpret_cast<const float4*>(s_q + r * D + c);
        s[r] = fmaf(qv.x, kv.x, fmaf(qv.y, kv.y, fmaf(qv.z, kv.z, fmaf(qv.w, kv.w, s[r]))));
      }
    }
#pragma unroll
    for (int r = 0; r < kRows; ++r) {
      if (i0 + lane >= seen[r / G]) s[r] = -INFINITY;
    }
  };

  // Pass 1: o_cmp by online softmax.
  float m[kRows], l[kRows], o[kRows][kDl];
#pragma unroll
  for (int r = 0; r < kRows; ++r) {
    m[r] = -INFINITY;
    l[r] = 0.f;
#pragma unroll
    for (int e = 0; e < kDl; ++e) o[r][e] = 0.f;
  }
  const int tiles1 = (seen_last + kTile - 1) / kTile;
  if (tiles1 > 0) load_tile(0, 0, true);
  ptx::cp_async_commit();
  for (int it = 0; it < tiles1; ++it) {
    const int stage = it & 1;
    ptx::cp_async_wait<0>();
    __syncthreads();
    if (it + 1 < tiles1) load_tile(it + 1, stage ^ 1, true);
    ptx::cp_async_commit();
    bool none = true;  // nothing of this tile is visible to any of the warp's queries
#pragma unroll
    for (int qi = 0; qi < kQw; ++qi) none = none && seen[qi] <= it * kTile;
    if (none) continue;
    float s[kRows];
    scores(s, stage, it * kTile);
#pragma unroll
    for (int r = 0; r < kRows; ++r) {
      const float now = fmaxf(m[r], nsa::warp_max(s[r]));
      float pr = 0.f;
      if (now != -INFINITY) {
        const float corr = nsa::rescale(m[r], now);
        pr = exp2f(s[r] - now);
        l[r] = l[r] * corr + pr;
#pragma unroll
        for (int e = 0; e < kDl; ++e) o[r][e] *= corr;
        m[r] = now;
      }
      s_p[r * kTile + lane] = pr;
    }
    __syncwarp();
    const float* sv = s_v + stage * kTile * lay.row + lane * kDl;
#pragma unroll 2
    for (int kk = 0; kk < kTile; kk += 4) {
      float vals[4][kDl];
#pragma unroll
      for (int u = 0; u < 4; ++u) {
#pragma unroll
        for (int e = 0; e < kDl; ++e) vals[u][e] = sv[(kk + u) * lay.row + e];
      }
#pragma unroll
      for (int r = 0; r < kRows; ++r) {
        const float4 pr = *reinterpret_cast<const float4*>(s_p + r * kTile + kk);
#pragma unroll
        for (int e = 0; e < kDl; ++e)
          o[r][e] = fmaf(pr.x, vals[0][e], fmaf(pr.y, vals[1][e], fmaf(pr.z, vals[2][e], fmaf(pr.w, vals[3][e], o[r][e]))));
      }
    }
    __syncwarp();
  }
#pragma unroll
  for (int r = 0; r < kRows; ++r) {
    l[r] = nsa::warp_sum(l[r]);
    const int t = t_warp + r / G;
    if (t >= p.q_len) continue;
    const float inv = l[r] > 0.f ? 1.f / l[r] : 0.f;  // no block seen (or padding): 0
    const int h = hk * G + r % G;
    float* out = p.out_cmp + b * p.out_strides[0] + h * p.out_strides[1] + t * p.out_strides[2] + lane * kDl;
#pragma unroll
    for (int e = 0; e < kDl; ++e) out[e] = o[r][e] * inv;
  }

  // Scores of the selection blocks past each query (never selected) and of every block of a padding query.
#pragma unroll
  for (int qi = 0; qi < kQw; ++qi) {
    const int t = t_warp + qi;
    if (t >= p.q_len) break;
    float* row = p.block_score + ((static_cast<int64_t>(b) * p.kv_heads + hk) * p.q_len + t) * p.ns;
    const int first = rel[qi] >= 0 ? rel[qi] / p.select_block + 1 : 0;
    for (int j = first + lane; j < p.ns; j += 32) row[j] = -INFINITY;
  }

  // Pass 2: p_cmp, summed over the group's heads, into each selection block's importance.
  int next_j[kQw];  // per query: the first selection block not yet scored
#pragma unroll
  for (int qi = 0; qi < kQw; ++qi) next_j[qi] = 0;
  const int tiles2 = (max(seen_last, scored_last) + kTile - 1) / kTile;
  __syncthreads();  // every warp is done with pass 1's stages
  if (tiles2 > 0) load_tile(0, 0, false);
  ptx::cp_async_commit();
  for (int it = 0; it < tiles2; ++it) {
    const int stage = it & 1, i0 = it * kTile;
    ptx::cp_async_wait<0>();
    __syncthreads();
    if (it + 1 < tiles2) load_tile(it + 1, stage ^ 1, false);
    ptx::cp_async_commit();
    float s[kRows];
    scores(s, stage, i0);
    float p_sum[kQw];
#pragma unroll
    for (int qi = 0; qi < kQw; ++qi) p_sum[qi] = 0.f;
#pragma unroll
    for (int r = 0; r < kRows; ++r) {
      const float pr = l[r] > 0.f && s[r] != -INFINITY ? exp2f(s[r] - m[r]) / l[r] : 0.f;
      p_sum[r / G] += pr;
    }
#pragma unroll
    for (int qi = 0; qi < kQw; ++qi) s_w[qi * lay.window + lay.carry + lane] = p_sum[qi];
    __syncwarp();
    // Every selection block whose compressed blocks have all been seen gets its score.
    const int window_first = i0 - lay.carry;  // the compressed block at window index 0
#pragma unroll
    for (int qi = 0; qi < kQw; ++qi) {
      if (rel[qi] < 0) continue;
      const int own = rel[qi] / p.select_block;
      const float* w = s_w + qi * lay.window;
      float* row = p.block_score + ((static_cast<int64_t>(b) * p.kv_heads + hk) * p.q_len + t_warp + qi) * p.ns;
      while (next_j[qi] <= own) {
        const int j = next_j[qi] + lane;
        const bool ready = j <= own && blk.hi(j) < i0 + kTile;
        const unsigned ready_mask = __ballot_sync(nsa::kFullMask, ready);
        if (ready) {
          float score = INFINITY;  // forced: the initial block and the two local ones
          if (j != 0 && j != own && j != own - 1) {
            score = 0.f;
            for (int i = blk.lo(j), last = blk.hi(j); i <= last; ++i) score += w[i - window_first] * blk.share(i, j);
          }
          row[j] = score;
        }
        const int done = __popc(ready_mask);  // blocks are ready in order of j
        next_j[qi] += done;
        if (done < 32) break;
      }
    }
    __syncwarp();
    // Slide the windows: the last `carry` blocks' p move to the front.
#pragma unroll
    for (int qi = 0; qi < kQw; ++qi) {
      float keep[4];
#pragma unroll
      for (int u = 0; u < 4; ++u) {
        const int idx = lane + 32 * u;
        keep[u] = idx < lay.carry ? s_w[qi * lay.window + kTile + idx] : 0.f;
      }
      __syncwarp();
#pragma unroll
      for (int u = 0; u < 4; ++u) {
        const int idx = lane + 32 * u;
        if (idx < lay.carry) s_w[qi * lay.window + idx] = keep[u];
      }
      __syncwarp();
    }
  }
}

template <typename T, int D, int G>
cudaError_t launch_grouped(const NsaSelectParams& p, cudaStream_t stream) {
  const Layout lay(D, p);
  const int bytes = lay.total * static_cast<int>(sizeof(float));
  auto kernel = nsa_compressed_kernel<T, D, G>;
  cudaError_t err = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, bytes);
  if (err != cudaSuccess) return err;
  const int per_cta = kWarps * (kRows / G);
  const dim3 grid((p.q_len + per_cta - 1) / per_cta, p.batch * p.kv_heads);
  kernel<<<grid, 32 * kWarps, bytes, stream>>>(p);
  return cudaGetLastError();
}

template <typename T, int D>
cudaError_t launch_typed(const NsaSelectParams& p, cudaStream_t stream) {
  switch (p.heads / p.kv_heads) {
    case 1: return launch_grouped<T, D, 1>(p, stream);
    case 2: return launch_grouped<T, D, 2>(p, stream);
    case 4: return launch_grouped<T, D, 4>(p, stream);
    case 8: return launch_grouped<T, D, 8>(p, stream);
    default: return cudaErrorInvalidValue;
  }
}

}  // namespace

cudaError_t launch_nsa_compressed(const NsaSelectParams& p, cudaStream_t stream) {
  if (p.q_len == 0 || p.batch == 0 || p.kv_heads == 0) return cudaSuccess;
  if (p.batch * p.kv_heads > 65535) return cudaErrorInvalidValue;  // grid.y
  // The window slide keeps at most 128 blocks per lane group of four (nsa_select_supported checks it).
  if ((p.block + p.select_block) / p.stride + 2 > 128) return cudaErrorInvalidValue;
  return nsa::dispatch(p, [&](auto element, auto dim) {
    return launch_typed<decltype(element), decltype(dim)::value>(p, stream);
  });
}

}  // namespace gptbench::kernels
