// The visibility rule of gptbench attention, as the decode kernel applies it per key (the
// prefill kernel turns the same rule into per-row column bounds, flash_prefill.cuh mask_tile):
//   key visible to query iff key_start <= kpos <= qpos
//     AND (no window OR qpos - kpos < window OR kpos - key_start < global_tokens).
// ALiBi adds -slope * (qpos - kpos) to the score (here in log2 units).
#pragma once

#include "attention_params.h"  // MaskPolicy, policy_has_window

namespace gptbench::kernels {

template <MaskPolicy P>
struct RowMask {
  int key_start;      // first real position of the row
  int window;         // W: a query sees itself and the W-1 keys before it
  int global_tokens;  // G: the first G real tokens are sinks every query sees

  __device__ __forceinline__ bool visible(int qpos, int kpos) const {
    bool ok = kpos >= key_start && kpos <= qpos;
    if constexpr (policy_has_window(P)) {
      ok = ok && (qpos - kpos < window || kpos - key_start < global_tokens);
    }
    return ok;
  }
};

}  // namespace gptbench::kernels
