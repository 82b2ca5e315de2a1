// nsa's block selection (docs/variants.md, "slc"): the n highest of each query's block scores
// (nsa_compressed.cu wrote them: +inf for the forced blocks, the importance of the other eligible
// blocks, -inf for the rest, never chosen), highest first, equal scores the lower block first (the
// ATen path's stable sort). One warp per (row, key/value head, query): a sorted list of n <= 64
// entries held two per lane (slots lane and 32 + lane), fed the scores 32 at a time in order of the
// block; a score enters only when it beats the list's last entry, so most chunks cost one ballot.
#include <cuda_runtime.h>  // cudaGetLastError

#include <cstdint>  // int64_t, int32_t

#include "nsa_select.cuh"       // kFullMask
#include "nsa_select_launch.h"  // the entry point defined here, kNsaMaxSelected

namespace gptbench::kernels {
namespace {

constexpr int kWarps = 4;
static_assert(kNsaMaxSelected <= 64, "the list holds two entries per lane");

__global__ void __launch_bounds__(32 * kWarps) nsa_topk_kernel(const NsaSelectParams p) {
  const int lane = threadIdx.x & 31;
  const int64_t query = static_cast<int64_t>(blockIdx.x) * kWarps + (threadIdx.x >> 5);
  const int64_t queries = static_cast<int64_t>(p.batch) * p.kv_heads * p.q_len;
  if (query >= queries) return;
  const float* score = p.block_score + query * p.ns;
  const int n = p.nsel;
  // Slot lane (first half) and 32 + lane (second half): score and block, -inf / -1 when empty.
  float v0 = -INFINITY, v1 = -INFINITY;
  int j0 = -1, j1 = -1;
  // The list's last entry (slot n - 1): a score must beat it to enter.
  auto last_score = [&] {
    const int s = n - 1;
    return s < 32 ? __shfl_sync(nsa::kFullMask, v0, s) : __shfl_sync(nsa::kFullMask, v1, s - 32);
  };
  float threshold = -INFINITY;
  for (int base = 0; base < p.ns; base += 32) {
    const int j = base + lane;
    const float x = j < p.ns ? score[j] : -INFINITY;
    // Equal to the last entry is not enough: that entry's block is lower.
    unsigned enter = __ballot_sync(nsa::kFullMask, x > threshold);
    while (enter != 0) {
      const int from = __ffs(enter) - 1;  // the lowest block first
      const float cx = __shfl_sync(nsa::kFullMask, x, from);
      const int cj = base + from;
      // Entries >= cx stay ahead of it; the rest move one slot down.
      const int pos = __popc(__ballot_sync(nsa::kFullMask, v0 >= cx)) + __popc(__ballot_sync(nsa::kFullMask, v1 >= cx));
      const float up0 = __shfl_up_sync(nsa::kFullMask, v0, 1), up1 = __shfl_up_sync(nsa::kFullMask, v1, 1);
      const int uj0 = __shfl_up_sync(nsa::kFullMask, j0, 1), uj1 = __shfl_up_sync(nsa::kFullMask, j1, 1);
      const float carry_v = __shfl_sync(nsa::kFullMask, v0, 31);  // slot 31 moves to slot 32
      const int carry_j = __shfl_sync(nsa::kFullMask, j0, 31);
      const int s0 = lane, s1 = 32 + lane;
      if (s1 > pos) {
        v1 = lane == 0 ? carry_v : up1;
        j1 = lane == 0 ? carry_j : uj1;
      } else if (s1 == pos) {
        v1 = cx;
        j1 = cj;
      }
      if (s0 > pos) {
        v0 = up0;
        j0 = uj0;
      } else if (s0 == pos) {
        v0 = cx;
        j0 = cj;
      }
      threshold = last_score();
      enter &= ~(1u << from);
      enter &= __ballot_sync(nsa::kFullMask, x > threshold);
    }
  }
  int32_t* out = p.blocks + query * n;
  if (lane < n) out[lane] = j0;
  if (32 + lane < n) out[32 + lane] = j1;
}

}  // namespace

cudaError_t launch_nsa_topk(const NsaSelectParams& p, cudaStream_t stream) {
  const int64_t queries = static_cast<int64_t>(p.batch) * p.kv_heads * p.q_len;
  if (queries == 0) return cudaSuccess;
  if (p.nsel < 1 || p.nsel > kNsaMaxSelected) return cudaErrorInvalidValue;
  const int64_t blocks = (queries + kWarps - 1) / kWarps;
  if (blocks > 0x7fffffff) return cudaErrorInvalidValue;
  nsa_topk_kernel<<<static_cast<unsigned>(blocks), 32 * kWarps, 0, stream>>>(p);
  return cudaGetLastError();
}

}  // namespace gptbench::kernels
