// The input of the persistent whole-step decode kernel (decode_megakernel.cuh): one launch runs one greedy
// decode step of a GPT-2 model for B <= 8 rows at one device position. Plain C++ (no torch, no CUDA headers),
// like attention_params.h: the torch side (decode_megakernel_op.cpp) fills it, the kernel reads it, and the
// shared-memory plan, the word-buffer layout and the constants below are the one statement both sides use.
// Design, prediction and measurements: kernels/NOTES.md, "Issue 22, step 1".
#pragma once

#include <cstdint>  // int64_t, int32_t, uint32_t, uint64_t

#include "attention_params.h"  // ElementType

// The layout functions below serve the host and the kernel alike.
#if defined(__CUDACC__)
#define GPTBENCH_MEGAKERNEL_HD __host__ __device__
#else
#define GPTBENCH_MEGAKERNEL_HD
#endif

namespace gptbench::kernels {

namespace megakernel {

inline constexpr int kConsumerWarps = 8;  // they compute; one more warp streams the ring
inline constexpr int kConsumerThreads = 32 * kConsumerWarps;
inline constexpr int kThreads = kConsumerThreads + 32;
inline constexpr int kHeadDim = 64;        // every GPT-2 shape's head size; 8 lanes x 8 elements per key
inline constexpr int kMaxRows = 8;         // batch rows: the first 8 rows of the MMA's 16-row A operand
inline constexpr int kTileCols = 8;        // output columns per weight tile: the MMA's N
inline constexpr int kChunk = 32;          // k elements one lane quad covers per pair of MMAs
inline constexpr int kStageBytes = 16384;  // one ring stage
inline constexpr int kMaxStageK = 960;     // k columns of a weight stage: 8 padded rows + 16 bytes of bias fit
inline constexpr int kKeysPerStage = 64;   // past keys of an attention stage: 64 keys + 64 values of 128 bytes
inline constexpr int kMinStages = 4, kMaxStages = 16;
inline constexpr int kMinKeysPerSplit = 32;  // an attention split is never planned shorter
// control[]: the launch sequence number (the flag of every word a launch writes), the end-of-step ticket, the
// grid-barrier counter (A/B mode), an error code (kErrorPosition: the device position is outside the cache or
// the position table; kErrorToken: a token id outside the vocabulary; the step did nothing).
inline constexpr int kControlSeq = 0, kControlTicket = 1, kControlBarrier = 2, kControlError = 3, kControlWords = 4;
inline constexpr int kErrorPosition = 1, kErrorToken = 2;
// The diagnostics record: set (1 once written), what (Wait), layer, phase, index, seen, want, CTA, thread.
inline constexpr int kDiagnosticsWords = 9;

// What a wait that gave up was for (megakernel_sync.cuh), and the phases a layer walks (then the lm_head), in the
// timeout reports.
enum class Wait : int { kWords = 0, kTicket = 1, kBarrier = 2, kStageFull = 3, kStageEmpty = 4 };
GPTBENCH_MEGAKERNEL_HD constexpr const char* wait_name(int what) {
  return what == 0   ? "flagged words"
         : what == 1 ? "ticket"
         : what == 2 ? "grid barrier"
         : what == 3 ? "full ring stage"
         : what == 4 ? "empty ring stage"
                     : "?";
}
enum Phase : int { kPhaseQkv = 0, kPhaseAttention = 1, kPhaseOut = 2, kPhaseFc = 3, kPhaseProj = 4, kPhaseHead = 5 };
GPTBENCH_MEGAKERNEL_HD constexpr const char* phase_name(int phase) {
  return phase == 0   ? "qkv"
         : phase == 1 ? "attention"
         : phase == 2 ? "out-projection"
         : phase == 3 ? "fc"
         : phase == 4 ? "proj"
         : phase == 5 ? "lm_head"
                      : "?";
}

// Bytes of a padded weight-stage row of `bytes`: rows start 64 bytes apart modulo 128, so that the 8 lanes of a
// quarter warp (two rows, four 16-byte vectors each) hit distinct banks. The x rows use the same rule.
GPTBENCH_MEGAKERNEL_HD constexpr int padded_row_bytes(int bytes) { return (bytes + 127) / 128 * 128 + 64; }

}  // namespace megakernel

// The trace row of one layer and batch row (an optional output, for tests): q, the attention output y, the
// residual after attention (C each), h (mlp), the residual after the MLP (C): offsets in elements.
struct MegakernelTrace {
  int64_t q = 0, y = 0, attn_res = 0, h = 0, mlp_res = 0, width = 0;
};
GPTBENCH_MEGAKERNEL_HD constexpr MegakernelTrace megakernel_trace(int64_t embd, int64_t mlp) {
  return {0, embd, 2 * embd, 3 * embd, 3 * embd + mlp, 4 * embd + mlp};
}

// The phases of a layer, then the lm_head; index of MegakernelParams::gemv for the four projections + lm_head.
enum class MegakernelGemv : int { kQkv = 0, kOut = 1, kFc = 2, kProj = 3, kHead = 4 };
inline constexpr int kMegakernelGemvs = 5;

// One projection's walk: tiles of 8 output rows of the (n, k) weight, each streamed in k_stages stages of
// stage_k columns (a multiple of kChunk, <= kMaxStageK), rows row_stride elements apart in the stage.
struct MegakernelGemvShape {
  int n = 0, k = 0, stage_k = 0, k_stages = 0, row_stride = 0;
};

// The smallest number of stages whose column count divides k, is a multiple of kChunk and at most kMaxStageK;
// 0 when none does (the caller refuses k).
constexpr MegakernelGemvShape megakernel_gemv_shape(int n, int k) {
  for (int s = 1; s <= k / megakernel::kChunk; ++s) {
    if (k % s != 0) continue;
    const int sk = k / s;
    if (sk % megakernel::kChunk == 0 && sk <= megakernel::kMaxStageK) {
      return {n, k, sk, s, megakernel::padded_row_bytes(2 * sk) / 2};
    }
  }
  return {n, k, 0, 0, 0};
}

// Per-layer pointers, an array of them on the device. Weights (out, in) contiguous, 16-byte aligned.
struct MegakernelLayer {
  const void* ln1_w = nullptr;   // (C)
  const void* ln1_b = nullptr;   // (C)
  const void* qkv_w = nullptr;   // (3C, C)
  const void* qkv_b = nullptr;   // (3C)
  const void* out_w = nullptr;   // (C, C)
  const void* out_b = nullptr;   // (C)
  const void* ln2_w = nullptr;   // (C)
  const void* ln2_b = nullptr;   // (C)
  const void* fc_w = nullptr;    // (mlp, C), mlp = 4C for the named shapes
  const void* fc_b = nullptr;    // (mlp)
  const void* proj_w = nullptr;  // (C, mlp)
  const void* proj_b = nullptr;  // (C)
  void* kv = nullptr;            // (2, B, H, capacity, 64): this layer's dense cache, keys then values
};

// Word offsets (64-bit words: two 16-bit values + the launch's 32-bit flag) of one layer's activation buffers,
// each (B, width / 2) row-major; a layer's block is `per_layer` words. q (C), the new key then value (2C), the
// attention output y (C), the residual after attention (C), h (mlp), the residual after the MLP (C).
struct MegakernelWords {
  int64_t q = 0, kv = 0, y = 0, attn_res = 0, h = 0, mlp_res = 0, per_layer = 0;
};
GPTBENCH_MEGAKERNEL_HD constexpr MegakernelWords megakernel_words(int64_t rows, int64_t embd, int64_t mlp) {
  const int64_t c = rows * embd / 2;  // words of one (B, C) buffer
  const int64_t h = rows * mlp / 2;
  return {0, c, 3 * c, 4 * c, 5 * c, 5 * c + h, 6 * c + h};
}

// The dynamic shared memory of a CTA, byte offsets from a 128-byte aligned base. Bytes [0, 16) hold the
// diagnostics pointer (MegakernelParams::diagnostics), where a wait that gives up finds it.
struct MegakernelSmem {
  int barriers = 0;   // full[kMaxStages], empty[kMaxStages] mbarriers (8 bytes each)
  int partial = 0;    // float [2][kConsumerWarps][64]: the warps' sums of a weight tile, double buffered
  int attention = 0;  // float m[8], l[8], acc[8][64]; T q[64], k[64], v[64]; int last
  int residual = 0;   // T [B][C]: the residual stream rows the current phases add to (and normalise)
  int x = 0;          // T [B][x_stride / 2]: the current GEMV's input rows
  int x_stride = 0;   // bytes between x rows: padded_row_bytes(2 * max(C, mlp))
  int ring = 0;       // stages x kStageBytes
  int total = 0;
};
constexpr MegakernelSmem megakernel_smem(int rows, int embd, int mlp, int stages) {
  const int x_width = embd > mlp ? embd : mlp;
  auto up = [](int x, int a) { return (x + a - 1) / a * a; };
  MegakernelSmem s;
  s.barriers = 16;
  s.partial = s.barriers + 2 * megakernel::kMaxStages * 8;
  s.attention = s.partial + 2 * megakernel::kConsumerWarps * 64 * 4;
  const int attention_bytes =
      (2 * megakernel::kConsumerWarps + megakernel::kConsumerWarps * 64) * 4 + 3 * megakernel::kHeadDim * 2 + 16;
  s.residual = up(s.attention + attention_bytes, 128);
  s.x = up(s.residual + rows * embd * 2, 128);
  s.x_stride = megakernel::padded_row_bytes(2 * x_width);
  s.ring = up(s.x + rows * s.x_stride, 128);
  s.total = s.ring + stages * megakernel::kStageBytes;
  return s;
}

struct MegakernelParams {
  ElementType dtype = ElementType::kFp16;
  // The model. Head size kHeadDim; C and the MLP width multiples of kChunk.
  int layers = 0, rows = 0, embd = 0, heads = 0, mlp = 0, vocab = 0;
  int positions = 0;  // rows of wpe
  float ln_eps = 1e-5f;
  float attn_scale = 0.125f;               // 1 / sqrt(kHeadDim)
  bool gelu_tanh = true;                   // false: the exact (erf) GELU
  const MegakernelLayer* layer = nullptr;  // (layers) on the device
  const void* wte = nullptr;               // (V, C): embedding and tied lm_head
  const void* wpe = nullptr;               // (positions, C)
  const void* lnf_w = nullptr;             // (C)
  const void* lnf_b = nullptr;             // (C)
  // The caches: MegakernelLayer::kv, (2, B, H, capacity, 64) with these strides (elements) of which, batch row,
  // head; a position is 64 elements.
  int capacity = 0;
  int64_t kv_strides[3] = {0, 0, 0};

  // The step's device state: token ids (B) int64 read for the embedding and overwritten with the argmax, the
  // position (1) int64 advanced by one, each row's first real position (B) int32 (left padding; null: 0).
  int64_t* ids = nullptr;
  int64_t* pos = nullptr;
  const int32_t* key_start = nullptr;
  const float* logit_bias = nullptr;  // (1) or null: added to logit logit_bias_token (DecodeGraph's EOS bias)
  int logit_bias_token = -1;

  // Scratch on the device (decode_megakernel_op.cpp sizes it from megakernel_words and max_splits).
  uint64_t* words = nullptr;      // layers x MegakernelWords::per_layer, zero-initialised once
  float* partial_out = nullptr;   // (layers, B, H, max_splits, 64): each split's normalised output
  float* partial_lse = nullptr;   // (layers, B, H, max_splits): its log2-sum-exp, -inf when empty
  uint32_t* tickets = nullptr;    // (layers, B, H): splits done; the last one resets it to 0
  float* best_value = nullptr;    // (grid, B): each CTA's largest logit per row
  int32_t* best_index = nullptr;  // (grid, B)
  uint32_t* control = nullptr;    // (kControlWords), zero-initialised once

  // (kDiagnosticsWords) in host memory the device can write (mapped, pinned), or null: where the first wait that
  // gives up records what it waited for (megakernel_sync.cuh), readable after the context is lost.
  uint32_t* diagnostics = nullptr;

  // Optional outputs (tests, diagnostics): logits (B, V) in T as the graph decode's argmax sees them, and the
  // per-layer trace (layers, B, megakernel_trace().width) in T.
  void* logits = nullptr;
  void* trace = nullptr;

  // Launch geometry, set by the op from the device and the shapes.
  int grid = 0;        // CTAs: the SM count, one each
  int stages = 0;      // ring stages
  int max_splits = 1;  // attention splits per (row, head): ceil(grid / (B * H))
  MegakernelGemvShape gemv[kMegakernelGemvs];
  MegakernelSmem smem;
  bool grid_barriers = false;  // A/B: a grid barrier at every phase boundary on top of the flags
};

}  // namespace gptbench::kernels
