// Rotary position embeddings (RoPE) in the Hugging Face Llama/Mistral convention ("rotate_half":
// element i pairs with element i + D/2): angle(pos, i) = pos * inv_freq[i] in fp32,
//   out = x * cos(angle) + rotate_half(x) * sin(angle),   rotate_half(x) = (-x[D/2:], x[:D/2]),
// computed in fp32 and rounded once to x's dtype. Positions are those of gptbench/attention/attention.h:
// token t of every row sits at pos0 + t on the shared padded time axis (equal, for attention scores,
// to transformers' left-padded position_ids, since RoPE scores depend only on q_pos - k_pos).
// inv_freq (rope_theta, rope_scaling) is computed by the model layer, never here.
// rope_split_qkv and rope_split_qkv_into_cache run gptbench's fused kernel (kernels/rope.cu) on CUDA
// inputs (fp16, bf16, fp32) when the build has nvcc; everything else, and rope() on any device, runs
// the same math as ATen ops (rope_reference), which is also the tests' reference.
#pragma once

#include <ATen/core/Tensor.h>  // at::Tensor

#include <cstdint>  // int64_t

namespace gptbench::kernels {

// x: (B, H, T, D), last dim contiguous; inv_freq: (D/2,) fp32 on x's device. Returns rotated x (new tensor).
at::Tensor rope(const at::Tensor& x, const at::Tensor& inv_freq, int64_t pos0);

struct RotatedQkv { at::Tensor q, k, v; };  // q (B, H, T, D); k, v (B, Hkv, T, D)

// qkv: (B, T, (H + 2 * Hkv) * D), the fused projection's output, q heads then k heads then v heads.
// Splits it and rotates q and k (one fused kernel on CUDA; ATen on CPU). q and k are new tensors,
// v is a view of qkv (it needs no rotation).
RotatedQkv rope_split_qkv(const at::Tensor& qkv, const at::Tensor& inv_freq, int64_t n_head, int64_t n_kv_head,
                          int64_t pos0);

// Decode with the position on the device (CUDA-graph replay, T == 1): rotates and stores the token's k and v into
// kv_buffer (2, B, Hkv, capacity, D) at position q_pos[0] ((1,) int64 on the device); returns q (B, H, 1, D).
// A position outside [0, capacity) is an error on the CPU; the CUDA kernel, which cannot report it
// without a host sync, then writes no slot.
at::Tensor rope_split_qkv_into_cache(const at::Tensor& qkv, const at::Tensor& inv_freq, int64_t n_head,
                                     int64_t n_kv_head, const at::Tensor& q_pos, at::Tensor& kv_buffer);

// The ATen math of the three calls above on any device (the CPU path and the tests' reference);
// positions: (T,) int64 on x's device, the position of each time step.
at::Tensor rope_reference(const at::Tensor& x, const at::Tensor& inv_freq, const at::Tensor& positions);

// True when this build compiled the fused RoPE kernel (configured with nvcc).
bool rope_kernel_compiled();

}  // namespace gptbench::kernels
