// Our fused forward with a recomputing backward through SdpaAttention (see flash_autograd.h).
#include "flash_autograd.h"

#include <ATen/ops/empty.h>                         // at::empty
#include <c10/core/GradMode.h>                      // c10::AutoGradMode
#include <torch/csrc/autograd/autograd.h>           // torch::autograd::grad
#include <torch/csrc/autograd/custom_function.h>    // torch::autograd::Function, AutogradContext

#include <mutex>   // std::mutex, std::lock_guard
#include <string>  // std::string

#include "gptbench/attention/flash_backward.h"    // last_flash_backward_kernel, defined here
#include "gptbench/attention/flash_op_options.h"  // flash_op_options
#include "gptbench/kernels/attention_op.h"        // attention_op
#include "gptbench/util/error.h"                  // Error
#include "sdpa_attention.h"                       // SdpaAttention

namespace gptbench::attention {
namespace {

std::mutex g_backward_mutex;
std::string g_backward_kernel = "none";

void record_backward(const std::string& name) {
  std::lock_guard<std::mutex> lock(g_backward_mutex);
  g_backward_kernel = name;
}

// The spec the saved integers of a forward describe, with `kernel`.
AttentionSpec saved_spec(Kernel kernel, int64_t position_mode, int64_t window, int64_t global_tokens) {
  AttentionSpec spec;
  spec.kernel = kernel;
  spec.positions = static_cast<PositionMode>(position_mode);
  spec.window = window;
  spec.global_tokens = global_tokens;
  return spec;
}

class RecomputeBackward : public torch::autograd::Function<RecomputeBackward> {
 public:
  // q: (B, H, Tq, D); k, v: (B, H, Tk, D); key_start (B,); slopes (H,), or (0,) without ALiBi
  // (Function::apply needs every tensor argument defined). forward_kernel: null, or receives
  // the name of the kernel the op ran.
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& q, const at::Tensor& k,
                            const at::Tensor& v, const at::Tensor& key_start, const at::Tensor& slopes,
                            int64_t q_pos0, int64_t position_mode, int64_t window, int64_t global_tokens,
                            bool left_padded, std::string* forward_kernel) {
    const at::Tensor key_start_i32 = key_start.scalar_type() == at::kInt ? key_start : key_start.to(at::kInt);
    ctx->save_for_backward({q, k, v, key_start, slopes});
    ctx->saved_data["q_pos0"] = q_pos0;
    ctx->saved_data["position_mode"] = position_mode;
    ctx->saved_data["window"] = window;
    ctx->saved_data["global_tokens"] = global_tokens;
    ctx->saved_data["left_padded"] = left_padded;
    AttentionPositions positions;
    positions.q_pos0 = q_pos0;
    const AttentionSpec spec = saved_spec(Kernel::kFlash, position_mode, window, global_tokens);
    std::string kernel;
    at::Tensor out = kernels::attention_op(q, k, v, key_start_i32, flash_op_options(spec, positions, slopes), &kernel);
    if (forward_kernel != nullptr) *forward_kernel = (q.is_cuda() ? "flash:" : "flash-op:") + kernel;
    return out;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const AttentionSpec spec = saved_spec(Kernel::kSdpa, ctx->saved_data["position_mode"].toInt(),
                                          ctx->saved_data["window"].toInt(), ctx->saved_data["global_tokens"].toInt());
    AttentionPositions positions;
    positions.key_start = saved[3].to(at::kLong);
    positions.q_pos0 = ctx->saved_data["q_pos0"].toInt();
    positions.left_padded = ctx->saved_data["left_padded"].toBool();
    at::Tensor q = saved[0].detach().requires_grad_(true);
    at::Tensor k = saved[1].detach().requires_grad_(true);
    at::Tensor v = saved[2].detach().requires_grad_(true);
    SdpaAttention recompute(spec);
    at::Tensor out;
    {
      c10::AutoGradMode enable_grad(true);
      out = recompute.forward(q, k, v, positions, saved[4].numel() > 0 ? saved[4] : at::Tensor());
    }
    auto grads = torch::autograd::grad({out}, {q, k, v}, {grad_outputs[0]});
    record_backward("recompute:" + recompute.last_kernel());
    // One gradient per forward argument: q, k, v, then none for the rest.
    return {grads[0], grads[1], grads[2], at::Tensor(), at::Tensor(), at::Tensor(),
            at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

}  // namespace

at::Tensor flash_attention_recompute_backward(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                              const AttentionPositions& positions, const AttentionSpec& spec,
                                              const at::Tensor& slopes, std::string* forward_kernel) {
  if (positions.key_pos.defined() || positions.q_pos.defined())
    throw Error("flash training path: a KV cache or device query position is not supported with gradients");
  const at::Tensor bias_slopes = spec.alibi() ? slopes : at::empty({0}, q.options().dtype(at::kFloat));
  return RecomputeBackward::apply(q, k, v, positions.key_start, bias_slopes, positions.q_pos0,
                                  static_cast<int64_t>(spec.positions), spec.window, spec.global_tokens,
                                  positions.left_padded, forward_kernel);
}

std::string last_flash_backward_kernel() {
  std::lock_guard<std::mutex> lock(g_backward_mutex);
  return g_backward_kernel;
}

}  // namespace gptbench::attention
