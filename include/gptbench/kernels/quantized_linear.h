// fused_linear with a quantized weight (gptbench/quant/quantized_weight.h): the same fusions
// (LayerNorm prologue, bias, GELU, residual, KV store, all in FusedLinearOptions), with
//   - decode-sized inputs (1..gemv_max_rows rows, fp16/bf16, CUDA, no autograd): the GEMV kernel
//     reading the packed weight and dequantizing it in registers (kernels/gemv_quant.cu);
//   - everything else (prefill, autograd) on CUDA with fp16/bf16 x: the dequantize kernel
//     (kernels/dequantize.cu: packed -> dense in x's dtype, one pass, the values of quant::dequantize),
//     then fused_linear's composite (one cuBLAS GEMM): "dequant+cublas";
//   - elsewhere (CPU, fp32 x, a layout the kernel does not take): dequantize to x's dtype with ATen
//     ops, then the same composite: "dequant+aten". That is also the tests' reference.
#pragma once

#include <ATen/core/Tensor.h>  // at::Tensor

#include <string>  // std::string

#include "gptbench/kernels/fused_linear.h"    // FusedLinearOptions
#include "gptbench/quant/quantized_weight.h"  // QuantizedWeight

namespace gptbench::kernels {

// "gemv_<format>_<dtype>_rows<M>" (e.g. gemv_int4_fp16_rows1) when the call runs the quantized GEMV,
// else "dequant+cublas" or "dequant+aten" (above). x: (..., K).
std::string quantized_linear_path(const at::Tensor& x, const quant::QuantizedWeight& weight,
                                  const FusedLinearOptions& options);

// x: (..., K); weight: a quantized (N, K) -> (..., N) in x's dtype. Throws gptbench::Error on
// inconsistent shapes or a malformed weight. When `path` is given it receives quantized_linear_path.
at::Tensor quantized_linear(const at::Tensor& x, const quant::QuantizedWeight& weight,
                            const FusedLinearOptions& options = {}, std::string* path = nullptr);

}  // namespace gptbench::kernels
