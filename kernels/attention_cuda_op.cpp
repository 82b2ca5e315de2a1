// CUDA implementation of gptbench::attention: checks, chooses the kernel once (chosen_kernel.h),
// fills the kernels' AttentionParams and launches on the current stream (functional and .out
// overloads). Built only when nvcc is present; the kernels themselves never see a torch header.
#include <ATen/ATen.h>                   // at::empty, at::Tensor
#include <ATen/cuda/CUDAContext.h>       // at::cuda::getCurrentCUDAStream, getCurrentDeviceProperties
#include <c10/cuda/CUDAGuard.h>          // c10::cuda::CUDAGuard
#include <torch/library.h>               // TORCH_LIBRARY_IMPL

#include <algorithm>  // std::min
#include <cstdint>    // int64_t, uintptr_t
#include <cstdio>     // std::fprintf
#include <cstdlib>    // std::getenv, std::strtol

#include "attention_cuda_lse.h"             // attention_cuda_with_lse, defined here
#include "attention_inputs.h"               // check_attention_inputs, window_active, mask_policy, element_type_of
#include "chosen_kernel.h"                  // choose_kernel
#include "flash_config.h"                   // kDecodeMinKeysPerSplit
#include "flash_launch.h"                   // launch_flash_prefill, launch_flash_decode, choose_decode_splits
#include "gptbench/kernels/attention_op.h"  // make_attention_problem, AttentionOptions
#include "gptbench/util/check.h"            // GPTBENCH_CHECK

namespace gptbench::kernels {

int decode_min_keys_per_split() {
  static const int value = [] {
    const char* env = std::getenv("GPTBENCH_DECODE_MIN_KEYS");
    if (env == nullptr) return kDecodeMinKeysPerSplit;
    char* end = nullptr;
    const long v = std::strtol(env, &end, 10);
    if (end != env && *end == '\0' && v > 0 && v <= (1 << 20)) return static_cast<int>(v);
    std::fprintf(stderr, "warning: GPTBENCH_DECODE_MIN_KEYS=%s is not a positive integer: using %d\n", env,
                 kDecodeMinKeysPerSplit);
    return kDecodeMinKeysPerSplit;
  }();
  return value;
}

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

// What vector_friendly(t) gives has positive strides, so TMA descriptors can describe it.
bool tma_friendly(const at::Tensor& t) {
  return !is_vector_friendly(t) || (t.stride(0) > 0 && t.stride(1) > 0 && t.stride(2) > 0);
}

void fill_strides(int64_t (&dst)[3], const at::Tensor& t) {
  dst[0] = t.stride(0);
  dst[1] = t.stride(1);
  dst[2] = t.stride(2);
}

// Chooses the kernel and launches into `out` (B, H, Tq, D), which must be vector friendly;
// `s` and `options` are the call's checked inputs. lse: null, or (B, H, Tq) fp32 contiguous that
// the sm_80 prefill fills with each row's log2-sum-exp (the training forward; options then ask
// for kSm80, and Tq == 1 runs the prefill too, since the decode kernel writes no LSE).
void run_attention_cuda(const at::Tensor& out, const detail::AttentionShape& s, const AttentionOptions& options,
                        const at::Tensor& q_in, const at::Tensor& k_in, const at::Tensor& v_in,
                        const at::Tensor& key_start_in, float* lse = nullptr) {
  AttentionProblem problem = make_attention_problem(q_in.device(), q_in.scalar_type(), s.sizes, options);
  // The tensors the kernel will read (vector_friendly copies what is not) suit TMA unless a stride is 0
  // (a broadcast view): the sm_90a kernel's descriptors need positive 16-byte strides.
  problem.tma_layout = tma_friendly(q_in) && tma_friendly(k_in) && tma_friendly(v_in) && tma_friendly(out);
  const KernelChoice choice = detail::choose_kernel(problem);
  const std::optional<at::Tensor>& key_pos_in = options.key_pos;
  const std::optional<at::Tensor>& alibi_in = options.alibi_slopes;
  const int64_t window = options.window, global_tokens = options.global_tokens;

  const c10::cuda::CUDAGuard guard(q_in.device());
  const at::Tensor q = vector_friendly(q_in), k = vector_friendly(k_in), v = vector_friendly(v_in);
  const at::Tensor key_start = key_start_in.to(at::kInt).contiguous();
  const bool rolling = detail::has_tensor(key_pos_in);
  const at::Tensor key_pos = rolling ? key_pos_in->to(at::kInt).contiguous() : at::Tensor();
  const bool alibi = detail::has_tensor(alibi_in);
  const at::Tensor slopes = alibi ? alibi_in->to(at::kFloat).contiguous() : at::Tensor();
  if (out.numel() == 0) return;

  const bool use_window = detail::window_active(window, s.q_pos0, s.sizes.q_len);
  AttentionParams p;
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
  p.batch = static_cast<int>(s.sizes.batch);
  p.heads = static_cast<int>(s.sizes.heads);
  p.kv_heads = static_cast<int>(s.sizes.kv_heads);
  p.q_len = static_cast<int>(s.sizes.q_len);
  p.k_len = static_cast<int>(s.sizes.k_len);
  p.head_dim = static_cast<int>(s.sizes.head_dim);
  p.q_pos0 = static_cast<int>(s.q_pos0);
  p.q_pos_device = s.device_q_pos ? options.q_pos->data_ptr<int64_t>() : nullptr;
  p.window = use_window ? static_cast<int>(window) : 0;
  p.global_tokens = use_window ? static_cast<int>(std::min<int64_t>(global_tokens, int64_t{1} << 30)) : 0;
  p.scale = static_cast<float>(*options.scale);
  p.dtype = *detail::element_type_of(q.scalar_type());  // the choice above refused any other dtype
  p.policy = detail::mask_policy(alibi, use_window);
  p.lse = lse;
  GPTBENCH_CHECK(lse == nullptr || choice.prefill_arch != FlashArch::kSm90,
                 "gptbench::attention: the log-sum-exp output needs the sm_80 prefill, the selection chose {}",
                 choice.kernel_name);

  const cudaStream_t stream = at::cuda::getCurrentCUDAStream();
  cudaError_t err = cudaSuccess;
  at::Tensor partial_out, partial_lse;  // keep the scratch alive until the launches are queued
  if (s.sizes.q_len == 1 && lse == nullptr) {
    // Keys one row may scan, bounded without reading key_start (it lives on the device).
    int64_t span = s.sizes.k_len;
    if (!rolling) {
      span = std::min<int64_t>(s.sizes.k_len, std::max<int64_t>(0, s.q_pos0 + 1));
      if (use_window) span = std::min<int64_t>(span, window + global_tokens);
    }
    const int sms = at::cuda::getCurrentDeviceProperties()->multiProcessorCount;
    p.decode_span = static_cast<int>(span);
    p.num_splits = choose_decode_splits(p, sms, decode_min_keys_per_split());
    if (p.num_splits > 1) {
      const auto f32 = q.options().dtype(at::kFloat);
      partial_out = at::empty({s.sizes.batch, s.sizes.heads, p.num_splits, s.sizes.head_dim}, f32);
      partial_lse = at::empty({s.sizes.batch, s.sizes.heads, p.num_splits}, f32);
      p.partial_out = partial_out.data_ptr<float>();
      p.partial_lse = partial_lse.data_ptr<float>();
    }
    err = launch_flash_decode(p, stream);
  } else {
    // Launch what the selection named.
    err = launch_flash_prefill(p, choice.prefill_arch == FlashArch::kSm90 ? PrefillKernel::kSm90 : PrefillKernel::kSm80,
                               stream);
  }
  GPTBENCH_CHECK(err == cudaSuccess, "gptbench::attention: {} failed to launch: {}", choice.kernel_name,
                 cudaGetErrorString(err));
}

at::Tensor attention_cuda(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& key_start,
                          const std::optional<at::Tensor>& key_pos, std::optional<int64_t> q_pos0,
                          const std::optional<at::Tensor>& alibi_slopes, int64_t window, int64_t global_tokens,
                          double scale, const std::optional<at::Tensor>& q_pos, int64_t flash_arch) {
  const AttentionOptions options =
      detail::options_of(key_pos, q_pos0, alibi_slopes, window, global_tokens, scale, q_pos, flash_arch);
  const detail::AttentionShape s = detail::check_attention_inputs(q, k, v, key_start, options);
  at::Tensor out = at::empty({s.sizes.batch, s.sizes.heads, s.sizes.q_len, s.sizes.head_dim}, q.options());
  run_attention_cuda(out, s, options, q, k, v, key_start);
  return out;
}

at::Tensor& attention_out_cuda(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                               const at::Tensor& key_start, const std::optional<at::Tensor>& key_pos,
                               std::optional<int64_t> q_pos0, const std::optional<at::Tensor>& alibi_slopes,
                               int64_t window, int64_t global_tokens, double scale,
                               const std::optional<at::Tensor>& q_pos, int64_t flash_arch, at::Tensor& out) {
  const AttentionOptions options =
      detail::options_of(key_pos, q_pos0, alibi_slopes, window, global_tokens, scale, q_pos, flash_arch);
  const detail::AttentionShape s = detail::check_attention_inputs(q, k, v, key_start, options);
  detail::check_attention_out(out, q);
  if (is_vector_friendly(out)) {
    run_attention_cuda(out, s, options, q, k, v, key_start);
  } else {
    out.copy_(attention_cuda(q, k, v, key_start, key_pos, q_pos0, alibi_slopes, window, global_tokens, scale, q_pos,
                             flash_arch));
  }
  return out;
}

}  // namespace

at::Tensor attention_cuda_with_lse(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                   const at::Tensor& key_start, const AttentionOptions& options, const at::Tensor& lse) {
  AttentionOptions sm80 = options;
  sm80.flash_arch = FlashArch::kSm80;
  const detail::AttentionShape s = detail::check_attention_inputs(q, k, v, key_start, sm80);
  GPTBENCH_CHECK(sm80.scale.has_value() && lse.scalar_type() == at::kFloat && lse.is_contiguous() &&
                     lse.numel() == s.sizes.batch * s.sizes.heads * s.sizes.q_len,
                 "gptbench::attention: the training forward needs a scale and a contiguous (B, H, Tq) fp32 lse");
  at::Tensor out = at::empty({s.sizes.batch, s.sizes.heads, s.sizes.q_len, s.sizes.head_dim}, q.options());
  run_attention_cuda(out, s, sm80, q, k, v, key_start, lse.data_ptr<float>());
  return out;
}

}  // namespace gptbench::kernels

TORCH_LIBRARY_IMPL(gptbench, CUDA, m) {
  m.impl("attention", &gptbench::kernels::attention_cuda);
  m.impl("attention.out", &gptbench::kernels::attention_out_cuda);
}
