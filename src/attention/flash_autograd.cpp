// Our fused forward with our fused backward kernel, or a recomputing backward through SdpaAttention
// where that kernel does not run (see flash_autograd.h).
#include "flash_autograd.h"

#include <ATen/Context.h>                           // at::globalContext (deterministic algorithms)
#include <ATen/ops/empty.h>                         // at::empty
#include <c10/core/GradMode.h>                      // c10::AutoGradMode
#include <torch/csrc/autograd/autograd.h>           // torch::autograd::grad
#include <torch/csrc/autograd/custom_function.h>    // torch::autograd::Function, AutogradContext

#include <mutex>   // std::mutex, std::lock_guard
#include <string>  // std::string

#include "gptbench/attention/flash_backward.h"    // last_flash_backward_kernel, defined here
#include "gptbench/attention/flash_op_options.h"  // flash_op_options
#include "gptbench/kernels/attention_op.h"        // attention_op
#include "gptbench/kernels/flash_backward_op.h"   // flash_forward_with_lse, flash_backward
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

// Our forward (which also writes the log-sum-exp) and our fused backward kernel (CUDA).
class FusedBackward : public torch::autograd::Function<FusedBackward> {
 public:
  // The arguments of RecomputeBackward::forward, less left_padded (the kernels read key_start).
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& q, const at::Tensor& k,
                            const at::Tensor& v, const at::Tensor& key_start, const at::Tensor& slopes,
                            int64_t q_pos0, int64_t position_mode, int64_t window, int64_t global_tokens,
                            std::string* forward_kernel) {
    const kernels::FlashForward f =
        kernels::flash_forward_with_lse(q, k, v, key_start, options_of(slopes, q_pos0, position_mode, window,
                                                                       global_tokens));
    ctx->save_for_backward({q, k, v, key_start, slopes, f.out, f.lse});
    ctx->saved_data["q_pos0"] = q_pos0;
    ctx->saved_data["position_mode"] = position_mode;
    ctx->saved_data["window"] = window;
    ctx->saved_data["global_tokens"] = global_tokens;
    if (forward_kernel != nullptr) *forward_kernel = "flash:" + f.kernel;
    return f.out;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const kernels::AttentionOptions options =
        options_of(saved[4], ctx->saved_data["q_pos0"].toInt(), ctx->saved_data["position_mode"].toInt(),
                   ctx->saved_data["window"].toInt(), ctx->saved_data["global_tokens"].toInt());
    // train --deterministic turns torch's deterministic algorithms on: dQ then takes the ordered pass.
    const bool deterministic = at::globalContext().deterministicAlgorithms();
    kernels::FlashGradients g = kernels::flash_backward(grad_outputs[0], saved[0], saved[1], saved[2], saved[5],
                                                        saved[6], saved[3], options, deterministic);
    record_backward(g.kernel);
    return {g.dq, g.dk, g.dv, at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor(),
            at::Tensor(), at::Tensor(), at::Tensor()};
  }

 private:
  static kernels::AttentionOptions options_of(const at::Tensor& slopes, int64_t q_pos0, int64_t position_mode,
                                              int64_t window, int64_t global_tokens) {
    AttentionPositions positions;
    positions.q_pos0 = q_pos0;
    return flash_op_options(saved_spec(Kernel::kFlash, position_mode, window, global_tokens), positions, slopes);
  }
};

}  // namespace

at::Tensor flash_attention_recompute_backward(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                              const AttentionPositions& positions, const AttentionSpec& spec,
                                              const at::Tensor& slopes, std::string* forward_kernel) {
  if (positions.key_pos.defined() || positions.q_pos.defined())
    throw Error("flash training path: a KV cache or device query position is not supported with gradients");
  const at::Tensor bias_slopes = spec.alibi() ? slopes : at::empty({0}, q.options().dtype(at::kFloat));
  AttentionPositions op_positions;
  op_positions.q_pos0 = positions.q_pos0;
  if (kernels::flash_backward_unsupported(q, k, flash_op_options(spec, op_positions, slopes)).empty()) {
    return FusedBackward::apply(q, k, v, positions.key_start, bias_slopes, positions.q_pos0,
                                static_cast<int64_t>(spec.positions), spec.window, spec.global_tokens, forward_kernel);
  }
  return RecomputeBackward::apply(q, k, v, positions.key_start, bias_slopes, positions.q_pos0,
                                  static_cast<int64_t>(spec.positions), spec.window, spec.global_tokens,
                                  positions.left_padded, forward_kernel);
}

std::string last_flash_backward_kernel() {
  std::lock_guard<std::mutex> lock(g_backward_mutex);
  return g_backward_kernel;
}

}  // namespace gptbench::attention
