// CUDA implementation of gptbench::attention: checks, asks select_attention_kernel,
// fills the kernels' AttentionParams and launches on the current stream (functional and
// .out overloads). Built only
// when nvcc is present; the kernels themselves never see a torch header.
#include <ATen/ATen.h>                   // at::empty, at::Tensor
#include <ATen/cuda/CUDAContext.h>       // at::cuda::getCurrentCUDAStream, getCurrentDeviceProperties
#include <c10/cuda/CUDAGuard.h>          // c10::cuda::CUDAGuard
#include <torch/library.h>               // TORCH_LIBRARY_IMPL

#include <algorithm>  // std::min
#include <cstdint>    // int64_t, uintptr_t

#include "attention_inputs.h"             // check_attention_inputs, window_active, mask_policy
#include "flash_launch.h"                 // launch_flash_prefill, launch_flash_decode, choose_decode_splits
#include "gptbench/attention/flash_op.h"  // select_attention_kernel, make_attention_problem
#include "gptbench/util/check.h"          // GPTBENCH_CHECK

namespace gptbench::attention {
namespace {

// The kernels move 16-byte vectors: last dim contiguous, other strides and the base
// address multiples of 8 elements. Anything else is copied once into a fresh layout.
bool is_vector_friendly(const at::Tensor& t) {
  return t.stride(3) == 1 && t.stride(0) % 8 == 0 && t.stride(1) % 8 == 0 && t.stride(2) % 8 == 0 &&
         reinterpret_cast<uintptr_t>(t.data_ptr()) % 16 == 0;
}

at::Tensor vector_friendly(const at::Tensor& t) {
  return is_vector_friendly(t) ? t : t.clone(at::MemoryFormat::Contiguous);
}

void fill_strides(int64_t (&dst)[3], const at::Tensor& t) {
  dst[0] = t.stride(0);
  dst[1] = t.stride(1);
  dst[2] = t.stride(2);
}

// Checks, selects and launches into `out` (B, H, Tq, D), which must be vector friendly.
void run_attention_cuda(const at::Tensor& out, const detail::AttentionShape& s, const at::Tensor& q_in,
                        const at::Tensor& k_in, const at::Tensor& v_in, const at::Tensor& key_start_in,
                        const std::optional<at::Tensor>& key_pos_in, const std::optional<at::Tensor>& alibi_in,
                        int64_t window, int64_t global_tokens, double scale, const std::optional<at::Tensor>& q_pos) {
  AttentionOptions opts;
  opts.key_pos = key_pos_in;
  opts.q_pos0 = s.q_pos0;  // with a device q_pos: its upper bound Tk - 1, which keeps every choice below safe
  opts.alibi_slopes = alibi_in;
  opts.window = window;
  opts.global_tokens = global_tokens;
  const KernelChoice choice = select_attention_kernel(make_attention_problem(q_in, k_in, opts));
  GPTBENCH_CHECK(choice.supported, "gptbench::attention: unsupported on CUDA: {}", choice.reason);

  const c10::cuda::CUDAGuard guard(q_in.device());
  const at::Tensor q = vector_friendly(q_in), k = vector_friendly(k_in), v = vector_friendly(v_in);
  const at::Tensor key_start = key_start_in.to(at::kInt).contiguous();
  const bool rolling = key_pos_in.has_value() && key_pos_in->defined();
  const at::Tensor key_pos = rolling ? key_pos_in->to(at::kInt).contiguous() : at::Tensor();
  const bool alibi = alibi_in.has_value() && alibi_in->defined();
  const at::Tensor slopes = alibi ? alibi_in->to(at::kFloat).contiguous() : at::Tensor();
  if (out.numel() == 0) return;

  const bool use_window = detail::window_active(window, s.q_pos0, s.q_len);
  kernels::AttentionParams p;
  p.q = q.data_ptr();
  p.k = k.data_ptr();
  p.v = v.data_ptr();
  p.out = out.data_ptr();
  fill_strides(p.q_strides, q);
  fill_strides(p.k_strides, k);
  fill_strides(p.v_strides, v);
  fill_strides(p.out_strides, out);
  p.key_start = key_start.data_ptr<int32_t>();
  p.key_pos = rolling ? key_pos.data_ptr<int32_t>() : nullptr;
  p.key_pos_batch_stride = rolling ? key_pos.stride(0) : 0;
  p.alibi_slopes = alibi ? slopes.data_ptr<float>() : nullptr;
  p.batch = static_cast<int>(s.batch);
  p.heads = static_cast<int>(s.heads);
  p.q_len = static_cast<int>(s.q_len);
  p.k_len = static_cast<int>(s.k_len);
  p.head_dim = static_cast<int>(s.head_dim);
  p.q_pos0 = static_cast<int>(s.q_pos0);
  p.q_pos_device = s.device_q_pos ? q_pos->data_ptr<int64_t>() : nullptr;
  p.window = use_window ? static_cast<int>(window) : 0;
  p.global_tokens = use_window ? static_cast<int>(std::min<int64_t>(global_tokens, int64_t{1} << 30)) : 0;
  p.scale = static_cast<float>(scale);
  p.dtype = q.scalar_type() == at::kHalf ? kernels::ElementType::kFp16 : kernels::ElementType::kBf16;
  p.policy = detail::mask_policy(alibi, use_window);

  const cudaStream_t stream = at::cuda::getCurrentCUDAStream();
  cudaError_t err = cudaSuccess;
  at::Tensor partial_out, partial_lse;  // keep the scratch alive until the launches are queued
  if (s.q_len == 1) {
    // Keys one row may scan, bounded without reading key_start (it lives on the device).
    int64_t span = s.k_len;
    if (!rolling) {
      span = std::min<int64_t>(s.k_len, std::max<int64_t>(0, s.q_pos0 + 1));
      if (use_window) span = std::min<int64_t>(span, window + global_tokens);
    }
    const int sms = at::cuda::getCurrentDeviceProperties()->multiProcessorCount;
    p.decode_span = static_cast<int>(span);
    p.num_splits = kernels::choose_decode_splits(p, sms);
    if (p.num_splits > 1) {
      const auto f32 = q.options().dtype(at::kFloat);
      partial_out = at::empty({s.batch, s.heads, p.num_splits, s.head_dim}, f32);
      partial_lse = at::empty({s.batch, s.heads, p.num_splits}, f32);
      p.partial_out = partial_out.data_ptr<float>();
      p.partial_lse = partial_lse.data_ptr<float>();
    }
    err = kernels::launch_flash_decode(p, stream);
  } else {
    err = kernels::launch_flash_prefill(p, stream);
  }
  GPTBENCH_CHECK(err == cudaSuccess, "gptbench::attention: {} failed to launch: {}", choice.kernel_name,
                 cudaGetErrorString(err));
}

at::Tensor attention_cuda(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& key_start,
                          const std::optional<at::Tensor>& key_pos, std::optional<int64_t> q_pos0,
                          const std::optional<at::Tensor>& alibi_slopes, int64_t window, int64_t global_tokens,
                          double scale, const std::optional<at::Tensor>& q_pos) {
  const detail::AttentionShape s = detail::check_attention_inputs(q, k, v, key_start, key_pos, q_pos0, alibi_slopes,
                                                                  window, global_tokens, scale, q_pos);
  at::Tensor out = at::empty({s.batch, s.heads, s.q_len, s.head_dim}, q.options());
  run_attention_cuda(out, s, q, k, v, key_start, key_pos, alibi_slopes, window, global_tokens, scale, q_pos);
  return out;
}

at::Tensor& attention_out_cuda(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                               const at::Tensor& key_start, const std::optional<at::Tensor>& key_pos,
                               std::optional<int64_t> q_pos0, const std::optional<at::Tensor>& alibi_slopes,
                               int64_t window, int64_t global_tokens, double scale,
                               const std::optional<at::Tensor>& q_pos, at::Tensor& out) {
  const detail::AttentionShape s = detail::check_attention_inputs(q, k, v, key_start, key_pos, q_pos0, alibi_slopes,
                                                                  window, global_tokens, scale, q_pos);
  detail::check_attention_out(out, q);
  if (is_vector_friendly(out)) {
    run_attention_cuda(out, s, q, k, v, key_start, key_pos, alibi_slopes, window, global_tokens, scale, q_pos);
  } else {
    out.copy_(attention_cuda(q, k, v, key_start, key_pos, q_pos0, alibi_slopes, window, global_tokens, scale, q_pos));
  }
  return out;
}

}  // namespace
}  // namespace gptbench::attention

TORCH_LIBRARY_IMPL(gptbench, CUDA, m) {
  m.impl("attention", &gptbench::attention::attention_cuda);
  m.impl("attention.out", &gptbench::attention::attention_out_cuda);
}
