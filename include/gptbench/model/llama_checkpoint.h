// Hugging Face Llama/Mistral checkpoint folders <-> LlamaModel: config.json + model.safetensors (or shards).
// Loading validates names, shapes and dtypes before copying anything; q/k/v and gate/up are fused on the
// way in and split on the way out (llama_weight_map.h).
#pragma once

#include <c10/core/Device.h>      // c10::Device
#include <c10/core/ScalarType.h>  // c10::ScalarType

#include <cstdint>     // int64_t, uint64_t
#include <filesystem>  // std::filesystem::path

#include "gptbench/attention/attention.h"  // AttentionSpec
#include "gptbench/model/llama_config.h"   // LlamaConfig
#include "gptbench/model/llama_model.h"    // LlamaModel

namespace gptbench::model {

struct LoadedLlama {
  LlamaModel model{nullptr};
  int64_t checkpoint_bytes = 0;  // tensor bytes in the checkpoint files, as stored
  int64_t weight_bytes = 0;      // parameter bytes on the device, in the loaded dtype
};

// Reads DIR/config.json (model_type llama or mistral) and the weights, builds the model for `spec` and loads
// it in `dtype` on `device`. Errors name the folder, file or tensor.
LoadedLlama load_llama_model(const std::filesystem::path& dir, const attention::AttentionSpec& spec,
                             c10::ScalarType dtype, c10::Device device);

// transformers' initialisation of LlamaForCausalLM: every matrix ~ normal(0, 0.02), RMSNorm weights 1.
// CPU, fp32, reproducible from `seed` on any machine.
LlamaModel init_llama_model(const LlamaConfig& config, uint64_t seed);

// Writes DIR/config.json and DIR/model.safetensors in the layout transformers' save_pretrained writes
// (q/k/v and gate/up as separate keys; lm_head omitted when tied).
void save_llama_model(LlamaModel& model, const std::filesystem::path& dir);

}  // namespace gptbench::model
