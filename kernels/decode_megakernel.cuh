// The persistent whole-step decode kernel for GPT-2 (issue 22): one launch runs a greedy decode step of B <= 8
// rows at one device position, every layer and the lm_head, and leaves the next token id and position where the
// next launch reads them. Design and prediction: kernels/NOTES.md, "Issue 22, step 1"; parameters, the shared
// memory plan and the constants: decode_megakernel_params.h; how the CTAs wait for each other: megakernel_sync.cuh.
//
// One CTA per SM, 8 consumer warps + 1 producer warp. The producer's one thread walks the CTA's schedule (the
// same walk the consumers make, from the same parameters) and streams everything that does not depend on this
// launch's activations through a ring of shared-memory stages with 1-D TMA bulk copies: the LayerNorm parameters,
// the 8-row weight tiles (with their biases), the past keys and values of the CTA's attention items, the token
// and position embedding rows. It only waits for free stages, so the weight stream runs ahead of the consumers
// while they wait for activations. The consumers, per layer:
//   qkv   the residual rows (flagged words; the embedding at layer 0) -> LayerNorm 1 -> tiles of 8 qkv columns:
//         q and the new key/value as flagged words, the key/value also into the cache at the device position;
//   attn  items (row, head, split) over the CTAs: online softmax over the split's past keys (ring) and, in the
//         last split, the new key (flagged words); the splits of a (row, head) meet through a ticket, the last
//         one combines them into y (flagged words);
//   out   y -> tiles: + bias + residual -> the residual after attention (flagged words);
//   fc    that residual -> LayerNorm 2 -> tiles: + bias, GELU -> h (flagged words);
//   proj  h -> tiles: + bias + residual -> the residual after the MLP (flagged words);
// then ln_f + the tied lm_head with each CTA's argmax per row, and a ticket whose last CTA reduces them into the
// next token ids, advances the position and the launch number.
//
// A weight tile's GEMV: mma.sync m16n8k16 with x as A (rows 0..B-1 of 16; rows 8-15 are zero registers) and 8
// weight rows as B, fp32 accumulators. Inside each 32-element k chunk the k order is permuted identically for A
// and B, so that lane (g = lane / 4, t = lane % 4) covers elements 8t .. 8t+7 of the chunk with one 16-byte load of
// x row g and one of weight row g: elements 8t+0..3 feed the first MMA, 8t+4..7 the second. The 8 warps split a
// stage's chunks and add their sums in shared memory in warp order.
#pragma once

#include <cuda_bf16.h>     // __nv_bfloat16
#include <cuda_fp16.h>     // __half
#include <cuda_runtime.h>  // __shfl_xor_sync, __ldcg

#include <climits>  // INT_MAX
#include <cstdint>  // int64_t, uint32_t, uint64_t
#include <cstdio>   // printf

#include "decode_megakernel_params.h"  // MegakernelParams, constants, layouts
#include "gemv_kernel.cuh"             // gemv::layer_norm_row, gelu_tanh, gelu_erf, unpack8: the GEMV path's math
#include "megakernel_sync.cuh"         // flagged words, tickets, grid_barrier, consumer_sync, deadlines
#include "ptx.cuh"                     // mma_16816, ex2, to_float, from_float, smem_addr
#include "sm90_ptx.cuh"                // mbarriers, bulk_copy_g2s

namespace gptbench::kernels::megakernel {

using ptx::from_float;
using ptx::to_float;

__host__ __device__ constexpr int gemv_index(MegakernelGemv g) { return static_cast<int>(g); }

template <typename T>
struct Bits;
template <>
struct Bits<__half> {
  static __device__ __forceinline__ uint32_t of(__half v) { return __half_as_ushort(v); }
};
template <>
struct Bits<__nv_bfloat16> {
  static __device__ __forceinline__ uint32_t of(__nv_bfloat16 v) { return __bfloat16_as_ushort(v); }
};

// ---- The step: what every thread derives from the parameters and the device state at the start.

struct Plan {
  int pos = 0;        // the position of this step's token
  uint32_t flag = 1;  // this launch's number: the flag of every word it writes
  int splits = 1;     // attention splits per (row, head)
};

__device__ __forceinline__ int key_start_of(const MegakernelParams& p, int row) {
  return p.key_start != nullptr ? static_cast<int>(p.key_start[row]) : 0;
}

// A phase's items (weight tiles or attention items) go round robin over the CTAs, item i to CTA (i + offset) %
// grid, where offset runs on over the phases of the step so that every CTA's share of the whole step evens out.
struct Share {
  int first = 0, count = 0, step = 1;
  __device__ bool any() const { return first < count; }
};

__device__ __forceinline__ Share take_share(int items, int& offset, int grid) {
  const Share s{(static_cast<int>(blockIdx.x) - offset + grid) % grid, items, grid};
  offset = (offset + items) % grid;
  return s;
}

__device__ __forceinline__ int tiles_of(int n) { return (n + kTileCols - 1) / kTileCols; }

struct LayerShares {
  Share qkv, attn, out, fc, proj;
};

// The producer and the consumers call this in the same order, so they agree on every share.
__device__ __forceinline__ LayerShares layer_shares(const MegakernelParams& p, const Plan& plan, int& offset) {
  LayerShares s;
  s.qkv = take_share(tiles_of(p.gemv[gemv_index(MegakernelGemv::kQkv)].n), offset, p.grid);
  s.attn = take_share(p.rows * p.heads * plan.splits, offset, p.grid);
  s.out = take_share(tiles_of(p.gemv[gemv_index(MegakernelGemv::kOut)].n), offset, p.grid);
  s.fc = take_share(tiles_of(p.gemv[gemv_index(MegakernelGemv::kFc)].n), offset, p.grid);
  s.proj = take_share(tiles_of(p.gemv[gemv_index(MegakernelGemv::kProj)].n), offset, p.grid);
  return s;
}

// The keys of attention item (row b, split s): [lo, hi) of the row's visible keys [key_start, pos]; the past
// ones [lo, ring_hi) come through the ring, the new key pos (has_new) from the flagged words.
struct KeyRange {
  int lo = 0, hi = 0, ring_hi = 0;
  bool has_new = false;
  __device__ int ring_keys() const { return ring_hi > lo ? ring_hi - lo : 0; }
};

__device__ __forceinline__ KeyRange key_range(const MegakernelParams& p, const Plan& plan, int b, int s) {
  const int start = key_start_of(p, b);
  const int keys = max(0, plan.pos + 1 - start);
  const int chunk = (keys + plan.splits - 1) / plan.splits;
  KeyRange r;
  r.lo = start + s * chunk;
  r.hi = min(plan.pos + 1, r.lo + chunk);
  r.ring_hi = min(r.hi, plan.pos);
  r.has_new = r.lo <= plan.pos && plan.pos < r.hi;
  return r;
}

// ---- The ring of stages: full[i] completes when stage i's copies landed, empty[i] when the 8 consumer warps
// are done with it. Stage use u of slot i waits for full phase u (parity u & 1) and, before refilling, empty
// phase u - 1.

struct Ring {
  uint32_t bars = 0;  // shared address of full[0]; empty[i] follows the kMaxStages full barriers
  uint32_t base = 0;  // shared address of stage 0
  const unsigned char* base_ptr = nullptr;
  int stages = 0;
  uint32_t it = 0;  // stages walked so far
  __device__ uint32_t full(int s) const { return bars + 8u * static_cast<uint32_t>(s); }
  __device__ uint32_t empty(int s) const { return bars + 8u * static_cast<uint32_t>(kMaxStages + s); }
  __device__ int slot() const { return static_cast<int>(it % static_cast<uint32_t>(stages)); }
  __device__ uint32_t use() const { return it / static_cast<uint32_t>(stages); }
};

__device__ __forceinline__ void wait_stage(uint32_t bar, uint32_t parity, Wait what, int layer, int phase,
                                           uint32_t it) {
  if (sm90::mbarrier_try_wait(bar, parity)) return;
  const Deadline deadline;
  while (!sm90::mbarrier_try_wait(bar, parity)) {
    if (deadline.passed()) give_up(what, layer, phase, it, 0, parity);
  }
}

// Producer: waits for the next stage to be free, announces `bytes` of copies on its full barrier and returns
// its shared address (the caller issues exactly those bytes on ring.full(slot)).
struct ProducerStage {
  uint32_t dst, bar;
};
__device__ __forceinline__ ProducerStage produce_begin(Ring& ring, uint32_t bytes, int layer, int phase) {
  const int slot = ring.slot();
  const uint32_t use = ring.use();
  if (use > 0) wait_stage(ring.empty(slot), (use - 1) & 1u, Wait::kStageEmpty, layer, phase, ring.it);
  sm90::mbarrier_arrive_expect_tx(ring.full(slot), bytes);
  ++ring.it;
  return {ring.base + static_cast<uint32_t>(slot) * kStageBytes, ring.full(slot)};
}

// Consumers (every thread of every consumer warp): waits for the next stage to land and returns it.
__device__ __forceinline__ const unsigned char* consume_begin(const Ring& ring, int layer, int phase) {
  const int slot = ring.slot();
  wait_stage(ring.full(slot), ring.use() & 1u, Wait::kStageFull, layer, phase, ring.it);
  return ring.base_ptr + static_cast<size_t>(slot) * kStageBytes;
}
// ... and hands it back once this warp has read what it needs from it.
__device__ __forceinline__ void consume_end(Ring& ring) {
  __syncwarp();
  if (threadIdx.x % 32 == 0) sm90::mbarrier_arrive(ring.empty(ring.slot()));
  ++ring.it;
}

__device__ __forceinline__ const unsigned char* bytes_of(const void* p) { return static_cast<const unsigned char*>(p); }

// ---- The producer's walk.

// One stage of two rows of `bytes` each (LayerNorm gamma and beta; a token and a position embedding row).
__device__ __forceinline__ void stream_pair(Ring& ring, const void* a, const void* b, uint32_t bytes, int layer,
                                            int phase) {
  const ProducerStage st = produce_begin(ring, 2 * bytes, layer, phase);
  sm90::bulk_copy_g2s(st.dst, a, bytes, st.bar);
  sm90::bulk_copy_g2s(st.dst + bytes, b, bytes, st.bar);
}

// The CTA's tiles of one projection: per tile and k stage, the tile's (up to) 8 weight rows over the stage's
// columns at row_stride, then (first k stage, with a bias) the tile's 8 biases.
__device__ void stream_gemv(Ring& ring, const MegakernelGemvShape& g, const void* w, const void* bias,
                            const Share& share, int layer, int phase) {
  const uint32_t row_bytes = 2u * static_cast<uint32_t>(g.stage_k);
  for (int tile = share.first; tile < share.count; tile += share.step) {
    const int rows = min(kTileCols, g.n - tile * kTileCols);
    for (int ks = 0; ks < g.k_stages; ++ks) {
      const bool with_bias = bias != nullptr && ks == 0;
      const ProducerStage st =
          produce_begin(ring, static_cast<uint32_t>(rows) * row_bytes + (with_bias ? 16u : 0u), layer, phase);
      for (int r = 0; r < rows; ++r) {
        const int64_t n = static_cast<int64_t>(tile) * kTileCols + r;
        sm90::bulk_copy_g2s(st.dst + static_cast<uint32_t>(r * g.row_stride * 2),
                            bytes_of(w) + (n * g.k + static_cast<int64_t>(ks) * g.stage_k) * 2, row_bytes, st.bar);
      }
      if (with_bias) {
        sm90::bulk_copy_g2s(st.dst + static_cast<uint32_t>(kTileCols * g.row_stride * 2),
                            bytes_of(bias) + static_cast<int64_t>(tile) * kTileCols * 2, 16u, st.bar);
      }
    }
  }
}

// The past keys and values of the CTA's attention items: kKeysPerStage keys, then as many values, per stage.
__device__ void stream_attention(Ring& ring, const MegakernelParams& p, const Plan& plan, const Share& share,
                                 const void* kv, int layer) {
  const int per_row = p.heads * plan.splits;
  for (int item = share.first; item < share.count; item += share.step) {
    const int b = item / per_row, h = (item % per_row) / plan.splits, s = item % plan.splits;
    const KeyRange kr = key_range(p, plan, b, s);
    const int n_ring = kr.ring_keys();
    const unsigned char* keys = bytes_of(kv) + (b * p.kv_strides[1] + h * p.kv_strides[2]) * 2;
    const unsigned char* values = keys + p.kv_strides[0] * 2;
    for (int a = 0; a < n_ring; a += kKeysPerStage) {
      const int n = min(kKeysPerStage, n_ring - a);
      const uint32_t bytes = static_cast<uint32_t>(n) * kHeadDim * 2;
      const ProducerStage st = produce_begin(ring, 2 * bytes, layer, kPhaseAttention);
      const int64_t at = static_cast<int64_t>(kr.lo + a) * kHeadDim * 2;
      sm90::bulk_copy_g2s(st.dst, keys + at, bytes, st.bar);
      sm90::bulk_copy_g2s(st.dst + kKeysPerStage * kHeadDim * 2, values + at, bytes, st.bar);
    }
  }
}

__device__ void produce(const MegakernelParams& p, const Plan& plan, Ring ring, const int64_t (&ids)[kMaxRows]) {
  const uint32_t embd_bytes = 2u * static_cast<uint32_t>(p.embd);
  int offset = 0;
  for (int l = 0; l < p.layers; ++l) {
    const MegakernelLayer& w = p.layer[l];
    const LayerShares s = layer_shares(p, plan, offset);
    if (l == 0 && (s.qkv.any() || s.out.any())) {
      for (int r = 0; r < p.rows; ++r) {
        const int wpos = max(plan.pos - key_start_of(p, r), 0);
        stream_pair(ring, bytes_of(p.wte) + ids[r] * p.embd * 2,
                    bytes_of(p.wpe) + static_cast<int64_t>(wpos) * p.embd * 2, embd_bytes, l, kPhaseQkv);
      }
    }
    if (s.qkv.any()) {
      stream_pair(ring, w.ln1_w, w.ln1_b, embd_bytes, l, kPhaseQkv);
      stream_gemv(ring, p.gemv[gemv_index(MegakernelGemv::kQkv)], w.qkv_w, w.qkv_b, s.qkv, l, kPhaseQkv);
    }
    stream_attention(ring, p, plan, s.attn, w.kv, l);
    if (s.out.any()) stream_gemv(ring, p.gemv[gemv_index(MegakernelGemv::kOut)], w.out_w, w.out_b, s.out, l, kPhaseOut);
    if (s.fc.any()) {
      stream_pair(ring, w.ln2_w, w.ln2_b, embd_bytes, l, kPhaseFc);
      stream_gemv(ring, p.gemv[gemv_index(MegakernelGemv::kFc)], w.fc_w, w.fc_b, s.fc, l, kPhaseFc);
    }
    if (s.proj.any()) {
      stream_gemv(ring, p.gemv[gemv_index(MegakernelGemv::kProj)], w.proj_w, w.proj_b, s.proj, l, kPhaseProj);
    }
  }
  const MegakernelGemvShape& head = p.gemv[gemv_index(MegakernelGemv::kHead)];
  const Share s = take_share(tiles_of(head.n), offset, p.grid);
  if (s.any()) {
    stream_pair(ring, p.lnf_w, p.lnf_b, embd_bytes, p.layers, kPhaseHead);
    stream_gemv(ring, head, p.wte, nullptr, s, p.layers, kPhaseHead);
  }
}

// ---- The consumers.

template <typename T>
struct Smem {
  float* partial;  // [2][kConsumerWarps][64]
  float* att_m;    // [kConsumerWarps]
  float* att_l;    // [kConsumerWarps]
  float* att_acc;  // [kConsumerWarps][64]
  T* att_q;        // [64]
  T* att_k;        // [64]
  T* att_v;        // [64]
  int* flag;       // the last-arrival answer of a ticket, for the whole CTA
  T* res;          // [B][C]
  T* x;            // [B][x_stride]
  int x_stride;    // elements
};

template <typename T>
__device__ Smem<T> smem_of(const MegakernelParams& p, unsigned char* base) {
  Smem<T> s;
  s.partial = reinterpret_cast<float*>(base + p.smem.partial);
  float* att = reinterpret_cast<float*>(base + p.smem.attention);
  s.att_m = att;
  s.att_l = att + kConsumerWarps;
  s.att_acc = att + 2 * kConsumerWarps;
  T* att_t = reinterpret_cast<T*>(s.att_acc + kConsumerWarps * 64);
  s.att_q = att_t;
  s.att_k = att_t + kHeadDim;
  s.att_v = att_t + 2 * kHeadDim;
  s.flag = reinterpret_cast<int*>(att_t + 3 * kHeadDim);
  s.res = reinterpret_cast<T*>(base + p.smem.residual);
  s.x = reinterpret_cast<T*>(base + p.smem.x);
  s.x_stride = p.smem.x_stride / 2;
  return s;
}

// rows x width values (width a multiple of 4) of flagged words (row r at words + r * width / 2) into the shared
// rows dst (dst_stride elements apart), waiting for each word to carry `flag`. While words are missing one lane
// per warp polls (a single poller keeps the L2 free for the weight stream), then the warp reloads. Threads
// [first_thread, first_thread + nthreads) take part, whole warps (both multiples of 32).
template <typename T>
__device__ void load_flagged(const uint64_t* words, int rows, int width, T* dst, int dst_stride, uint32_t flag,
                             int layer, int phase, int first_thread = 0, int nthreads = kConsumerThreads) {
  constexpr int kBatch = 8;  // 16-byte loads in flight per thread
  const int tid = static_cast<int>(threadIdx.x) - first_thread, lane = tid % 32;
  if (tid < 0 || tid >= nthreads) return;
  const int per_row = width / 4;
  const int total = rows * per_row;
  const int rounds = (total + nthreads * kBatch - 1) / (nthreads * kBatch);
  auto address = [&](int idx) {
    return words + static_cast<int64_t>(idx / per_row) * (width / 2) + 2 * (idx % per_row);
  };
  for (int round = 0; round < rounds; ++round) {
    ulonglong2 v[kBatch];
    int idx[kBatch];
#pragma unroll
    for (int i = 0; i < kBatch; ++i) {
      idx[i] = (round * kBatch + i) * nthreads + tid;
      v[i] = idx[i] < total ? load_words2(address(idx[i])) : make_ulonglong2(0, 0);
    }
    for (;;) {
      int missing = -1;
#pragma unroll
      for (int i = kBatch - 1; i >= 0; --i) {
        if (idx[i] < total && !words_ready(v[i], flag)) missing = i;
      }
      const unsigned waiting = __ballot_sync(0xffffffffu, missing >= 0);
      if (waiting == 0) break;
      if (lane == __ffs(waiting) - 1) {
#pragma unroll
        for (int i = 0; i < kBatch; ++i) {
          if (i == missing) wait_words2(address(idx[i]), flag, layer, phase, idx[i]);
        }
      }
      __syncwarp();
#pragma unroll
      for (int i = 0; i < kBatch; ++i) {
        if (idx[i] < total && !words_ready(v[i], flag)) v[i] = load_words2(address(idx[i]));
      }
    }
#pragma unroll
    for (int i = 0; i < kBatch; ++i) {
      if (idx[i] < total) {
        const int r = idx[i] / per_row, c = idx[i] % per_row;
        *reinterpret_cast<uint2*>(dst + static_cast<int64_t>(r) * dst_stride + 4 * c) =
            make_uint2(word_payload(v[i].x), word_payload(v[i].y));
      }
    }
  }
}

// The B embedding stages: res := wte[id] + wpe[position], rounded to T as the model's add rounds it.
template <typename T>
__device__ void embed(const MegakernelParams& p, Ring& ring, const Smem<T>& sm) {
  for (int r = 0; r < p.rows; ++r) {
    const T* st = reinterpret_cast<const T*>(consume_begin(ring, 0, kPhaseQkv));
    for (int c = static_cast<int>(threadIdx.x); c < p.embd; c += kConsumerThreads) {
      sm.res[r * p.embd + c] = from_float<T>(to_float(st[c]) + to_float(st[p.embd + c]));
    }
    consume_end(ring);
  }
}

// The LayerNorm stage (gamma, beta): x := LayerNorm(res), a warp per row, with the decode GEMV's arithmetic
// (gemv::layer_norm_row: two-pass fp32 statistics, biased variance, rounded to T once).
template <typename T>
__device__ void layer_norm_stage(const MegakernelParams& p, Ring& ring, const Smem<T>& sm, int layer, int phase) {
  const T* st = reinterpret_cast<const T*>(consume_begin(ring, layer, phase));
  const int warp = static_cast<int>(threadIdx.x) / 32, lane = static_cast<int>(threadIdx.x) % 32;
  if (warp < p.rows) {
    T* row = sm.x + warp * sm.x_stride;
    for (int i = lane * 8; i < p.embd; i += 32 * 8) {
      *reinterpret_cast<uint4*>(row + i) = *reinterpret_cast<const uint4*>(sm.res + warp * p.embd + i);
    }
    __syncwarp();
    gemv::layer_norm_row(row, p.embd, st, st + p.embd, p.ln_eps, lane);
  }
  consume_end(ring);
  consumer_sync();
}

struct HeadBest {
  float value = -INFINITY;
  int index = INT_MAX;
};

// One finished output of a weight tile: row r, column n, v = the dot product (fp32), bias its bias. Called by
// threads 0..63 (r = tid / 8, c = tid % 8) of whole warps 0 and 1: the even column's thread stores the word of
// columns (n, n + 1).
template <typename T>
__device__ void tile_output(const MegakernelParams& p, const Plan& plan, const Smem<T>& sm, MegakernelGemv which,
                            int layer, int r, int n, float v, float bias, HeadBest* best) {
  const MegakernelGemvShape& g = p.gemv[gemv_index(which)];
  const bool valid = r < p.rows && n < g.n;
  const int embd = p.embd;
  if (which == MegakernelGemv::kHead) {
    if (!valid) return;
    float logit = to_float(from_float<T>(v));  // the logits the graph decode's argmax reads are T
    if (n == p.logit_bias_token && p.logit_bias != nullptr) logit = to_float(from_float<T>(logit + *p.logit_bias));
    if (p.logits != nullptr) static_cast<T*>(p.logits)[static_cast<int64_t>(r) * p.vocab + n] = from_float<T>(logit);
    if (logit > best->value) {  // a CTA's tiles ascend: the first maximum stays (torch.argmax's tie rule)
      best->value = logit;
      best->index = n;
    }
    return;
  }
  v += bias;
  if (which == MegakernelGemv::kFc) v = p.gelu_tanh ? gemv::gelu_tanh(v) : gemv::gelu_erf(v);
  if ((which == MegakernelGemv::kOut || which == MegakernelGemv::kProj) && valid) v += to_float(sm.res[r * embd + n]);
  const uint32_t mine = Bits<T>::of(from_float<T>(v));
  const uint32_t next = __shfl_down_sync(0xffffffffu, mine, 1);
  if (!valid || (n & 1) != 0) return;
  const uint32_t pair = mine | (next << 16);  // columns n, n + 1 (n + 1 < N: N is a multiple of 8 here)
  const uint64_t word = make_word(pair, plan.flag);
  const MegakernelWords wl = megakernel_words(p.rows, embd, p.mlp);
  uint64_t* words = p.words + static_cast<int64_t>(layer) * wl.per_layer;
  const MegakernelTrace tl = megakernel_trace(embd, p.mlp);
  T* trace =
      p.trace != nullptr ? static_cast<T*>(p.trace) + (static_cast<int64_t>(layer) * p.rows + r) * tl.width : nullptr;
  auto put_trace = [&](int64_t at) {
    if (trace != nullptr) *reinterpret_cast<uint32_t*>(trace + at) = pair;
  };
  switch (which) {
    case MegakernelGemv::kQkv:
      if (n < embd) {
        store_word(words + wl.q + r * embd / 2 + n / 2, word);
        put_trace(tl.q + n);
      } else {
        const int c = n - embd, kind = c / embd, h = (c % embd) / kHeadDim, d = c % kHeadDim;
        T* slot = static_cast<T*>(p.layer[layer].kv) + kind * p.kv_strides[0] + r * p.kv_strides[1] +
                  h * p.kv_strides[2] + static_cast<int64_t>(plan.pos) * kHeadDim + d;
        *reinterpret_cast<uint32_t*>(slot) = pair;
        store_word(words + wl.kv + r * embd + c / 2, word);
      }
      break;
    case MegakernelGemv::kOut:
      store_word(words + wl.attn_res + r * embd / 2 + n / 2, word);
      put_trace(tl.attn_res + n);
      break;
    case MegakernelGemv::kFc:
      store_word(words + wl.h + r * p.mlp / 2 + n / 2, word);
      put_trace(tl.h + n);
      break;
    case MegakernelGemv::kProj:
      store_word(words + wl.mlp_res + r * embd / 2 + n / 2, word);
      put_trace(tl.mlp_res + n);
      break;
    default:
      break;
  }
}

// The CTA's tiles of one projection; x holds the input rows. Per tile: the 8 warps walk the k stages, each
// taking every 8th chunk of a stage, then their sums meet in `partial` (double buffered by tile parity, one
// barrier per tile) and threads 0..63 finish the 64 outputs.
template <typename T>
__device__ void gemv_tiles(const MegakernelParams& p, const Plan& plan, Ring& ring, const Smem<T>& sm,
                           const Share& share, MegakernelGemv which, int layer, int phase, HeadBest* best) {
  const MegakernelGemvShape& g = p.gemv[gemv_index(which)];
  const int tid = static_cast<int>(threadIdx.x), warp = tid / 32, lane = tid % 32;
  const int gq = lane / 4, tq = lane % 4;  // the MMA fragment's row group and thread in group
  const bool has_bias = which != MegakernelGemv::kHead;
  const int chunks = g.stage_k / kChunk;
  const bool x_row = gq < p.rows;
  int parity = 0;
  for (int tile = share.first; tile < share.count; tile += share.step, parity ^= 1) {
    float acc0[4] = {0.f, 0.f, 0.f, 0.f}, acc1[4] = {0.f, 0.f, 0.f, 0.f};
    float bias = 0.f;
    for (int ks = 0; ks < g.k_stages; ++ks) {
      const unsigned char* st = consume_begin(ring, layer, phase);
      const T* w_row = reinterpret_cast<const T*>(st) + gq * g.row_stride + tq * 8;
      const T* x_at = sm.x + gq * sm.x_stride + ks * g.stage_k + tq * 8;
      for (int c = warp; c < chunks; c += kConsumerWarps) {
        const uint4 wv = *reinterpret_cast<const uint4*>(w_row + c * kChunk);
        const uint4 xv = x_row ? *reinterpret_cast<const uint4*>(x_at + c * kChunk) : make_uint4(0u, 0u, 0u, 0u);
        const uint32_t a0[4] = {xv.x, 0u, xv.y, 0u};
        const uint32_t a1[4] = {xv.z, 0u, xv.w, 0u};
        ptx::mma_16816<T>(acc0, a0, wv.x, wv.y);
        ptx::mma_16816<T>(acc1, a1, wv.z, wv.w);
      }
      if (ks == 0 && has_bias && tid < 64) {
        bias = to_float(reinterpret_cast<const T*>(st + kTileCols * g.row_stride * 2)[tid % kTileCols]);
      }
      consume_end(ring);
    }
    // acc[0], acc[1]: batch row gq, tile columns 2 tq and 2 tq + 1 (acc[2], acc[3]: the zero rows 8-15).
    float* part = sm.partial + parity * kConsumerWarps * 64;
    *reinterpret_cast<float2*>(part + warp * 64 + gq * kTileCols + 2 * tq) =
        make_float2(acc0[0] + acc1[0], acc0[1] + acc1[1]);
    consumer_sync();
    if (tid < 64) {
      float v = 0.f;
#pragma unroll
      for (int w = 0; w < kConsumerWarps; ++w) v += part[w * 64 + tid];
      tile_output<T>(p, plan, sm, which, layer, tid / kTileCols, tile * kTileCols + tid % kTileCols, v, bias, best);
    }
  }
}

// One key of an attention item into a lane group's online softmax (log2 domain, as flash_decode).
__device__ __forceinline__ void softmax_add(float& m, float& l, float (&acc)[8], float s, const float (&v)[8]) {
  const float m_new = fmaxf(m, s);
  const float corr = ptx::ex2(m - m_new);  // m = -inf: 0
  const float pr = ptx::ex2(s - m_new);
  l = l * corr + pr;
#pragma unroll
  for (int i = 0; i < 8; ++i) acc[i] = fmaf(pr, v[i], acc[i] * corr);
  m = m_new;
}

// Merges another online softmax state into this one.
__device__ __forceinline__ void softmax_merge(float& m, float& l, float (&acc)[8], float m2, float l2,
                                              const float (&acc2)[8]) {
  const float mx = fmaxf(m, m2);
  const float base = mx == -INFINITY ? 0.f : mx;
  const float w1 = ptx::ex2(m - base), w2 = ptx::ex2(m2 - base);
  l = l * w1 + l2 * w2;
#pragma unroll
  for (int i = 0; i < 8; ++i) acc[i] = acc[i] * w1 + acc2[i] * w2;
  m = mx;
}

// The CTA's attention items of one layer. A warp's 4 lane groups of 8 lanes take one key each (a lane holds 8 of
// its 64 elements, as flash_decode's thread groups), so the CTA walks a stage's keys 32 at a time.
template <typename T>
__device__ void attention_items(const MegakernelParams& p, const Plan& plan, Ring& ring, const Smem<T>& sm,
                                const Share& share, int layer) {
  constexpr float kLog2e = 1.4426950408889634f;
  const int tid = static_cast<int>(threadIdx.x), warp = tid / 32, lane = tid % 32;
  const int kg = lane / 8, gl = lane % 8;
  const int embd = p.embd, per_row = p.heads * plan.splits;
  const MegakernelWords wl = megakernel_words(p.rows, embd, p.mlp);
  const uint64_t* words = p.words + static_cast<int64_t>(layer) * wl.per_layer;
  for (int item = share.first; item < share.count; item += share.step) {
    const int b = item / per_row, h = (item % per_row) / plan.splits, s = item % plan.splits;
    const KeyRange kr = key_range(p, plan, b, s);
    consumer_sync();  // the previous item is done with the attention scratch
    // q of (b, h), and the new key and value where this split holds them: warp 0, 1, 2 (16 two-word vectors each).
    if (warp == 0) {
      load_flagged<T>(words + wl.q + b * embd / 2 + h * kHeadDim / 2, 1, kHeadDim, sm.att_q, 0, plan.flag, layer,
                      kPhaseAttention, 0, 32);
    }
    if (kr.has_new && warp == 1) {
      load_flagged<T>(words + wl.kv + b * embd + h * kHeadDim / 2, 1, kHeadDim, sm.att_k, 0, plan.flag, layer,
                      kPhaseAttention, 32, 32);
    }
    if (kr.has_new && warp == 2) {
      load_flagged<T>(words + wl.kv + b * embd + embd / 2 + h * kHeadDim / 2, 1, kHeadDim, sm.att_v, 0, plan.flag,
                      layer, kPhaseAttention, 64, 32);
    }
    consumer_sync();
    float qf[8];
    {
      const uint4 raw = *reinterpret_cast<const uint4*>(sm.att_q + gl * 8);
      gemv::unpack8<T>(raw, qf);
#pragma unroll
      for (int i = 0; i < 8; ++i) qf[i] *= p.attn_scale * kLog2e;
    }
    float m = -INFINITY, l = 0.f, acc[8] = {0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f};
    auto score = [&](const uint4& key) {
      float kf[8];
      gemv::unpack8<T>(key, kf);
      float dot = 0.f;
#pragma unroll
      for (int i = 0; i < 8; ++i) dot = fmaf(qf[i], kf[i], dot);
#pragma unroll
      for (int off = 1; off < 8; off <<= 1) dot += __shfl_xor_sync(0xffffffffu, dot, off);
      return dot;
    };
    const int n_ring = kr.ring_keys();
    for (int a = 0; a < n_ring; a += kKeysPerStage) {
      const unsigned char* st = consume_begin(ring, layer, kPhaseAttention);
      const int n = min(kKeysPerStage, n_ring - a);
      for (int j0 = 0; j0 < n; j0 += 4 * kConsumerWarps) {
        const int j = j0 + warp * 4 + kg;
        const bool valid = j < n;
        const uint4 key =
            valid ? *reinterpret_cast<const uint4*>(st + j * kHeadDim * 2 + gl * 16) : make_uint4(0u, 0u, 0u, 0u);
        const uint4 value = valid ? *reinterpret_cast<const uint4*>(st + (kKeysPerStage + j) * kHeadDim * 2 + gl * 16)
                                  : make_uint4(0u, 0u, 0u, 0u);
        const float sc = score(key);
        if (valid) {
          float vf[8];
          gemv::unpack8<T>(value, vf);
          softmax_add(m, l, acc, sc, vf);
        }
      }
      consume_end(ring);
    }
    if (kr.has_new && warp == 0) {  // the step's own key, by lane group 0 of warp 0
      const float sc = score(*reinterpret_cast<const uint4*>(sm.att_k + gl * 8));
      if (kg == 0) {
        float vf[8];
        gemv::unpack8<T>(*reinterpret_cast<const uint4*>(sm.att_v + gl * 8), vf);
        softmax_add(m, l, acc, sc, vf);
      }
    }
    // The warp's 4 lane groups, then the CTA's 8 warps.
#pragma unroll
    for (int off = 8; off < 32; off <<= 1) {
      float acc2[8];
#pragma unroll
      for (int i = 0; i < 8; ++i) acc2[i] = __shfl_xor_sync(0xffffffffu, acc[i], off);
      const float m2 = __shfl_xor_sync(0xffffffffu, m, off), l2 = __shfl_xor_sync(0xffffffffu, l, off);
      softmax_merge(m, l, acc, m2, l2, acc2);
    }
    if (kg == 0) {
      if (gl == 0) {
        sm.att_m[warp] = m;
        sm.att_l[warp] = l;
      }
#pragma unroll
      for (int i = 0; i < 8; ++i) sm.att_acc[warp * 64 + gl * 8 + i] = acc[i];
    }
    consumer_sync();
    const int64_t bh = (static_cast<int64_t>(layer) * p.rows + b) * p.heads + h;
    float* lse = p.partial_lse + bh * p.max_splits;
    float* out = p.partial_out + bh * p.max_splits * kHeadDim;
    if (tid < kHeadDim) {
      float mx = -INFINITY;
#pragma unroll
      for (int w = 0; w < kConsumerWarps; ++w) mx = fmaxf(mx, sm.att_m[w]);
      const float base = mx == -INFINITY ? 0.f : mx;
      float sum = 0.f, o = 0.f;
#pragma unroll
      for (int w = 0; w < kConsumerWarps; ++w) {
        const float wt = ptx::ex2(sm.att_m[w] - base);
        sum += sm.att_l[w] * wt;
        o += sm.att_acc[w * 64 + tid] * wt;
      }
      out[s * kHeadDim + tid] = sum > 0.f ? o / sum : 0.f;  // no visible key: exactly 0
      if (tid == 0) lse[s] = sum > 0.f ? base + __log2f(sum) : -INFINITY;
    }
    consumer_sync();
    if (tid == 0) {
      uint32_t* ticket = p.tickets + bh;
      const bool last = take_ticket(ticket) + 1 == static_cast<uint32_t>(plan.splits);
      if (last) store_relaxed(ticket, 0u);  // for the next launch
      *sm.flag = last ? 1 : 0;
    }
    consumer_sync();
    if (*sm.flag != 0 && tid < kHeadDim) {
      // The last split of (b, h) combines all of them, as the split-KV combine kernel does.
      float mx = -INFINITY;
      for (int t = 0; t < plan.splits; ++t) mx = fmaxf(mx, __ldcg(lse + t));
      float val = 0.f;
      if (mx != -INFINITY) {
        float sum = 0.f, o = 0.f;
        for (int t = 0; t < plan.splits; ++t) {
          const float wt = ptx::ex2(__ldcg(lse + t) - mx);
          sum += wt;
          o = fmaf(wt, __ldcg(out + t * kHeadDim + tid), o);
        }
        val = o / sum;
      }
      const uint32_t mine = Bits<T>::of(from_float<T>(val));
      const uint32_t next = __shfl_down_sync(0xffffffffu, mine, 1);
      if ((tid & 1) == 0) {
        const int col = h * kHeadDim + tid;
        store_word(p.words + static_cast<int64_t>(layer) * wl.per_layer + wl.y + b * embd / 2 + col / 2,
                   make_word(mine | (next << 16), plan.flag));
        if (p.trace != nullptr) {
          const MegakernelTrace tl = megakernel_trace(embd, p.mlp);
          *reinterpret_cast<uint32_t*>(static_cast<T*>(p.trace) +
                                       (static_cast<int64_t>(layer) * p.rows + b) * tl.width + tl.y + col) =
              mine | (next << 16);
        }
      }
    }
  }
}

// After the lm_head: each CTA's best logit per row, a ticket, and the last CTA's reduction into the next token
// ids; it also advances the position and the launch number and resets the counters for the next launch.
template <typename T>
__device__ void finish(const MegakernelParams& p, const Plan& plan, const Smem<T>& sm, const HeadBest& best) {
  const int tid = static_cast<int>(threadIdx.x), lane = tid % 32;
  auto better = [](float v, int i, float ov, int oi) { return ov > v || (ov == v && oi < i); };
  if (tid < 64) {
    float v = best.value;
    int i = best.index;
#pragma unroll
    for (int off = 1; off < kTileCols; off <<= 1) {
      const float ov = __shfl_xor_sync(0xffffffffu, v, off);
      const int oi = __shfl_xor_sync(0xffffffffu, i, off);
      if (better(v, i, ov, oi)) v = ov, i = oi;
    }
    const int r = tid / kTileCols;
    if (tid % kTileCols == 0 && r < p.rows) {
      p.best_value[static_cast<int>(blockIdx.x) * p.rows + r] = v;
      p.best_index[static_cast<int>(blockIdx.x) * p.rows + r] = i;
    }
  }
  consumer_sync();
  if (tid == 0) *sm.flag = take_ticket(p.control + kControlTicket) + 1 == static_cast<uint32_t>(p.grid) ? 1 : 0;
  consumer_sync();
  if (*sm.flag == 0 || tid >= 32) return;
  for (int r = 0; r < p.rows; ++r) {
    float v = -INFINITY;
    int i = INT_MAX;
    for (int c = lane; c < p.grid; c += 32) {
      const float ov = __ldcg(p.best_value + c * p.rows + r);
      const int oi = __ldcg(p.best_index + c * p.rows + r);
      if (better(v, i, ov, oi)) v = ov, i = oi;
    }
#pragma unroll
    for (int off = 16; off > 0; off >>= 1) {
      const float ov = __shfl_xor_sync(0xffffffffu, v, off);
      const int oi = __shfl_xor_sync(0xffffffffu, i, off);
      if (better(v, i, ov, oi)) v = ov, i = oi;
    }
    if (lane == 0) p.ids[r] = i == INT_MAX ? 0 : i;
  }
  if (lane == 0) {
    *p.pos = plan.pos + 1;
    store_relaxed(p.control + kControlTicket, 0u);
    store_relaxed(p.control + kControlBarrier, 0u);
    store_relaxed(p.control + kControlSeq, plan.flag);
  }
}

template <typename T>
__device__ void consume(const MegakernelParams& p, const Plan& plan, Ring ring, unsigned char* base) {
  const Smem<T> sm = smem_of<T>(p, base);
  const MegakernelWords wl = megakernel_words(p.rows, p.embd, p.mlp);
  uint32_t barriers = 0;
  auto boundary = [&](int layer, int phase) {  // the A/B mode's grid barrier; the flags alone otherwise
    if (p.grid_barriers)
      grid_barrier(p.control + kControlBarrier, ++barriers, static_cast<uint32_t>(p.grid), layer, phase);
  };
  auto layer_words = [&](int layer) { return p.words + static_cast<int64_t>(layer) * wl.per_layer; };
  // The rows of one flagged buffer into shared memory, between two consumer barriers.
  auto load_rows = [&](const uint64_t* words, int width, T* dst, int dst_stride, int layer, int phase) {
    consumer_sync();
    load_flagged<T>(words, p.rows, width, dst, dst_stride, plan.flag, layer, phase);
    consumer_sync();
  };
  int offset = 0;
  for (int l = 0; l < p.layers; ++l) {
    const LayerShares s = layer_shares(p, plan, offset);
    const uint64_t* words = layer_words(l);
    // qkv (its residual rows also serve the out-projection's residual add)
    if (l > 0) boundary(l, kPhaseQkv);
    if ((s.qkv.any() || s.out.any()) && l == 0) {
      consumer_sync();
      embed<T>(p, ring, sm);
      consumer_sync();
    } else if (s.qkv.any() || s.out.any()) {
      load_rows(layer_words(l - 1) + wl.mlp_res, p.embd, sm.res, p.embd, l, kPhaseQkv);
    }
    if (s.qkv.any()) {
      layer_norm_stage<T>(p, ring, sm, l, kPhaseQkv);
      gemv_tiles<T>(p, plan, ring, sm, s.qkv, MegakernelGemv::kQkv, l, kPhaseQkv, nullptr);
    }
    boundary(l, kPhaseAttention);
    attention_items<T>(p, plan, ring, sm, s.attn, l);
    boundary(l, kPhaseOut);
    if (s.out.any()) {
      load_rows(words + wl.y, p.embd, sm.x, sm.x_stride, l, kPhaseOut);
      gemv_tiles<T>(p, plan, ring, sm, s.out, MegakernelGemv::kOut, l, kPhaseOut, nullptr);
    }
    // fc (its residual rows also serve proj's residual add)
    boundary(l, kPhaseFc);
    if (s.fc.any() || s.proj.any()) load_rows(words + wl.attn_res, p.embd, sm.res, p.embd, l, kPhaseFc);
    if (s.fc.any()) {
      layer_norm_stage<T>(p, ring, sm, l, kPhaseFc);
      gemv_tiles<T>(p, plan, ring, sm, s.fc, MegakernelGemv::kFc, l, kPhaseFc, nullptr);
    }
    boundary(l, kPhaseProj);
    if (s.proj.any()) {
      load_rows(words + wl.h, p.mlp, sm.x, sm.x_stride, l, kPhaseProj);
      gemv_tiles<T>(p, plan, ring, sm, s.proj, MegakernelGemv::kProj, l, kPhaseProj, nullptr);
    }
  }
  boundary(p.layers, kPhaseHead);
  HeadBest best;
  const Share head = take_share(tiles_of(p.gemv[gemv_index(MegakernelGemv::kHead)].n), offset, p.grid);
  if (head.any()) {
    load_rows(layer_words(p.layers - 1) + wl.mlp_res, p.embd, sm.res, p.embd, p.layers, kPhaseHead);
    layer_norm_stage<T>(p, ring, sm, p.layers, kPhaseHead);
    gemv_tiles<T>(p, plan, ring, sm, head, MegakernelGemv::kHead, p.layers, kPhaseHead, &best);
  }
  finish<T>(p, plan, sm, best);
}

// Registers per thread: one CTA of kThreads per SM may take 65536 / 288, rounded down to 8. (With
// __launch_bounds__(288, 1) ptxas capped the kernel at 168 and spilled; with this cap it takes ~200, no spills.)
inline constexpr int kMaxRegisters = 65536 / kThreads / 8 * 8;

template <typename T>
__global__ void __maxnreg__(kMaxRegisters) decode_megakernel(const __grid_constant__ MegakernelParams p) {
  extern __shared__ __align__(128) unsigned char megakernel_dynamic_smem[];
  unsigned char* smem = megakernel_dynamic_smem;
  const int tid = static_cast<int>(threadIdx.x);
  // The step, read by every thread before any CTA can reach the end of the launch (the last CTA rewrites them).
  Plan plan;
  plan.pos = static_cast<int>(__ldcg(p.pos));
  plan.flag = __ldcg(p.control + kControlSeq) + 1u;
  if (plan.flag == 0u) plan.flag = 1u;  // 0 is the never-written words' flag
  int min_start = plan.pos, max_wpos = 0;
  bool ids_ok = true;
  int64_t ids[kMaxRows];
  for (int r = 0; r < kMaxRows; ++r) {
    ids[r] = 0;
    if (r >= p.rows) continue;
    const int start = key_start_of(p, r);
    min_start = min(min_start, start);
    max_wpos = max(max_wpos, plan.pos - start);
    ids[r] = __ldcg(p.ids + r);
    ids_ok = ids_ok && ids[r] >= 0 && ids[r] < p.vocab;
  }
  const int error = plan.pos < 0 || plan.pos >= p.capacity || max_wpos >= p.positions ? kErrorPosition
                    : !ids_ok                                                         ? kErrorToken
                                                                                      : 0;
  if (error != 0) {
    if (blockIdx.x == 0 && tid == 0) {
      p.control[kControlError] = static_cast<uint32_t>(error);
      printf("decode megakernel: %s (position %d, cache %d, position table %d): step not run\n",
             error == kErrorPosition ? "position outside the cache or the position table"
                                     : "token id outside the vocabulary",
             plan.pos, p.capacity, p.positions);
    }
    return;  // every CTA returns here: nobody waits for anybody
  }
  const int max_keys = plan.pos + 1 - min_start;
  plan.splits = max(1, min(p.max_splits, (max_keys + kMinKeysPerSplit - 1) / kMinKeysPerSplit));

  Ring ring;
  ring.bars = ptx::smem_addr(smem + p.smem.barriers);
  ring.base = ptx::smem_addr(smem + p.smem.ring);
  ring.base_ptr = smem + p.smem.ring;
  ring.stages = p.stages;
  if (tid == 0) {
    *reinterpret_cast<uint32_t**>(smem) = p.diagnostics;  // for give_up
    for (int i = 0; i < p.stages; ++i) {
      sm90::mbarrier_init(ring.full(i), 1);
      sm90::mbarrier_init(ring.empty(i), kConsumerWarps);
    }
    sm90::fence_barrier_init();
  }
  __syncthreads();
  if (tid >= kConsumerThreads) {
    if (tid == kConsumerThreads) produce(p, plan, ring, ids);
    return;
  }
  consume<T>(p, plan, ring, smem);
}

}  // namespace gptbench::kernels::megakernel
