// fused_linear (gptbench/kernels/fused_linear.h): argument checks, the ATen composite, and the
// dispatch to the GEMV kernel for decode-sized inputs.
#include "gptbench/kernels/fused_linear.h"

#include <ATen/TensorOperators.h>        // Tensor operators (+)
#include <ATen/ops/_addmm_activation.h>  // at::_addmm_activation
#include <ATen/ops/empty.h>              // at::empty
#include <ATen/ops/gelu.h>               // at::gelu
#include <ATen/ops/layer_norm.h>         // at::layer_norm
#include <ATen/ops/linear.h>             // at::linear
#include <ATen/ops/rsqrt.h>              // at::rsqrt
#include <ATen/ops/silu.h>               // at::silu
#include <c10/core/GradMode.h>           // at::GradMode

#include <string>  // std::string, std::to_string

#ifdef GPTBENCH_HAVE_GEMV_KERNEL
#include <ATen/cuda/CUDAContext.h>  // at::cuda::getCurrentCUDAStream, getCurrentDeviceProperties
#include <c10/cuda/CUDAGuard.h>     // c10::cuda::CUDAGuard

#include "gemv_launch.h"  // launch_gemv
#endif

#include "gemv_operands.h"        // check_linear_arguments, gemv_inputs_unsupported, gemv_inputs, rows_of, ...
#include "gemv_params.h"          // kGemvMaxRows
#include "gptbench/util/check.h"  // GPTBENCH_CHECK

namespace gptbench::kernels {

static_assert(kGemvMaxRows == kGemvKernelMaxRows, "fused_linear.h states the kernel's row limit");
namespace {

void check_arguments(const at::Tensor& x, const at::Tensor& weight, const FusedLinearOptions& o) {
  GPTBENCH_CHECK(weight.dim() == 2, "fused_linear: x (..., K) and weight (N, K) disagree: x {}, weight {}",
                 sizes_of(x.sizes()), sizes_of(weight.sizes()));
  check_linear_arguments("fused_linear", x, weight.sizes(), weight.size(0), weight.size(1), o);
}

// (2, B, H, 1, D) view of the key and value columns of y (B rows), for the composite's store.
void store_kv(const FusedLinearOptions& o, const at::Tensor& y) {
  const int64_t b = o.kv_cache.size(1), h = o.kv_cache.size(2), d = o.kv_cache.size(4);
  const at::Tensor kv = rows_of(y).narrow(1, o.kv_col0, 2 * h * d).view({b, 2, h, 1, d}).permute({1, 0, 2, 3, 4});
  o.kv_cache.index_copy_(3, o.kv_pos, kv);
}

int dense_rows(int rows) { return rows; }

// Why the GEMV kernel cannot take this call ("" when it can).
const char* gemv_unsupported(const at::Tensor& x, const at::Tensor& weight, const FusedLinearOptions& o) {
  const char* why = gemv_inputs_unsupported(x, weight.size(0), weight.size(1), o, dense_rows, 0, 8);
  if (*why != '\0') return why;
  if (weight.scalar_type() != x.scalar_type() || weight.device() != x.device()) return "mixed dtypes or devices";
  if (!weight.is_contiguous() || !aligned16(weight)) return "weight layout";
  return "";
}

std::string path_name(const at::Tensor& x, const at::Tensor& weight, const FusedLinearOptions& o,
                      bool gemv) {
  if (!gemv) return "aten";
  const int64_t rows = x.numel() / linear_input_width(o, weight.size(1));
  return std::string("gemv_") + (x.scalar_type() == at::kHalf ? "fp16" : "bf16") + "_rows" + std::to_string(rows) +
         gemv_launch_suffix(x);
}

#ifdef GPTBENCH_HAVE_GEMV_KERNEL
at::Tensor run_gemv(const at::Tensor& x, const at::Tensor& weight, const FusedLinearOptions& o) {
  const c10::cuda::CUDAGuard guard(x.device());
  const int64_t n = weight.size(0), k = weight.size(1);
  at::Tensor out = at::empty(output_shape(x, n), x.options());
  GemvInputs in = gemv_inputs(x, n, k, o, out);
  in.params.w = weight.data_ptr();
  const int sms = at::cuda::getCurrentDeviceProperties()->multiProcessorCount;
  const cudaError_t err = launch_gemv(in.params, at::cuda::getCurrentCUDAStream(), sms);
  GPTBENCH_CHECK(err == cudaSuccess, "fused_linear: the GEMV kernel failed to launch: {}", cudaGetErrorString(err));
  return out;
}
#endif

}  // namespace

bool gemv_kernel_compiled() {
#ifdef GPTBENCH_HAVE_GEMV_KERNEL
  return true;
#else
  return false;
#endif
}

int64_t linear_input_width(const FusedLinearOptions& o, int64_t k) {
  return o.input == LinearInput::kSiluGate ? 2 * k : k;
}

at::Tensor linear_input(const at::Tensor& x, const FusedLinearOptions& o) {
  switch (o.input) {
    case LinearInput::kAsIs:
      return x;
    case LinearInput::kLayerNorm:
      return at::layer_norm(x, {x.size(-1)}, o.ln_weight, o.ln_bias, o.ln_eps);
    case LinearInput::kRmsNorm: {  // transformers' LlamaRMSNorm: statistics in fp32, normalised x rounded first
      const at::Tensor x32 = x.to(at::promote_types(x.scalar_type(), at::kFloat));  // fp32 (fp64 stays)
      const at::Tensor normed = x32 * at::rsqrt(x32.pow(2).mean(-1, /*keepdim=*/true) + o.ln_eps);
      return o.ln_weight * normed.to(x.scalar_type());
    }
    case LinearInput::kSiluGate: {
      const int64_t k = x.size(-1) / 2;
      return at::silu(x.narrow(-1, 0, k)) * x.narrow(-1, k, k);
    }
  }
  return x;
}

at::Tensor fused_linear_reference(const at::Tensor& x, const at::Tensor& weight, const FusedLinearOptions& o) {
  check_arguments(x, weight, o);
  const at::Tensor h = linear_input(x, o);
  at::Tensor y;
  if (o.activation == LinearActivation::kGeluErf) {
    y = at::gelu(at::linear(h, weight, o.bias), "none");
  } else if (o.activation == LinearActivation::kGeluTanh) {
    if (h.is_cuda() && o.bias.defined() && !at::GradMode::is_enabled()) {
      // One cuBLASLt GEMM with a bias + tanh-GELU epilogue (ATen's fallback applies the same tanh
      // GELU) instead of a GEMM and an elementwise kernel.
      y = at::_addmm_activation(o.bias, rows_of(h), weight.t(), 1, 1, /*use_gelu=*/true)
              .view(output_shape(x, weight.size(0)));
    } else {
      y = at::gelu(at::linear(h, weight, o.bias), "tanh");
    }
  } else {
    y = at::linear(h, weight, o.bias);
  }
  if (o.kv_cache.defined()) store_kv(o, y);
  return o.residual.defined() ? y + o.residual : y;
}

std::string fused_linear_path(const at::Tensor& x, const at::Tensor& weight, const FusedLinearOptions& o) {
  return path_name(x, weight, o, *gemv_unsupported(x, weight, o) == '\0');
}

at::Tensor fused_linear(const at::Tensor& x, const at::Tensor& weight, const FusedLinearOptions& o,
                        std::string* path) {
  check_arguments(x, weight, o);
  const bool gemv = *gemv_unsupported(x, weight, o) == '\0';
  if (path != nullptr) *path = path_name(x, weight, o, gemv);
#ifdef GPTBENCH_HAVE_GEMV_KERNEL
  if (gemv) return run_gemv(x, weight, o);
#endif
  return fused_linear_reference(x, weight, o);
}

}  // namespace gptbench::kernels
