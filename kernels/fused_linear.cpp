// fused_linear (gptbench/kernels/fused_linear.h): argument checks, the ATen composite, and the
// dispatch to the GEMV kernel for decode-sized inputs.
#include "gptbench/kernels/fused_linear.h"

#include <ATen/TensorOperators.h>        // Tensor operators (+)
#include <ATen/ops/_addmm_activation.h>  // at::_addmm_activation
#include <ATen/ops/empty.h>              // at::empty
#include <ATen/ops/gelu.h>               // at::gelu
#include <ATen/ops/layer_norm.h>         // at::layer_norm
#include <ATen/ops/linear.h>             // at::linear
#include <c10/util/StringUtil.h>        // c10::str
#include <c10/core/GradMode.h>           // at::GradMode

#include <algorithm>  // std::min
#include <cstdint>    // int64_t, uintptr_t
#include <string>   // std::string, std::to_string
#include <vector>   // std::vector

#ifdef GPTBENCH_HAVE_GEMV_KERNEL
#include <ATen/cuda/CUDAContext.h>  // at::cuda::getCurrentCUDAStream, getCurrentDeviceProperties
#include <c10/cuda/CUDAGuard.h>     // c10::cuda::CUDAGuard

#include "gemv_launch.h"  // launch_gemv
#endif

#include "gemv_params.h"          // kGemvMaxRows, kGemvMaxSharedBytes
#include "gptbench/util/check.h"  // GPTBENCH_CHECK

namespace gptbench::kernels {

static_assert(kGemvMaxRows == kGemvKernelMaxRows, "fused_linear.h states the kernel's row limit");
namespace {

std::string sizes_of(at::IntArrayRef sizes) { return c10::str(sizes); }

std::vector<int64_t> output_shape(const at::Tensor& x, int64_t n) {
  std::vector<int64_t> shape(x.sizes().begin(), x.sizes().end());
  shape.back() = n;
  return shape;
}

void check_arguments(const at::Tensor& x, const at::Tensor& weight, const FusedLinearOptions& o) {
  GPTBENCH_CHECK(x.dim() >= 1 && weight.dim() == 2 && x.size(-1) == weight.size(1),
                 "fused_linear: x (..., K) and weight (N, K) disagree: x {}, weight {}", sizes_of(x.sizes()),
                 sizes_of(weight.sizes()));
  const int64_t n = weight.size(0), k = weight.size(1);
  GPTBENCH_CHECK(!o.bias.defined() || (o.bias.dim() == 1 && o.bias.size(0) == n),
                 "fused_linear: bias must be ({}), got {}", n, sizes_of(o.bias.sizes()));
  GPTBENCH_CHECK(!o.residual.defined() || o.residual.sizes() == at::IntArrayRef(output_shape(x, n)),
                 "fused_linear: residual must have the output's shape {}, got {}", sizes_of(output_shape(x, n)),
                 sizes_of(o.residual.sizes()));
  GPTBENCH_CHECK(o.ln_weight.defined() == o.ln_bias.defined(), "fused_linear: LayerNorm needs both weight and bias");
  GPTBENCH_CHECK(!o.ln_weight.defined() || (o.ln_weight.numel() == k && o.ln_bias.numel() == k),
                 "fused_linear: LayerNorm parameters must be ({})", k);
  if (o.kv_cache.defined()) {
    GPTBENCH_CHECK(o.kv_cache.dim() == 5 && o.kv_cache.size(0) == 2 && o.kv_cache.size(1) * k == x.numel(),
                   "fused_linear: the KV store takes one token per batch row and a (2, B, H, capacity, D) "
                   "buffer; got x {} and buffer {}", sizes_of(x.sizes()), sizes_of(o.kv_cache.sizes()));
    GPTBENCH_CHECK(o.kv_col0 >= 0 && o.kv_col0 + 2 * o.kv_cache.size(2) * o.kv_cache.size(4) <= n,
                   "fused_linear: key/value columns from {} exceed the {} outputs", o.kv_col0, n);
    GPTBENCH_CHECK(o.kv_pos.defined() && o.kv_pos.numel() == 1 && o.kv_pos.scalar_type() == at::kLong &&
                       o.kv_pos.device() == o.kv_cache.device(),
                   "fused_linear: kv_pos must be a (1) int64 tensor on the cache's device");
  }
}

// x with its leading dimensions as rows: (M, K), a view where the layout allows it.
at::Tensor rows_of(const at::Tensor& t) { return t.reshape({-1, t.size(-1)}); }

// (2, B, H, 1, D) view of the key and value columns of y (B rows), for the composite's store.
void store_kv(const FusedLinearOptions& o, const at::Tensor& y) {
  const int64_t b = o.kv_cache.size(1), h = o.kv_cache.size(2), d = o.kv_cache.size(4);
  const at::Tensor kv = rows_of(y).narrow(1, o.kv_col0, 2 * h * d).view({b, 2, h, 1, d}).permute({1, 0, 2, 3, 4});
  o.kv_cache.index_copy_(3, o.kv_pos, kv);
}

bool aligned16(const at::Tensor& t) { return reinterpret_cast<uintptr_t>(t.data_ptr()) % 16 == 0; }

// Why the GEMV kernel cannot take this call ("" when it can).
const char* gemv_unsupported(const at::Tensor& x, const at::Tensor& weight, const FusedLinearOptions& o) {
  if (o.gemv_max_rows <= 0) return "disabled";
  if (!gemv_kernel_compiled()) return "not compiled";
  if (!x.is_cuda()) return "not CUDA";
  if (at::GradMode::is_enabled()) return "autograd";
  const auto dtype = x.scalar_type();
  if (dtype != at::kHalf && dtype != at::kBFloat16) return "dtype";
  for (const at::Tensor* t : {&weight, &o.bias, &o.residual, &o.ln_weight, &o.ln_bias, &o.kv_cache}) {
    if (t->defined() && (t->scalar_type() != dtype || t->device() != x.device())) return "mixed dtypes or devices";
  }
  const int64_t k = weight.size(1), rows = k == 0 ? 0 : x.numel() / k;
  if (rows < 1 || rows > std::min<int64_t>(o.gemv_max_rows, kGemvMaxRows)) return "rows";
  if (k % 8 != 0 || rows * k * static_cast<int64_t>(x.element_size()) > kGemvMaxSharedBytes) return "K";
  if (weight.size(0) > (int64_t{1} << 30)) return "N";
  if (!weight.is_contiguous() || !aligned16(weight)) return "weight layout";
  const at::Tensor x2 = rows_of(x);
  if (x2.stride(1) != 1 || x2.stride(0) % 8 != 0 || !aligned16(x2)) return "x layout";
  for (const at::Tensor* t : {&o.bias, &o.ln_weight, &o.ln_bias}) {
    if (t->defined() && !t->is_contiguous()) return "parameter layout";
  }
  if (o.residual.defined() && rows_of(o.residual).stride(1) != 1) return "residual layout";
  if (o.kv_cache.defined() && o.kv_cache.stride(4) != 1) return "cache layout";
  return "";
}

std::string path_name(const at::Tensor& x, const at::Tensor& weight, bool gemv) {
  if (!gemv) return "aten";
  const int64_t rows = x.numel() / weight.size(1);
  return std::string("gemv_") + (x.scalar_type() == at::kHalf ? "fp16" : "bf16") + "_rows" + std::to_string(rows);
}

#ifdef GPTBENCH_HAVE_GEMV_KERNEL
at::Tensor run_gemv(const at::Tensor& x, const at::Tensor& weight, const FusedLinearOptions& o) {
  const c10::cuda::CUDAGuard guard(x.device());
  const int64_t n = weight.size(0), k = weight.size(1);
  const at::Tensor x2 = rows_of(x);
  at::Tensor out = at::empty(output_shape(x, n), x.options());
  GemvParams p;
  p.x = x2.data_ptr();
  p.x_stride = x2.stride(0);
  p.w = weight.data_ptr();
  p.bias = o.bias.defined() ? o.bias.data_ptr() : nullptr;
  at::Tensor residual;
  if (o.residual.defined()) {
    residual = rows_of(o.residual);
    p.residual = residual.data_ptr();
    p.residual_stride = residual.stride(0);
  }
  if (o.ln_weight.defined()) {
    p.ln_weight = o.ln_weight.data_ptr();
    p.ln_bias = o.ln_bias.data_ptr();
    p.ln_eps = static_cast<float>(o.ln_eps);
  }
  p.out = out.data_ptr();
  p.out_stride = n;
  p.rows = static_cast<int>(x2.size(0));
  p.n = static_cast<int>(n);
  p.k = static_cast<int>(k);
  p.activation = o.activation == LinearActivation::kGeluTanh  ? GemvActivation::kGeluTanh
                 : o.activation == LinearActivation::kGeluErf ? GemvActivation::kGeluErf
                                                              : GemvActivation::kNone;
  p.dtype = x.scalar_type() == at::kHalf ? ElementType::kFp16 : ElementType::kBf16;
  if (o.kv_cache.defined()) {
    p.kv = o.kv_cache.data_ptr();
    p.kv_pos = o.kv_pos.data_ptr<int64_t>();
    for (int i = 0; i < 4; ++i) p.kv_strides[i] = o.kv_cache.stride(i);  // which, row, head, position
    p.kv_col0 = static_cast<int>(o.kv_col0);
    p.heads = static_cast<int>(o.kv_cache.size(2));
    p.head_dim = static_cast<int>(o.kv_cache.size(4));
  }
  const int sms = at::cuda::getCurrentDeviceProperties()->multiProcessorCount;
  const cudaError_t err = launch_gemv(p, at::cuda::getCurrentCUDAStream(), sms);
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

at::Tensor fused_linear_reference(const at::Tensor& x, const at::Tensor& weight, const FusedLinearOptions& o) {
  check_arguments(x, weight, o);
  const int64_t k = weight.size(1);
  const at::Tensor h = o.ln_weight.defined() ? at::layer_norm(x, {k}, o.ln_weight, o.ln_bias, o.ln_eps) : x;
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
  return path_name(x, weight, *gemv_unsupported(x, weight, o) == '\0');
}

at::Tensor fused_linear(const at::Tensor& x, const at::Tensor& weight, const FusedLinearOptions& o,
                        std::string* path) {
  check_arguments(x, weight, o);
  const bool gemv = *gemv_unsupported(x, weight, o) == '\0';
  if (path != nullptr) *path = path_name(x, weight, gemv);
#ifdef GPTBENCH_HAVE_GEMV_KERNEL
  if (gemv) return run_gemv(x, weight, o);
#endif
  return fused_linear_reference(x, weight, o);
}

}  // namespace gptbench::kernels
