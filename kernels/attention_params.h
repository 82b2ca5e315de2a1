// The one input of every attention kernel: pointers, strides, sizes and mask settings.
// Plain C++ (no torch, no CUDA headers) so that the torch op (.cpp, g++) fills it and
// the kernels (.cu, nvcc) read it without either side compiling the other's headers.
// Shapes: q, out (B, H, Tq, D); k, v (B, Hkv, Tk, D) with H % Hkv == 0 (query head h reads kv head
// h / (H / Hkv)); strides in elements, last dim contiguous.
#pragma once

#include <cstdint>  // int64_t, int32_t

namespace gptbench::kernels {

// The compile-time mask policy of a kernel instantiation. Causal is always on (GPT-2);
// sinks (global tokens) are a runtime value inside the window policies.
enum class MaskPolicy : int { kCausal = 0, kAlibi = 1, kWindow = 2, kAlibiWindow = 3 };

enum class ElementType : int { kFp16 = 0, kBf16 = 1 };

constexpr bool policy_has_alibi(MaskPolicy p) {
  return p == MaskPolicy::kAlibi || p == MaskPolicy::kAlibiWindow;
}
constexpr bool policy_has_window(MaskPolicy p) {
  return p == MaskPolicy::kWindow || p == MaskPolicy::kAlibiWindow;
}

struct AttentionParams {
  const void* q = nullptr;  // (B, H, Tq, D)
  const void* k = nullptr;  // (B, Hkv, Tk, D)
  const void* v = nullptr;  // (B, Hkv, Tk, D)
  void* out = nullptr;      // (B, H, Tq, D)
  int64_t q_strides[3] = {0, 0, 0};    // batch, head, row
  int64_t k_strides[3] = {0, 0, 0};
  int64_t v_strides[3] = {0, 0, 0};
  int64_t out_strides[3] = {0, 0, 0};

  const int32_t* key_start = nullptr;   // (B): first real position of each row
  const int32_t* key_pos = nullptr;     // (B, Tk) or null: position held by each cache slot, -1 = empty
  int64_t key_pos_batch_stride = 0;
  const float* alibi_slopes = nullptr;  // (H) or null

  int batch = 0, heads = 0, q_len = 0, k_len = 0, head_dim = 0;
  int kv_heads = 0;        // Hkv; heads / kv_heads query heads share one key/value head
  int q_pos0 = 0;          // position of query 0 (unless q_pos_device is set)
  const int64_t* q_pos_device = nullptr;  // (1) or null: query 0's position read on the device
                                          // (decode under CUDA graphs); q_pos0 is then an upper bound
  int window = 0;          // 0 = no window
  int global_tokens = 0;   // sinks: first real tokens every query sees (window policies only)
  float scale = 0.f;       // softmax scale applied to q.k
  // (B, H, Tq) fp32 contiguous or null: the sm_80 prefill writes each row's log2-sum-exp of the
  // scores in log2 units, scale * log2(e) * q.k (+ the ALiBi bias * log2(e)), +inf for a row that
  // sees no key; the backward (flash_backward.h) recomputes P = 2^(score - lse) from it.
  float* lse = nullptr;
  ElementType dtype = ElementType::kFp16;
  MaskPolicy policy = MaskPolicy::kCausal;

  // Split-KV decode scratch, filled by the launcher's caller when num_splits > 1.
  int num_splits = 1;
  float* partial_out = nullptr;  // (B, H, num_splits, D) fp32, already normalised per split
  float* partial_lse = nullptr;  // (B, H, num_splits) fp32, log2 domain, -inf for an empty split
  int decode_span = 0;           // upper bound of keys one row scans (host's view), sets num_splits
};

}  // namespace gptbench::kernels
