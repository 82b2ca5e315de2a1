// A quantized model as a checkpoint folder (`gptbench quantize`; the file layout is
// gptbench/quant/quantized_checkpoint.h, docs/quantization.md): config.json + model.safetensors whose
// tensors are named as the model's modules name them (named_parameters: "h.0.attn.c_attn.bias",
// "layers.0.self_attn.qkv_proj.weight", ...; GPT-2's weights (out, in), Llama's q/k/v and gate/up fused),
// each quantized projection as "<module>.weight" in the quantized layout. `run --model DIR` reads it
// directly (load_model dispatches here on the layout's version key).
#pragma once

#include <c10/core/Device.h>      // c10::Device
#include <c10/core/ScalarType.h>  // c10::ScalarType

#include <filesystem>  // std::filesystem::path

#include "gptbench/attention/attention.h"         // AttentionSpec
#include "gptbench/model/causal_lm.h"             // CausalLm, ModelConfig
#include "gptbench/model/checkpoint.h"            // LoadedModel
#include "gptbench/model/model_quantization.h"    // QuantRequest

namespace gptbench::model {

// True when `dir`'s model.safetensors carries the quantized layout's version key (a header read only).
bool is_quantized_checkpoint(const std::filesystem::path& dir);

// Writes `model` (at least one projection quantized) to dir/model.safetensors and dir/config.json.
// Throws gptbench::Error when no projection is quantized.
void save_quantized_model(const CausalLm& model, const std::filesystem::path& dir);

// Reads a folder save_quantized_model wrote: the model built for `spec` with the plain tensors in `dtype`
// and the quantized weights as stored, on `device`, in eval mode. `request` (--quant ...) must agree with
// the file when given. Errors name the file and the tensor: a tensor the model lacks, a parameter the file
// lacks, a shape that disagrees with config.json.
LoadedModel load_quantized_model(const std::filesystem::path& dir, const ModelConfig& config,
                                 const attention::AttentionSpec& spec, c10::ScalarType dtype, c10::Device device,
                                 const QuantRequest& request);

}  // namespace gptbench::model
