// The input of the fused RoPE kernel (kernels/rope.cu): pointers, strides and sizes. Plain C++ so
// that the op (rope_op.cpp, g++) fills it and the kernel (nvcc) reads it. Shapes: qkv (B, T,
// (H + 2 Hkv) D) with q heads, then k heads, then v heads along its contiguous last dim.
#pragma once

#include <cstdint>  // int64_t

namespace gptbench::kernels {

enum class RopeElement : int { kFp16 = 0, kBf16 = 1, kFp32 = 2 };

struct RopeParams {
  const void* qkv = nullptr;        // (B, T, (H + 2 Hkv) D)
  int64_t qkv_strides[2] = {0, 0};  // batch, time
  const float* inv_freq = nullptr;  // (D/2) fp32, contiguous

  void* q = nullptr;  // (B, H, T, D), rotated queries
  int64_t q_strides[3] = {0, 0, 0};  // batch, head, time
  void* k = nullptr;  // (B, Hkv, T, D), rotated keys; null when kv is set
  int64_t k_strides[3] = {0, 0, 0};

  // Decode into a KV cache (T == 1): rotated key and the value go to slot *pos_device of
  // (2, B, Hkv, capacity, D); a position outside [0, capacity) writes nothing.
  void* kv = nullptr;
  int64_t kv_strides[4] = {0, 0, 0, 0};  // key/value, batch, head, position
  int64_t kv_capacity = 0;
  const int64_t* pos_device = nullptr;  // (1): the step's position, read on the device

  int batch = 0, len = 0, heads = 0, kv_heads = 0, head_dim = 0;
  int64_t pos0 = 0;  // position of time step 0 (without pos_device)
  RopeElement dtype = RopeElement::kFp16;
};

}  // namespace gptbench::kernels
