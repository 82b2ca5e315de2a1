// Quantized weights in a safetensors file (the layout is documented in docs/quantization.md):
// for a weight named P, the tensors
//   P.qdata            I8 (N, K) for int8; U8 (N, K/2) for int4 and nf4
//   P.qscale           F16 or BF16, (N) for int8, (N, K/group) for int4
//   P.qzero            U8 (N, K/group), int4 asymmetric only
//   P.qabsmax          U8 (N*K/group), nf4 only: the 8-bit codes of the block absmax values
//   P.qabsmax_scale    F32 (ceil(N*K/group/256)), nf4 only
//   P.qabsmax_offset   F32 (), nf4 only
// and the metadata key "gptbench.quant:P" holding
//   {"format": "int4", "group": 128, "symmetric": false, "shape": [N, K], "dtype": "F16"}
// (dtype: the original weight's dtype). "gptbench.quant.version" names the layout's version
// (kQuantCheckpointVersion). Every other tensor is a plain F32/F16/BF16 tensor.
#pragma once

#include <ATen/core/Tensor.h>  // at::Tensor

#include <filesystem>  // std::filesystem::path
#include <map>         // std::map
#include <string>      // std::string

#include "gptbench/quant/quantized_weight.h"  // QuantizedWeight

namespace gptbench::quant {

inline constexpr const char* kQuantVersionKey = "gptbench.quant.version";
inline constexpr const char* kQuantVersion = "1";
inline constexpr const char* kQuantWeightKeyPrefix = "gptbench.quant:";

struct QuantizedTensors {
  std::map<std::string, QuantizedWeight> quantized;  // by weight name (P)
  std::map<std::string, at::Tensor> plain;           // every other tensor, fp32/fp16/bf16
  std::map<std::string, std::string> metadata;       // other metadata, written and read back as is
};

// Writes `tensors` (any device; copied to the CPU) atomically. Throws gptbench::Error naming the path
// and the weight when a weight fails check_quantized_weight, a name collides with another tensor's
// (P.qdata given as a plain tensor too), or a metadata key uses the reserved "gptbench.quant" prefix.
void write_quantized_safetensors(const std::filesystem::path& path, const QuantizedTensors& tensors);

// Reads a file written by write_quantized_safetensors (tensors on the CPU). Throws gptbench::Error
// naming the file, the weight and the key on: a missing or different version, metadata that is not the
// documented JSON object, a tensor missing for its format or of the wrong dtype or shape, a .q* tensor
// with no metadata, or a plain tensor that is not F32/F16/BF16.
QuantizedTensors read_quantized_safetensors(const std::filesystem::path& path);

}  // namespace gptbench::quant
