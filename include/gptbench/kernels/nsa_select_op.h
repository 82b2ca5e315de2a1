// nsa's compressed and selected branches on CUDA (docs/variants.md has the equations; the ATen
// path in src/attention/nsa_branches.cpp computes the same and is the reference): three kernels per
// chunk of queries (kernels/nsa_compressed.cu: the compressed attention and each selection block's
// score; nsa_topk.cu: the n best blocks; nsa_selected.cu: attention over their tokens), fp16/bf16
// queries, keys and values, fp32 compressed keys and values, fp32 accumulation, fp32 outputs. No
// (queries x keys) array: the block scores of one chunk of queries are the largest buffer.
#pragma once

#include <ATen/core/Tensor.h>     // at::Tensor
#include <c10/core/ScalarType.h>  // c10::ScalarType

#include <cstdint>  // int64_t
#include <string>   // std::string

namespace gptbench::kernels {

// nsa's sizes as the kernels take them: l, d, l', n (attention::NsaSizes, whose layer is above this one).
struct NsaKernelSizes {
  int64_t block = 0, stride = 0, select_block = 0, topk = 0;
};

// "" when the kernels run this call, else why not (the caller then runs the ATen path): a build
// without nvcc, a tensor not on CUDA, a dtype other than fp16/bf16, a head dim other than 64/128, a
// group (H / Hkv) other than 1, 2, 4, 8, n > 64, or (l + l') / d > 126.
std::string nsa_select_unsupported_reason(const at::Tensor& q, int64_t kv_heads, const NsaKernelSizes& sizes);

// The kernels' name in reports: "nsa_select_fp16_d64".
std::string nsa_select_kernel_name(c10::ScalarType dtype, int64_t head_dim);

struct NsaSparseBranches {
  at::Tensor cmp;     // (B, H, Tq, D) fp32: attention over the compressed blocks
  at::Tensor slc;     // (B, H, Tq, D) fp32: attention over the selected blocks' tokens
  at::Tensor blocks;  // (B, Hkv, Tq, n) int32: the selected blocks, best first, -1 for an unused slot
};

// q (B, H, Tq, D) at positions q_pos0 .. q_pos0 + Tq - 1; k, v (B, Hkv, Tk, D) at positions 0 .. Tk - 1
// (fp16/bf16, q's dtype); kc, vc (B, Hkv, nc, D) fp32, the compressed blocks 0 .. nc - 1; key_start (B,)
// int64. Positions count from key_start (a padding query outputs 0). Throws when
// nsa_select_unsupported_reason is not "".
NsaSparseBranches nsa_sparse_cuda(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& kc,
                                  const at::Tensor& vc, const at::Tensor& key_start, int64_t q_pos0,
                                  const NsaKernelSizes& sizes);

// The selected branch alone for given blocks (B, Hkv, Tq, n) int32 (-1: none): nsa_selected.cu, (B, H, Tq, D) fp32.
at::Tensor nsa_selected_cuda(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& blocks,
                             const at::Tensor& key_start, int64_t q_pos0, int64_t select_block);

// True when this build compiled the kernels (configured with nvcc).
bool nsa_select_kernels_compiled();

}  // namespace gptbench::kernels
