// The flash training path (gptbench/kernels/flash_backward_op.h): the LSE-writing forward and the
// fused backward kernel on CUDA; in a build without the flash kernels every input is unsupported.
#include "gptbench/kernels/flash_backward_op.h"

#include <ATen/ATen.h>  // at::empty, at::zeros, at::Tensor

#include <string>  // std::string

#include "attention_inputs.h"     // check_attention_inputs, default_scale, element_type_of, mask_policy
#include "chosen_kernel.h"        // take_chosen_kernel
#include "flash_policies.h"       // is_flash_head_dim, element_type_name, policy_name
#include "gptbench/util/check.h"  // GPTBENCH_CHECK

#ifdef GPTBENCH_HAVE_FLASH_KERNELS
#include <ATen/cuda/CUDAContext.h>  // getCurrentCUDAStream, getDeviceProperties
#include <c10/cuda/CUDAGuard.h>     // c10::cuda::CUDAGuard

#include <algorithm>  // std::min
#include <cstdint>    // int64_t, int32_t, uintptr_t

#include "attention_cuda_lse.h"  // attention_cuda_with_lse
#include "flash_backward.h"      // AttentionBackwardParams, launch_flash_backward
#endif

namespace gptbench::kernels {
namespace {

#ifdef GPTBENCH_HAVE_FLASH_KERNELS
AttentionOptions with_scale(const AttentionOptions& options, const at::Tensor& q) {
  AttentionOptions o = options;
  if (!o.scale) o.scale = detail::default_scale(q);
  return o;
}

// Contiguous and 16-byte aligned (the kernels move 16-byte vectors): t itself or a fresh copy.
at::Tensor kernel_layout(const at::Tensor& t) {
  const bool ok = t.is_contiguous() && reinterpret_cast<uintptr_t>(t.data_ptr()) % 16 == 0;
  return ok ? t : t.clone(at::MemoryFormat::Contiguous);
}
#endif

}  // namespace

std::string flash_backward_unsupported(const at::Tensor& q, const at::Tensor& k, const AttentionOptions& options) {
#ifndef GPTBENCH_HAVE_FLASH_KERNELS
  (void)q, (void)k, (void)options;
  return "this build has no flash kernels";
#else
  if (!q.is_cuda()) return "the fused backward runs on CUDA only";
  if (q.dim() != 4 || k.dim() != 4) return "q, k must be (B, H, T, D)";
  if (!detail::element_type_of(q.scalar_type())) return "the fused backward runs fp16/bf16 only";
  if (!is_flash_head_dim(static_cast<int>(q.size(3)))) return "head dim not in the flash kernel table";
  if (k.size(1) != q.size(1)) return "grouped-query attention has no fused backward";
  if (detail::has_tensor(options.key_pos) || detail::has_tensor(options.q_pos)) return "no KV cache with gradients";
  if (at::cuda::getDeviceProperties(q.device().index())->major < 8) return "the fused backward needs sm_80+";
  return "";
#endif
}

FlashForward flash_forward_with_lse(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                    const at::Tensor& key_start, const AttentionOptions& options) {
  const std::string why = flash_backward_unsupported(q, k, options);
  GPTBENCH_CHECK(why.empty(), "flash training forward: {}", why);
#ifndef GPTBENCH_HAVE_FLASH_KERNELS
  (void)v, (void)key_start;
#endif
#ifdef GPTBENCH_HAVE_FLASH_KERNELS
  FlashForward f;
  f.lse = at::empty({q.size(0), q.size(1), q.size(2)}, q.options().dtype(at::kFloat));
  f.out = attention_cuda_with_lse(q, k, v, key_start, with_scale(options, q), f.lse);
  f.kernel = detail::take_chosen_kernel();
  return f;
#else
  return {};
#endif
}

FlashGradients flash_backward(const at::Tensor& dout, const at::Tensor& q_in, const at::Tensor& k_in,
                              const at::Tensor& v_in, const at::Tensor& out_in, const at::Tensor& lse,
                              const at::Tensor& key_start_in, const AttentionOptions& options_in, bool deterministic) {
  const std::string why = flash_backward_unsupported(q_in, k_in, options_in);
  GPTBENCH_CHECK(why.empty(), "flash backward: {}", why);
#ifdef GPTBENCH_HAVE_FLASH_KERNELS
  const AttentionOptions options = with_scale(options_in, q_in);
  const detail::AttentionShape s = detail::check_attention_inputs(q_in, k_in, v_in, key_start_in, options);
  GPTBENCH_CHECK(dout.sizes() == q_in.sizes() && out_in.sizes() == q_in.sizes() && lse.scalar_type() == at::kFloat &&
                     lse.numel() == s.sizes.batch * s.sizes.heads * s.sizes.q_len,
                 "flash backward: dout and out must be q's shape, lse (B, H, Tq) fp32");
  const c10::cuda::CUDAGuard guard(q_in.device());
  // The kernels read contiguous rows of 16-byte vectors: fresh contiguous copies where needed.
  const at::Tensor q = kernel_layout(q_in), k = kernel_layout(k_in), v = kernel_layout(v_in);
  const at::Tensor out = kernel_layout(out_in), d_out = kernel_layout(dout.to(q.scalar_type()));
  const at::Tensor lse_c = lse.contiguous();
  const at::Tensor key_start = key_start_in.to(at::kInt).contiguous();
  const bool alibi = detail::has_tensor(options.alibi_slopes);
  const at::Tensor slopes = alibi ? options.alibi_slopes->to(at::kFloat).contiguous() : at::Tensor();
  const bool use_window = detail::window_active(options.window, s.q_pos0, s.sizes.q_len);
  const auto f32 = q.options().dtype(at::kFloat);

  FlashGradients grads;
  grads.dq = at::empty_like(q, at::MemoryFormat::Contiguous);
  grads.dk = at::empty_like(k, at::MemoryFormat::Contiguous);
  grads.dv = at::empty_like(v, at::MemoryFormat::Contiguous);
  const MaskPolicy policy = detail::mask_policy(alibi, use_window);
  grads.kernel = std::string("flash_bwd_sm80_") + element_type_name(*detail::element_type_of(q.scalar_type())) +
                 "_d" + std::to_string(s.sizes.head_dim) + "_" + policy_name(policy) +
                 (deterministic ? "_deterministic" : "");
  if (s.sizes.k_len == 0 || q.numel() == 0) {  // no key: every gradient is 0
    grads.dq.zero_();
    grads.dk.zero_();
    grads.dv.zero_();
    return grads;
  }
  const at::Tensor delta = at::empty({s.sizes.batch, s.sizes.heads, s.sizes.q_len}, f32);
  const at::Tensor dq_accum = deterministic ? at::Tensor() : at::zeros(q.sizes(), f32);

  AttentionBackwardParams bp;
  AttentionParams& p = bp.fwd;
  p.q = q.data_ptr();
  p.k = k.data_ptr();
  p.v = v.data_ptr();
  p.out = const_cast<void*>(out.data_ptr());
  for (int i = 0; i < 3; ++i) {
    p.q_strides[i] = q.stride(i);
    p.k_strides[i] = k.stride(i);
    p.v_strides[i] = v.stride(i);
    p.out_strides[i] = out.stride(i);
  }
  p.key_start = key_start.data_ptr<int32_t>();
  p.alibi_slopes = alibi ? slopes.data_ptr<float>() : nullptr;
  p.batch = static_cast<int>(s.sizes.batch);
  p.heads = static_cast<int>(s.sizes.heads);
  p.kv_heads = static_cast<int>(s.sizes.kv_heads);
  p.q_len = static_cast<int>(s.sizes.q_len);
  p.k_len = static_cast<int>(s.sizes.k_len);
  p.head_dim = static_cast<int>(s.sizes.head_dim);
  p.q_pos0 = static_cast<int>(s.q_pos0);
  p.window = use_window ? static_cast<int>(options.window) : 0;
  p.global_tokens = use_window ? static_cast<int>(std::min<int64_t>(options.global_tokens, int64_t{1} << 30)) : 0;
  p.scale = static_cast<float>(*options.scale);
  p.dtype = *detail::element_type_of(q.scalar_type());
  p.policy = policy;
  p.lse = const_cast<float*>(lse_c.data_ptr<float>());
  bp.dout = d_out.data_ptr();
  bp.dq = grads.dq.data_ptr();
  bp.dk = grads.dk.data_ptr();
  bp.dv = grads.dv.data_ptr();
  bp.delta = delta.data_ptr<float>();
  bp.dq_accum = deterministic ? nullptr : dq_accum.data_ptr<float>();
  bp.deterministic = deterministic;
  const cudaError_t err = launch_flash_backward(bp, at::cuda::getCurrentCUDAStream());
  GPTBENCH_CHECK(err == cudaSuccess, "flash backward: {} failed to launch: {}", grads.kernel, cudaGetErrorString(err));
  return grads;
#else
  (void)dout, (void)v_in, (void)out_in, (void)lse, (void)key_start_in, (void)deterministic;
  return {};
#endif
}

}  // namespace gptbench::kernels
