// quantize / dequantize on any device with ATen ops (the CPU reference of every format, and the
// prefill path's dequantization on CUDA). The arithmetic is stated in docs/quantization.md and
// transcribed independently in tests/quant/quant_oracle.py, which checks it bit for bit (and NF4
// against bitsandbytes).
#pragma once

#include <ATen/core/Tensor.h>     // at::Tensor
#include <c10/core/ScalarType.h>  // c10::ScalarType

#include <optional>  // std::optional

#include "gptbench/quant/quant_format.h"      // QuantSpec
#include "gptbench/quant/quantized_weight.h"  // QuantizedWeight

namespace gptbench::quant {

// weight: (N, K) fp32/fp16/bf16. The spec is resolved (resolve_spec) first. Throws gptbench::Error
// when K is not a multiple of the group (int4, nf4) or of 2, or the weight is not finite.
QuantizedWeight quantize(const at::Tensor& weight, const QuantSpec& spec);

// (N, K) in `dtype` (default: the original weight's dtype), on the weight's device.
at::Tensor dequantize(const QuantizedWeight& weight, std::optional<c10::ScalarType> dtype = std::nullopt);

// The 16 NF4 values (bitsandbytes' get_4bit_type("nf4")), fp32, on the CPU.
at::Tensor nf4_code();
// bitsandbytes' signed 8-bit dynamic map (create_dynamic_map(), 256 sorted fp32 values), the code of
// the double-quantized absmax values, on the CPU.
at::Tensor dynamic_code();

}  // namespace gptbench::quant
