// The gptbench::attention op: its schema, its CPU implementation (the ATen reference
// behind the common argument checks) and the C++ entry points of attention_op.h.
// The CUDA implementation registers itself from attention_cuda_op.cpp when nvcc is present.
#include <ATen/core/dispatch/Dispatcher.h>  // c10::Dispatcher
#include <torch/library.h>                  // TORCH_LIBRARY, TORCH_LIBRARY_IMPL

#include <string>   // std::string
#include <utility>  // std::move

#ifdef GPTBENCH_HAVE_FLASH_KERNELS
#include <cuda_runtime_api.h>  // cudaDeviceGetAttribute
#endif

#include "attention_inputs.h"               // check_attention_inputs, options_of, resolved_q_pos0
#include "chosen_kernel.h"                  // choose_kernel, take_chosen_kernel
#include "gptbench/kernels/attention_op.h"  // the API defined here

namespace gptbench::kernels {
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
                         double scale, const std::optional<at::Tensor>& q_pos, int64_t flash_arch) {
  const AttentionOptions options =
      detail::options_of(key_pos, q_pos0, alibi_slopes, window, global_tokens, scale, q_pos, flash_arch);
  const detail::AttentionShape s = detail::check_attention_inputs(q, k, v, key_start, options);
  detail::choose_kernel(make_attention_problem(q.device(), q.scalar_type(), s.sizes, options));
  const int64_t qpos = s.device_q_pos ? q_pos->item<int64_t>() : s.q_pos0;
  return attention_reference(q, k, v, key_start, key_pos, qpos, alibi_slopes, window, global_tokens, scale);
}

at::Tensor& attention_out_cpu(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                              const at::Tensor& key_start, const std::optional<at::Tensor>& key_pos,
                              std::optional<int64_t> q_pos0, const std::optional<at::Tensor>& alibi_slopes,
                              int64_t window, int64_t global_tokens, double scale,
                              const std::optional<at::Tensor>& q_pos, int64_t flash_arch, at::Tensor& out) {
  detail::check_attention_out(out, q);
  return out.copy_(attention_cpu(q, k, v, key_start, key_pos, q_pos0, alibi_slopes, window, global_tokens, scale,
                                 q_pos, flash_arch));
}

// The caller's `kernel` receives this call's choice; a stale name from an earlier call never leaks.
void hand_back_kernel(std::string* kernel) {
  std::string chosen = detail::take_chosen_kernel();
  if (kernel != nullptr) *kernel = std::move(chosen);
}

}  // namespace

AttentionProblem make_attention_problem(c10::Device device, c10::ScalarType dtype, const AttentionSizes& sizes,
                                        const AttentionOptions& options) {
  AttentionProblem pr;
  pr.device = device.type();
  pr.device_index = device.has_index() ? device.index() : 0;
  if (pr.device == c10::DeviceType::CUDA) pr.sm_version = cuda_sm_version(pr.device_index);
  pr.dtype = dtype;
  pr.batch = sizes.batch;
  pr.heads = sizes.heads;
  pr.q_len = sizes.q_len;
  pr.k_len = sizes.k_len;
  pr.head_dim = sizes.head_dim;
  pr.kv_heads = sizes.kv_heads == 0 ? sizes.heads : sizes.kv_heads;
  pr.q_pos0 = detail::resolved_q_pos0(sizes, options);
  pr.key_layout = detail::has_tensor(options.key_pos) ? KeyLayout::kRolling : KeyLayout::kContiguous;
  pr.bias = detail::has_tensor(options.alibi_slopes) ? ScoreBias::kAlibi : ScoreBias::kNone;
  pr.window = options.window;
  pr.global_tokens = options.global_tokens;
  pr.flash_arch = options.flash_arch;
  return pr;
}

at::Tensor attention_op(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& key_start,
                        const AttentionOptions& options, std::string* kernel) {
  static const auto op =
      c10::Dispatcher::singleton()
          .findSchemaOrThrow(kAttentionOpName, "")
          .typed<at::Tensor(const at::Tensor&, const at::Tensor&, const at::Tensor&, const at::Tensor&,
                            const std::optional<at::Tensor>&, std::optional<int64_t>,
                            const std::optional<at::Tensor>&, int64_t, int64_t, double,
                            const std::optional<at::Tensor>&, int64_t)>();
  at::Tensor out = op.call(q, k, v, key_start, options.key_pos, options.q_pos0, options.alibi_slopes, options.window,
                           options.global_tokens, options.scale.value_or(detail::default_scale(q)), options.q_pos,
                           static_cast<int64_t>(options.flash_arch));
  hand_back_kernel(kernel);
  return out;
}

at::Tensor& attention_op_out(at::Tensor& out, const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                             const at::Tensor& key_start, const AttentionOptions& options, std::string* kernel) {
  static const auto op =
      c10::Dispatcher::singleton()
          .findSchemaOrThrow(kAttentionOpName, kAttentionOutOverload)
          .typed<at::Tensor&(const at::Tensor&, const at::Tensor&, const at::Tensor&, const at::Tensor&,
                             const std::optional<at::Tensor>&, std::optional<int64_t>,
                             const std::optional<at::Tensor>&, int64_t, int64_t, double,
                             const std::optional<at::Tensor>&, int64_t, at::Tensor&)>();
  op.call(q, k, v, key_start, options.key_pos, options.q_pos0, options.alibi_slopes, options.window,
          options.global_tokens, options.scale.value_or(detail::default_scale(q)), options.q_pos,
          static_cast<int64_t>(options.flash_arch), out);
  hand_back_kernel(kernel);
  return out;
}

}  // namespace gptbench::kernels

TORCH_LIBRARY(gptbench, m) {
  m.def(
      "attention(Tensor q, Tensor k, Tensor v, Tensor key_start, Tensor? key_pos, int? q_pos0, "
      "Tensor? alibi_slopes, int window, int global_tokens, float scale, Tensor? q_pos=None, int flash_arch=0) "
      "-> Tensor");
  m.def(
      "attention.out(Tensor q, Tensor k, Tensor v, Tensor key_start, Tensor? key_pos, int? q_pos0, "
      "Tensor? alibi_slopes, int window, int global_tokens, float scale, Tensor? q_pos=None, int flash_arch=0, "
      "*, Tensor(a!) out) -> Tensor(a!)");
}

TORCH_LIBRARY_IMPL(gptbench, CPU, m) {
  m.impl("attention", &gptbench::kernels::attention_cpu);
  m.impl("attention.out", &gptbench::kernels::attention_out_cpu);
}
