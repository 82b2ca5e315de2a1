// quantize / dequantize (gptbench/quant/quantize.h): argument checks and the dispatch per format.
#include "gptbench/quant/quantize.h"

#include <ATen/ATen.h>  // at::isfinite, Tensor methods

#include <string>  // std::string

#include "gptbench/util/check.h"       // GPTBENCH_CHECK
#include "gptbench/util/enum_names.h"  // enum_name
#include "quantize_formats.h"          // quantize_int8, ...

namespace gptbench::quant {

QuantizedWeight quantize(const at::Tensor& weight, const QuantSpec& spec) {
  QuantizedWeight out;
  out.spec = resolve_spec(spec, "quantize");
  const std::string name = describe(out.spec);
  GPTBENCH_CHECK(weight.dim() == 2 && weight.size(0) > 0 && weight.size(1) > 0,
                 "quantize ({}): the weight must be a non-empty (N, K) matrix, got {} dimensions", name, weight.dim());
  const auto dtype = weight.scalar_type();
  GPTBENCH_CHECK(dtype == at::kFloat || dtype == at::kHalf || dtype == at::kBFloat16,
                 "quantize ({}): the weight must be fp32, fp16 or bf16, got {}", name, c10::toString(dtype));
  out.rows = weight.size(0);
  out.cols = weight.size(1);
  out.dtype = dtype;
  const int64_t k = out.cols;
  GPTBENCH_CHECK(out.spec.format == QuantFormat::kInt8 || k % out.spec.group == 0,
                 "quantize ({}): K = {} input features is not a multiple of the group {}", name, k, out.spec.group);
  GPTBENCH_CHECK(at::isfinite(weight).all().item<bool>(), "quantize ({}): the weight holds inf or NaN", name);
  switch (out.spec.format) {
    case QuantFormat::kInt8: quantize_int8(weight, out); break;
    case QuantFormat::kInt4: quantize_int4(weight, out); break;
    case QuantFormat::kNf4: quantize_nf4(weight, out); break;
  }
  return out;
}

at::Tensor dequantize(const QuantizedWeight& weight, std::optional<c10::ScalarType> dtype) {
  check_quantized_weight(weight, "dequantize");
  at::Tensor w;
  switch (weight.spec.format) {
    case QuantFormat::kInt8: w = dequantize_int8(weight); break;
    case QuantFormat::kInt4: w = dequantize_int4(weight); break;
    case QuantFormat::kNf4: w = dequantize_nf4(weight); break;
  }
  return w.to(dtype.value_or(weight.dtype));
}

}  // namespace gptbench::quant
