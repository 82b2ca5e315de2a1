// The sm_90a (Hopper) prefill kernel's tile shape and the inputs it accepts. Plain C++ (no CUDA
// headers), so that the selection function names the kernel in any build; the entry point is
// declared in flash_prefill_sm90.h, the kernel is flash_prefill_sm90.cuh.
#pragma once

#include <cstdint>  // int64_t, uintptr_t

#include "attention_params.h"  // AttentionParams, MaskPolicy, policy_has_window

namespace gptbench::kernels {

// One CTA = one producer warpgroup (a single thread issues every TMA copy) + kConsumerGroups
// consumer warpgroups of 64 query rows each; KV tiles of kBlockN keys in kStages shared-memory
// stages. Registers are moved from the producer to the consumers with setmaxnreg, within the
// register file's share of each of the kCtasPerSm resident CTAs. Per policy (NOTES.md, Hopper path):
//  - dense policies: 2 consumer groups (128-row CTAs), 1 CTA per SM;
//  - window at D 64: 1 consumer group (64-row CTAs, a narrower KV band) and 2 CTAs per SM, so that
//    one CTA's prologue and epilogue overlap the other's tiles (a window CTA has only ~4 tiles).
template <int kHeadDim, MaskPolicy P>
struct PrefillSm90Config {
  static constexpr bool kNarrow = policy_has_window(P) && kHeadDim == 64;
  static constexpr int kConsumerGroups = kNarrow ? 1 : 2;
  static constexpr int kCtasPerSm = kNarrow ? 2 : 1;
  static constexpr int kBlockM = 64 * kConsumerGroups;
  static constexpr int kBlockN = 128;
  static constexpr int kStages = 2;
  static constexpr int kThreads = 128 * (kConsumerGroups + 1);
  static constexpr int kProducerRegs = 24;
  static constexpr int kConsumerRegs = kNarrow ? 232 : 240;
  static_assert((kConsumerGroups * 128 * kConsumerRegs + 128 * kProducerRegs) * kCtasPerSm <= 65536,
                "register file");
};

// What the TMA descriptors need beyond what every flash kernel needs: 16-byte aligned base
// pointers and byte strides (rows, heads, batches), a compute capability 9.0 device.
inline bool prefill_sm90_layout_ok(const AttentionParams& p, int element_bytes) {
  auto aligned = [](const void* ptr) { return reinterpret_cast<uintptr_t>(ptr) % 16 == 0; };
  auto strides_ok = [&](const int64_t (&s)[3]) {
    for (int64_t x : s) {
      if (x <= 0 || (x * element_bytes) % 16 != 0) return false;
    }
    return true;
  };
  return aligned(p.q) && aligned(p.k) && aligned(p.v) && aligned(p.out) && strides_ok(p.q_strides) &&
         strides_ok(p.k_strides) && strides_ok(p.v_strides) && strides_ok(p.out_strides) && p.key_pos == nullptr &&
         (p.head_dim == 64 || p.head_dim == 128);
}

}  // namespace gptbench::kernels
