// A quantized (N, K) linear weight: the packed values, their scales and everything needed to
// dequantize them, plus the original shape and dtype. The byte layouts are documented in
// docs/quantization.md; 4-bit formats put element 2j of a row in the HIGH nibble of byte j and
// element 2j+1 in the low nibble (bitsandbytes' order, used for int4 too).
#pragma once

#include <ATen/core/Tensor.h>      // at::Tensor
#include <c10/core/ScalarType.h>   // c10::ScalarType

#include <cstdint>  // int64_t
#include <string>   // std::string

#include "gptbench/quant/quant_format.h"  // QuantSpec

namespace gptbench::quant {

struct QuantizedWeight {
  QuantSpec spec;  // resolved: group set
  int64_t rows = 0, cols = 0;  // N (output channels), K (input features) of the original weight
  c10::ScalarType dtype = c10::ScalarType::Half;  // the original weight's dtype; dequantize returns it

  at::Tensor data;    // int8: (N, K) int8; int4, nf4: (N, K/2) uint8, two elements per byte
  at::Tensor scales;  // int8: (N); int4: (N, K/group); fp16, or bf16 for a bf16 weight. nf4: undefined
  at::Tensor zeros;   // int4 asymmetric: (N, K/group) uint8 in [0, 15]; otherwise undefined
  // nf4 only: block b's absmax = dynamic_code[absmax_codes[b]] * absmax_scales[b / 256] + absmax_offset,
  // blocks of spec.group elements along each row (N * K / group of them, row-major).
  at::Tensor absmax_codes;   // (N*K/group) uint8
  at::Tensor absmax_scales;  // (ceil(N*K/group / 256)) fp32
  at::Tensor absmax_offset;  // () fp32
};

// The scale dtype of a weight of `dtype`: bf16 for bf16 weights, fp16 otherwise.
c10::ScalarType scale_dtype_for(c10::ScalarType dtype);

// Throws gptbench::Error naming `where` when a tensor is missing, extra, or of the wrong dtype, shape
// or device for the spec and shape (a corrupt checkpoint or a hand-built weight).
void check_quantized_weight(const QuantizedWeight& weight, const std::string& where);

struct WeightBytes {
  int64_t before = 0;  // N * K * element size of the original dtype
  int64_t after = 0;   // every tensor of the quantized weight: data, scales, zeros, absmax tensors
};
WeightBytes weight_bytes(const QuantizedWeight& weight);

}  // namespace gptbench::quant
