// quantized_linear (gptbench/kernels/quantized_linear.h): checks, the GEMV dispatch for packed
// weights, and the dequantize + composite path.
#include "gptbench/kernels/quantized_linear.h"

#include <ATen/ops/empty.h>     // at::empty
#include <c10/core/Device.h>    // c10::Device

#include <map>      // std::map
#include <mutex>    // std::mutex, std::lock_guard
#include <string>   // std::string, std::to_string

#ifdef GPTBENCH_HAVE_GEMV_KERNEL
#include <ATen/cuda/CUDAContext.h>   // at::cuda::getCurrentCUDAStream, getCurrentDeviceProperties
#include <ATen/ops/cat.h>            // at::cat
#include <c10/cuda/CUDAGraphsC10Utils.h>  // c10::cuda::currentStreamCaptureStatusMayInitCtx
#include <c10/cuda/CUDAGuard.h>      // c10::cuda::CUDAGuard

#include "dequantize_launch.h"  // launch_dequantize
#include "gemv_launch.h"        // launch_gemv
#endif

#include "gemv_operands.h"             // check_linear_arguments, gemv_inputs_unsupported, gemv_inputs, ...
#include "gemv_params.h"               // gemv_packed_rows, kGemvCodeTableFloats, GemvWeights
#include "gptbench/quant/quantize.h"   // dequantize, nf4_code, dynamic_code
#include "gptbench/util/check.h"       // GPTBENCH_CHECK
#include "gptbench/util/enum_names.h"  // enum_name

namespace gptbench::kernels {
namespace {

using quant::QuantFormat;
using quant::QuantizedWeight;

void check_arguments(const at::Tensor& x, const QuantizedWeight& w, const FusedLinearOptions& o) {
  quant::check_quantized_weight(w, "quantized_linear");
  check_linear_arguments("quantized_linear", x, {w.rows, w.cols}, w.rows, w.cols, o);
}

int packed_rows(int rows) { return gemv_packed_rows(rows); }

const char* gemv_unsupported(const at::Tensor& x, const QuantizedWeight& w, const FusedLinearOptions& o) {
  const bool four_bit = w.spec.format != QuantFormat::kInt8;
  const int64_t tables = w.spec.format == QuantFormat::kNf4 ? kGemvCodeTableFloats * sizeof(float) : 0;
  const char* why = gemv_inputs_unsupported(x, w.rows, w.cols, o, packed_rows, tables, four_bit ? 32 : 16);
  if (*why != '\0') return why;
  for (const at::Tensor* t : {&w.data, &w.scales, &w.zeros, &w.absmax_codes, &w.absmax_scales, &w.absmax_offset}) {
    if (t->defined() && (t->device() != x.device() || !t->is_contiguous())) return "weight layout";
  }
  if (!aligned16(w.data)) return "weight layout";
  if (four_bit && w.spec.group % 32 != 0) return "group";
  return "";
}

// Why the dequantize kernel cannot take this call's weight ("" when it can): CUDA, fp16/bf16 x, the
// packed data contiguous, 16-byte aligned and on x's device.
const char* dequantize_kernel_unsupported(const at::Tensor& x, const QuantizedWeight& w) {
  if (!gemv_kernel_compiled()) return "not compiled";
  if (!x.is_cuda()) return "device";
  if (x.scalar_type() != at::kHalf && x.scalar_type() != at::kBFloat16) return "dtype";
  for (const at::Tensor* t : {&w.data, &w.scales, &w.zeros, &w.absmax_codes, &w.absmax_scales, &w.absmax_offset}) {
    if (t->defined() && (t->device() != x.device() || !t->is_contiguous())) return "weight layout";
  }
  if (!aligned16(w.data) || w.cols % (w.spec.format == QuantFormat::kInt8 ? 16 : 32) != 0) return "weight layout";
  return "";
}

std::string path_name(const at::Tensor& x, const QuantizedWeight& w, const FusedLinearOptions& o, bool gemv) {
  if (!gemv) return *dequantize_kernel_unsupported(x, w) == '\0' ? "dequant+cublas" : "dequant+aten";
  const int64_t rows = x.numel() / linear_input_width(o, w.cols);
  return "gemv_" + enum_name(quant::kQuantFormatNames, w.spec.format) + "_" +
         (x.scalar_type() == at::kHalf ? "fp16" : "bf16") + "_rows" + std::to_string(rows) + gemv_launch_suffix(x);
}

#ifdef GPTBENCH_HAVE_GEMV_KERNEL
// The NF4 values and the absmax code on `device`, made once per device. Made on first use, which
// must not be inside a CUDA graph capture (run one step eagerly first, as the decode graph does).
const at::Tensor& code_tables_on(const c10::Device& device) {
  static std::mutex mutex;
  static std::map<int, at::Tensor> tables;
  const std::lock_guard<std::mutex> lock(mutex);
  auto found = tables.find(device.index());
  if (found == tables.end()) {
    GPTBENCH_CHECK(c10::cuda::currentStreamCaptureStatusMayInitCtx() == c10::cuda::CaptureStatus::None,
                   "quantized_linear: the nf4 code tables are made on the first call, which must not be "
                   "captured into a CUDA graph (run one step before capturing)");
    at::Tensor t = at::cat({quant::nf4_code(), quant::dynamic_code()}).to(device);
    GPTBENCH_CHECK(t.numel() == kGemvCodeTableFloats, "quantized_linear: {} code table values, the kernel takes {}",
                   t.numel(), kGemvCodeTableFloats);
    found = tables.emplace(device.index(), t).first;
  }
  return found->second;
}

// The packed-weight fields of the GEMV's and the dequantize kernel's parameters.
void set_weight_params(const at::Tensor& x, const QuantizedWeight& w, GemvParams& p) {
  p.w = w.data.data_ptr();
  switch (w.spec.format) {
    case QuantFormat::kInt8: p.weights = GemvWeights::kInt8; break;
    case QuantFormat::kInt4: p.weights = GemvWeights::kInt4; break;
    case QuantFormat::kNf4: p.weights = GemvWeights::kNf4; break;
  }
  if (w.scales.defined()) {
    p.w_scales = w.scales.data_ptr();
    p.scale_dtype = w.scales.scalar_type() == at::kHalf ? ElementType::kFp16 : ElementType::kBf16;
  }
  p.w_zeros = w.zeros.defined() ? w.zeros.data_ptr<uint8_t>() : nullptr;
  p.group = static_cast<int>(w.spec.group);
  if (w.spec.format == QuantFormat::kNf4) {
    p.absmax_codes = w.absmax_codes.data_ptr<uint8_t>();
    p.absmax_scales = w.absmax_scales.data_ptr<float>();
    p.absmax_offset = w.absmax_offset.data_ptr<float>();
    p.code_tables = code_tables_on(x.device()).data_ptr<float>();
  }
}

at::Tensor run_gemv(const at::Tensor& x, const QuantizedWeight& w, const FusedLinearOptions& o) {
  const c10::cuda::CUDAGuard guard(x.device());
  at::Tensor out = at::empty(output_shape(x, w.rows), x.options());
  GemvInputs in = gemv_inputs(x, w.rows, w.cols, o, out);
  set_weight_params(x, w, in.params);
  const int sms = at::cuda::getCurrentDeviceProperties()->multiProcessorCount;
  const cudaError_t err = launch_gemv(in.params, at::cuda::getCurrentCUDAStream(), sms);
  GPTBENCH_CHECK(err == cudaSuccess, "quantized_linear: the GEMV kernel failed to launch: {}", cudaGetErrorString(err));
  return out;
}

// (N, K) dense in x's dtype on x's device, by the dequantize kernel in one pass.
at::Tensor dequantize_on_device(const at::Tensor& x, const QuantizedWeight& w) {
  const c10::cuda::CUDAGuard guard(x.device());
  at::Tensor dense = at::empty({w.rows, w.cols}, x.options());
  GemvParams p;
  p.n = static_cast<int>(w.rows);
  p.k = static_cast<int>(w.cols);
  p.dtype = x.scalar_type() == at::kHalf ? ElementType::kFp16 : ElementType::kBf16;
  set_weight_params(x, w, p);
  const int sms = at::cuda::getCurrentDeviceProperties()->multiProcessorCount;
  const cudaError_t err = launch_dequantize(p, dense.data_ptr(), at::cuda::getCurrentCUDAStream(), sms);
  GPTBENCH_CHECK(err == cudaSuccess, "quantized_linear: the dequantize kernel failed to launch: {}",
                 cudaGetErrorString(err));
  return dense;
}
#endif

}  // namespace

std::string quantized_linear_path(const at::Tensor& x, const QuantizedWeight& w, const FusedLinearOptions& o) {
  check_arguments(x, w, o);
  return path_name(x, w, o, *gemv_unsupported(x, w, o) == '\0');
}

at::Tensor quantized_linear(const at::Tensor& x, const QuantizedWeight& w, const FusedLinearOptions& o,
                            std::string* path) {
  check_arguments(x, w, o);
  const bool gemv = *gemv_unsupported(x, w, o) == '\0';
  if (path != nullptr) *path = path_name(x, w, o, gemv);
#ifdef GPTBENCH_HAVE_GEMV_KERNEL
  if (gemv) return run_gemv(x, w, o);
  if (*dequantize_kernel_unsupported(x, w) == '\0') return fused_linear_reference(x, dequantize_on_device(x, w), o);
#endif
  const at::Tensor dense = quant::dequantize(w, x.scalar_type());
  return fused_linear_reference(x, dense.to(x.device()), o);
}

}  // namespace gptbench::kernels
