// gemv_operands.h: argument checks and GEMV inputs shared by fused_linear and quantized_linear.
#include "gemv_operands.h"

#include <c10/core/GradMode.h>    // at::GradMode
#include <c10/util/StringUtil.h>  // c10::str

#include <algorithm>  // std::min
#include <atomic>     // std::atomic
#include <cstdint>    // uintptr_t
#include <cstdio>     // std::fprintf
#include <cstdlib>    // std::getenv
#include <cstring>    // std::strcmp

#ifdef GPTBENCH_HAVE_GEMV_KERNEL
#include <ATen/cuda/CUDAContext.h>  // at::cuda::getDeviceProperties
#endif

#include "gptbench/util/check.h"  // GPTBENCH_CHECK

namespace gptbench::kernels {
namespace {

// GPTBENCH_GEMV_OVERLAP: unset or "0" off, "launch" overlapped launches, "1" or "prefetch" with the prefetch.
// Any other value is ignored with a warning (an environment variable is not a flag: it must not stop a run).
GemvOverlap overlap_from_environment() {
  const char* env = std::getenv("GPTBENCH_GEMV_OVERLAP");
  if (env == nullptr || std::strcmp(env, "0") == 0) return GemvOverlap::kOff;
  if (std::strcmp(env, "launch") == 0) return GemvOverlap::kLaunch;
  if (std::strcmp(env, "1") == 0 || std::strcmp(env, "prefetch") == 0) return GemvOverlap::kLaunchPrefetch;
  std::fprintf(stderr, "warning: GPTBENCH_GEMV_OVERLAP=%s is not 0, launch, prefetch or 1: launches stay serial\n",
               env);
  return GemvOverlap::kOff;
}

std::atomic<GemvOverlap>& overlap_mode() {
  static std::atomic<GemvOverlap> mode{overlap_from_environment()};
  return mode;
}

}  // namespace

void set_gemv_overlap(GemvOverlap mode) { overlap_mode() = mode; }
GemvOverlap gemv_overlap() { return overlap_mode(); }

GemvOverlap gemv_overlap_on(const at::Tensor& x) {
#ifdef GPTBENCH_HAVE_GEMV_KERNEL
  if (!x.is_cuda() || at::cuda::getDeviceProperties(x.get_device())->major < 9) return GemvOverlap::kOff;
  return overlap_mode();
#else
  (void)x;
  return GemvOverlap::kOff;
#endif
}

const char* gemv_launch_suffix(const at::Tensor& x) { return gemv_overlap_suffix(gemv_overlap_on(x)); }

std::string sizes_of(at::IntArrayRef sizes) { return c10::str(sizes); }

std::vector<int64_t> output_shape(const at::Tensor& x, int64_t n) {
  std::vector<int64_t> shape(x.sizes().begin(), x.sizes().end());
  shape.back() = n;
  return shape;
}

at::Tensor rows_of(const at::Tensor& t) { return t.reshape({-1, t.size(-1)}); }

bool aligned16(const at::Tensor& t) { return reinterpret_cast<uintptr_t>(t.data_ptr()) % 16 == 0; }

void check_linear_arguments(const char* op, const at::Tensor& x, at::IntArrayRef weight_sizes, int64_t n, int64_t k,
                            const FusedLinearOptions& o) {
  const int64_t width = linear_input_width(o, k);
  GPTBENCH_CHECK(x.dim() >= 1 && x.size(-1) == width, "{}: x (..., {}) and weight (N, K) disagree: x {}, weight {}",
                 op, o.input == LinearInput::kSiluGate ? "2K" : "K", sizes_of(x.sizes()), sizes_of(weight_sizes));
  GPTBENCH_CHECK(!o.bias.defined() || (o.bias.dim() == 1 && o.bias.size(0) == n), "{}: bias must be ({}), got {}",
                 op, n, sizes_of(o.bias.sizes()));
  GPTBENCH_CHECK(!o.residual.defined() || o.residual.sizes() == at::IntArrayRef(output_shape(x, n)),
                 "{}: residual must have the output's shape {}, got {}", op, sizes_of(output_shape(x, n)),
                 sizes_of(o.residual.sizes()));
  const bool norm = o.input == LinearInput::kLayerNorm || o.input == LinearInput::kRmsNorm;
  GPTBENCH_CHECK(o.ln_weight.defined() == norm && o.ln_bias.defined() == (o.input == LinearInput::kLayerNorm),
                 "{}: LayerNorm takes ln_weight and ln_bias, RMSNorm ln_weight only, other inputs neither", op);
  GPTBENCH_CHECK(!o.ln_weight.defined() || o.ln_weight.numel() == k, "{}: norm weight must be ({}), got {}", op, k,
                 sizes_of(o.ln_weight.sizes()));
  GPTBENCH_CHECK(!o.ln_bias.defined() || o.ln_bias.numel() == k, "{}: norm bias must be ({}), got {}", op, k,
                 sizes_of(o.ln_bias.sizes()));
  if (o.kv_cache.defined()) {
    GPTBENCH_CHECK(o.kv_cache.dim() == 5 && o.kv_cache.size(0) == 2 && o.kv_cache.size(1) * width == x.numel(),
                   "{}: the KV store takes one token per batch row and a (2, B, H, capacity, D) "
                   "buffer; got x {} and buffer {}", op, sizes_of(x.sizes()), sizes_of(o.kv_cache.sizes()));
    GPTBENCH_CHECK(o.kv_col0 >= 0 && o.kv_col0 + 2 * o.kv_cache.size(2) * o.kv_cache.size(4) <= n,
                   "{}: key/value columns from {} exceed the {} outputs", op, o.kv_col0, n);
    GPTBENCH_CHECK(o.kv_pos.defined() && o.kv_pos.numel() == 1 && o.kv_pos.scalar_type() == at::kLong &&
                       o.kv_pos.device() == o.kv_cache.device(),
                   "{}: kv_pos must be a (1) int64 tensor on the cache's device", op);
  }
}

const char* gemv_inputs_unsupported(const at::Tensor& x, int64_t n, int64_t k, const FusedLinearOptions& o,
                                    int (*shared_rows)(int), int64_t extra_shared, int64_t k_multiple) {
  if (o.gemv_max_rows <= 0) return "disabled";
  if (!gemv_kernel_compiled()) return "not compiled";
  if (!x.is_cuda()) return "not CUDA";
  if (at::GradMode::is_enabled()) return "autograd";
  const auto dtype = x.scalar_type();
  if (dtype != at::kHalf && dtype != at::kBFloat16) return "dtype";
  for (const at::Tensor* t : {&o.bias, &o.residual, &o.ln_weight, &o.ln_bias, &o.kv_cache}) {
    if (t->defined() && (t->scalar_type() != dtype || t->device() != x.device())) return "mixed dtypes or devices";
  }
  const int64_t rows = k == 0 ? 0 : x.numel() / linear_input_width(o, k);
  if (rows < 1 || rows > std::min<int64_t>(o.gemv_max_rows, kGemvMaxRows)) return "rows";
  const int64_t shared = shared_rows(static_cast<int>(rows)) * k * static_cast<int64_t>(x.element_size()) + extra_shared;
  if (k % k_multiple != 0 || shared > kGemvMaxSharedBytes) return "K";
  if (n > (int64_t{1} << 30)) return "N";
  const at::Tensor x2 = rows_of(x);
  if (x2.stride(1) != 1 || x2.stride(0) % 8 != 0 || !aligned16(x2)) return "x layout";
  for (const at::Tensor* t : {&o.bias, &o.ln_weight, &o.ln_bias}) {
    if (t->defined() && !t->is_contiguous()) return "parameter layout";
  }
  if (o.residual.defined() && rows_of(o.residual).stride(1) != 1) return "residual layout";
  if (o.kv_cache.defined() && o.kv_cache.stride(4) != 1) return "cache layout";
  return "";
}

GemvInputs gemv_inputs(const at::Tensor& x, int64_t n, int64_t k, const FusedLinearOptions& o, const at::Tensor& out) {
  GemvInputs in;
  in.x_rows = rows_of(x);
  const at::Tensor& x2 = in.x_rows;
  GemvParams& p = in.params;
  p.x = x2.data_ptr();
  p.x_stride = x2.stride(0);
  p.bias = o.bias.defined() ? o.bias.data_ptr() : nullptr;
  if (o.residual.defined()) {
    in.residual_rows = rows_of(o.residual);
    p.residual = in.residual_rows.data_ptr();
    p.residual_stride = in.residual_rows.stride(0);
  }
  p.input = o.input == LinearInput::kLayerNorm  ? GemvInput::kLayerNorm
            : o.input == LinearInput::kRmsNorm  ? GemvInput::kRmsNorm
            : o.input == LinearInput::kSiluGate ? GemvInput::kSiluGate
                                                : GemvInput::kAsIs;
  if (o.ln_weight.defined()) p.ln_weight = o.ln_weight.data_ptr();
  if (o.ln_bias.defined()) p.ln_bias = o.ln_bias.data_ptr();
  p.ln_eps = static_cast<float>(o.ln_eps);
  p.out = out.data_ptr();
  p.out_stride = n;
  p.rows = static_cast<int>(x2.size(0));
  p.n = static_cast<int>(n);
  p.k = static_cast<int>(k);
  p.activation = o.activation == LinearActivation::kGeluTanh  ? GemvActivation::kGeluTanh
                 : o.activation == LinearActivation::kGeluErf ? GemvActivation::kGeluErf
                                                              : GemvActivation::kNone;
  p.dtype = x.scalar_type() == at::kHalf ? ElementType::kFp16 : ElementType::kBf16;
  const GemvOverlap overlap = gemv_overlap_on(x);
  p.overlap_launch = overlap != GemvOverlap::kOff;
  p.prefetch_weights = overlap == GemvOverlap::kLaunchPrefetch;
  if (o.kv_cache.defined()) {
    p.kv = o.kv_cache.data_ptr();
    p.kv_pos = o.kv_pos.data_ptr<int64_t>();
    for (int i = 0; i < 4; ++i) p.kv_strides[i] = o.kv_cache.stride(i);  // which, row, head, position
    p.kv_col0 = static_cast<int>(o.kv_col0);
    p.heads = static_cast<int>(o.kv_cache.size(2));
    p.head_dim = static_cast<int>(o.kv_cache.size(4));
  }
  return in;
}

}  // namespace gptbench::kernels
