// One quantize/dequantize pair per format (quantize.cpp dispatches). Quantize fills the format's
// tensors of `out`, whose spec, shape and dtype are set; dequantize returns (N, K) fp32.
#pragma once

#include <ATen/core/Tensor.h>  // at::Tensor

#include "gptbench/quant/quantized_weight.h"  // QuantizedWeight

namespace gptbench::quant {

void quantize_int8(const at::Tensor& w, QuantizedWeight& out);  // w: (N, K)
void quantize_int4(const at::Tensor& w, QuantizedWeight& out);
void quantize_nf4(const at::Tensor& w, QuantizedWeight& out);
at::Tensor dequantize_int8(const QuantizedWeight& w);
at::Tensor dequantize_int4(const QuantizedWeight& w);
at::Tensor dequantize_nf4(const QuantizedWeight& w);

}  // namespace gptbench::quant
