// The input of nsa's sparse-branch kernels (kernels/nsa_compressed.cu, nsa_topk.cu, nsa_selected.cu;
// docs/variants.md has the equations): pointers, strides and sizes. Plain C++ so that the op
// (nsa_select_op.cpp, g++) fills it and the kernels (nvcc) read it. Positions are relative to each
// row's key_start: the query at time t of row b sits at rel = q_pos0 + t - key_start[b].
#pragma once

#include <cstdint>  // int64_t, int32_t

namespace gptbench::kernels {

enum class NsaElement : int { kFp16 = 0, kBf16 = 1 };

struct NsaSelectParams {
  const void* q = nullptr;  // (B, H, Tq, D) fp16/bf16, last dim contiguous
  int64_t q_strides[3] = {0, 0, 0};  // batch, head, time
  const void* k = nullptr;  // (B, Hkv, Tk, D), the keys at positions 0 .. Tk - 1
  int64_t k_strides[3] = {0, 0, 0};
  const void* v = nullptr;  // (B, Hkv, Tk, D)
  int64_t v_strides[3] = {0, 0, 0};
  const float* kc = nullptr;  // (B, Hkv, nc, D) fp32 contiguous: the compressed keys (block i: tokens i d .. i d + l - 1)
  const float* vc = nullptr;  // (B, Hkv, nc, D) fp32 contiguous: the compressed values
  const int64_t* key_start = nullptr;  // (B,)

  // nsa_compressed writes, nsa_topk reads: (B, Hkv, Tq, ns) fp32 contiguous, the block score of each
  // selection block j of each query: +inf for the forced blocks (0 and the two local ones), the
  // importance for the other eligible ones (j l' <= rel), -inf for the rest.
  float* block_score = nullptr;
  int ns = 0;  // selection blocks of a row starting at 0: ceil(Tk / l')
  // nsa_topk writes, nsa_selected reads: (B, Hkv, Tq, nsel) int32 contiguous, the selected blocks of
  // each query, -1 for an unused slot.
  int32_t* blocks = nullptr;
  float* out_cmp = nullptr;  // (B, H, Tq, D) fp32, last dim contiguous: the compressed branch
  float* out_slc = nullptr;  // (B, H, Tq, D) fp32, last dim contiguous: the selected branch
  int64_t out_strides[3] = {0, 0, 0};  // batch, head, time: of both outputs

  int batch = 0, heads = 0, kv_heads = 0, q_len = 0, k_len = 0, head_dim = 0, nc = 0;
  int64_t q_pos0 = 0;  // position of query 0 (Tk - Tq)
  int block = 0, stride = 0, select_block = 0, nsel = 0;  // l, d, l', n = min(topk, ns)
  float scale = 0.f;  // 1 / sqrt(D)
  NsaElement dtype = NsaElement::kFp16;
};

}  // namespace gptbench::kernels
