// Tile shapes of the flash kernels: one place, read by the kernels, the launchers and the
// kernel names the selection function reports (select_kernel.cpp). The measurements behind
// each choice are in kernels/NOTES.md.
#pragma once

#include "attention_params.h"  // MaskPolicy, policy_has_window

namespace gptbench::kernels {

// Where a prefill warp keeps its Q fragments: registers (loaded once) or shared memory
// (re-read every KV tile, which frees registers for wider tiles).
enum class QStorage { kRegisters, kShared };

// Prefill: each warp owns kMTiles m16 tiles of query rows; a CTA owns 16 * kMTiles * kWarps
// rows and walks the keys in tiles of kBlockN, double-buffered in shared memory.
// Choices per policy at D = 64 (NOTES.md has the lab numbers behind each):
//  - causal and ALiBi: 2 m tiles per warp, 128-key tiles, Q re-read from shared memory (the
//    FA2 shape; 6-8 % faster than 64-key tiles with Q in registers, despite a few spills);
//  - window: 64-row CTAs, whose band of KV tiles is narrower, capped at 128 registers so that
//    4 CTAs share an SM (a CTA has only ~5 tiles: other CTAs must hide its latency).
// D = 128 keeps 1 m tile and 64-key tiles (2 m tiles would spill).
template <int kHeadDim, MaskPolicy P>
struct PrefillConfig {
  static constexpr bool kWindowed = policy_has_window(P);
  static constexpr bool kD64 = kHeadDim == 64;
  static constexpr int kWarps = 4;
  static constexpr int kMTiles = kD64 && !kWindowed ? 2 : 1;
  static constexpr int kBlockN = kD64 && !kWindowed ? 128 : 64;
  static constexpr QStorage kQ = kD64 ? QStorage::kShared : QStorage::kRegisters;
  static constexpr int kMinCtas = kD64 && kWindowed ? 4 : 1;  // 1: no register cap
  static constexpr int kBlockM = 16 * kMTiles * kWarps;
  static constexpr int kThreads = 32 * kWarps;
};

// Backward (flash_backward.cuh): the dK/dV kernel's CTA owns kBlockKeys keys (16 per warp) and
// walks the query rows in tiles of kBlockQueries (each warp then computes 16 rows of that tile's
// dQ share); the deterministic dQ pass's CTA owns kBlockQueries rows and walks kBlockKeys-key tiles.
// The policy (ALiBi, window) is a runtime value in the backward: 4 instantiations, not 16.
// Phase 2 (NOTES, "flash backward, phase 2"): at D 64 the tile being walked is double buffered
// (kStages 2: the next tile's loads fly while this one computes) and the CTA is capped to 3 per SM
// (<= 168 registers); at D 128 registers already hold one or two CTAs per SM and a second buffer would
// cost the second CTA its shared memory, so it stays single buffered and uncapped.
template <int D>
struct BackwardConfigFor {
  static constexpr int kWarps = 4;
  static constexpr int kThreads = 32 * kWarps;
  static constexpr int kBlockKeys = 16 * kWarps;
  static constexpr int kBlockQueries = 16 * kWarps;
  static constexpr int kStages = D <= 64 ? 2 : 1;
  static constexpr int kMinCtas = D <= 64 ? 3 : 1;  // 1: no register cap
};
using BackwardConfig = BackwardConfigFor<64>;  // the D-independent shape (warps, tiles)

// Decode: kDecodeThreads threads per CTA, each holding 8 head-dim elements (16 bytes) of a
// key; kDecodeUnroll keys per thread group are loaded before any is used, so every thread
// keeps 2 * kDecodeUnroll 16-byte loads in flight.
inline constexpr int kDecodeThreads = 128;
// Grouped-query decode: one CTA serves kHeads query heads that share a key/value head, so each K/V
// element it streams is read once for all of them (the kernel is memory bound). kHeads is the
// largest of 8, 4, 2, 1 that divides the group size G = H / Hkv (G = 16 runs two CTAs per group).
inline constexpr int kDecodeMaxHeadsPerCta = 8;
constexpr int decode_heads_per_cta(int group) {
  for (int n = kDecodeMaxHeadsPerCta; n > 1; n /= 2)
    if (group % n == 0) return n;
  return 1;
}
inline constexpr int kDecodeUnroll = 4;
// A split never gets fewer keys than this (GPTBENCH_DECODE_MIN_KEYS overrides it for A/B runs). 256 until
// 2026-12-04; at the 512 + 64 decode that left 3 splits, 24-36 CTAs on 132 SMs, each streaming its keys in
// 8 latency-bound rounds (13 us per Mistral layer, NOTES "decode at Mistral sizes"). 64 keys is 2 rounds of
// kDecodeUnroll * kDecodeThreads / (D / 8) keys at D 128; the combine kernel runs for any split count > 1.
inline constexpr int kDecodeMinKeysPerSplit = 64;
inline constexpr int kDecodeMaxSplits = 128;

}  // namespace gptbench::kernels
