// The gptbench::attention op: its schema, its CPU implementation (the ATen reference
// behind the common argument checks) and the C++ entry points of flash_op.h.
// The CUDA implementation registers itself from attention_cuda_op.cpp when nvcc is present.
#include <ATen/core/dispatch/Dispatcher.h>  // c10::Dispatcher
#include <torch/library.h>                  // TORCH_LIBRARY, TORCH_LIBRARY_IMPL

#include <cmath>  // std::sqrt

#ifdef GPTBENCH_HAVE_FLASH_KERNELS
#include <cuda_runtime_api.h>  // cudaDeviceGetAttribute
#endif

#include "attention_inputs.h"             // check_attention_inputs
#include "gptbench/attention/flash_op.h"  // the API defined here

namespace gptbench::attention {
namespace {

int cuda_sm_version(int device_index) {
#ifdef GPTBENCH_HAVE_FLASH_KERNELS
  int major = 0, minor = 0;
  if (cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device_index) != cudaSuccess ||
      cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, device_index) != cudaSuccess) {
    cudaGetLastError();  // clear it: the next CUDA call must not report this failed query
    return 0;
  }
  return 10 * major + minor;
#else
  (void)device_index;
  return 0;
#endif
}

at::Tensor attention_cpu(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& key_start,
                         const std::optional<at::Tensor>& key_pos, std::optional<int64_t> q_pos0,
                         const std::optional<at::Tensor>& alibi_slopes, int64_t window, int64_t global_tokens,
                         double scale, const std::optional<at::Tensor>& q_pos) {
  const detail::AttentionShape s = detail::check_attention_inputs(q, k, v, key_start, key_pos, q_pos0, alibi_slopes,
                                                                  window, global_tokens, scale, q_pos);
  const int64_t qpos = s.device_q_pos ? q_pos->item<int64_t>() : s.q_pos0;
  return attention_reference(q, k, v, key_start, key_pos, qpos, alibi_slopes, window, global_tokens, scale);
}

at::Tensor& attention_out_cpu(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                              const at::Tensor& key_start, const std::optional<at::Tensor>& key_pos,
                              std::optional<int64_t> q_pos0, const std::optional<at::Tensor>& alibi_slopes,
                              int64_t window, int64_t global_tokens, double scale,
                              const std::optional<at::Tensor>& q_pos, at::Tensor& out) {
  detail::check_attention_out(out, q);
  return out.copy_(
      attention_cpu(q, k, v, key_start, key_pos, q_pos0, alibi_slopes, window, global_tokens, scale, q_pos));
}

double default_scale(const at::Tensor& q) {
  return 1.0 / std::sqrt(static_cast<double>(q.dim() == 4 ? q.size(3) : 1));
}

}  // namespace

AttentionProblem make_attention_problem(const at::Tensor& q, const at::Tensor& k, const AttentionOptions& options) {
  AttentionProblem pr;
  pr.device = q.device().type();
  pr.device_index = q.device().has_index() ? q.device().index() : 0;
  if (pr.device == c10::DeviceType::CUDA) pr.sm_version = cuda_sm_version(pr.device_index);
  pr.dtype = q.scalar_type();
  pr.batch = q.size(0);
  pr.heads = q.size(1);
  pr.q_len = q.size(2);
  pr.head_dim = q.size(3);
  pr.k_len = k.size(2);
  pr.q_pos0 = options.q_pos0.value_or(pr.k_len - pr.q_len);
  if (options.q_pos.has_value() && options.q_pos->defined()) pr.q_pos0 = pr.k_len - 1;  // upper bound, as the op
  pr.key_layout = options.key_pos.has_value() && options.key_pos->defined() ? KeyLayout::kRolling
                                                                            : KeyLayout::kContiguous;
  pr.bias = options.alibi_slopes.has_value() && options.alibi_slopes->defined() ? ScoreBias::kAlibi
                                                                                : ScoreBias::kNone;
  pr.window = options.window;
  pr.global_tokens = options.global_tokens;
  return pr;
}

at::Tensor flash_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& key_start,
                           const AttentionOptions& options) {
  static const auto op =
      c10::Dispatcher::singleton()
          .findSchemaOrThrow(kAttentionOpName, "")
          .typed<at::Tensor(const at::Tensor&, const at::Tensor&, const at::Tensor&, const at::Tensor&,
                            const std::optional<at::Tensor>&, std::optional<int64_t>,
                            const std::optional<at::Tensor>&, int64_t, int64_t, double,
                            const std::optional<at::Tensor>&)>();
  return op.call(q, k, v, key_start, options.key_pos, options.q_pos0, options.alibi_slopes, options.window,
                 options.global_tokens, options.scale.value_or(default_scale(q)), options.q_pos);
}

at::Tensor& flash_attention_out(at::Tensor& out, const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                const at::Tensor& key_start, const AttentionOptions& options) {
  static const auto op =
      c10::Dispatcher::singleton()
          .findSchemaOrThrow(kAttentionOpName, kAttentionOutOverload)
          .typed<at::Tensor&(const at::Tensor&, const at::Tensor&, const at::Tensor&, const at::Tensor&,
                             const std::optional<at::Tensor>&, std::optional<int64_t>,
                             const std::optional<at::Tensor>&, int64_t, int64_t, double,
                             const std::optional<at::Tensor>&, at::Tensor&)>();
  return op.call(q, k, v, key_start, options.key_pos, options.q_pos0, options.alibi_slopes, options.window,
                 options.global_tokens, options.scale.value_or(default_scale(q)), options.q_pos, out);
}

}  // namespace gptbench::attention

TORCH_LIBRARY(gptbench, m) {
  m.def(
      "attention(Tensor q, Tensor k, Tensor v, Tensor key_start, Tensor? key_pos, int? q_pos0, "
      "Tensor? alibi_slopes, int window, int global_tokens, float scale, Tensor? q_pos=None) -> Tensor");
  m.def(
      "attention.out(Tensor q, Tensor k, Tensor v, Tensor key_start, Tensor? key_pos, int? q_pos0, "
      "Tensor? alibi_slopes, int window, int global_tokens, float scale, Tensor? q_pos=None, *, Tensor(a!) out) "
      "-> Tensor(a!)");
}

TORCH_LIBRARY_IMPL(gptbench, CPU, m) {
  m.impl("attention", &gptbench::attention::attention_cpu);
  m.impl("attention.out", &gptbench::attention::attention_out_cpu);
}
