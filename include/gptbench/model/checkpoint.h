// Hugging Face checkpoint folders <-> Gpt2Model: config.json + model.safetensors (or shards),
// plus the tokenizer files. Loading validates names, shapes and dtypes before copying anything.
#pragma once

#include <c10/core/Device.h>      // c10::Device
#include <c10/core/ScalarType.h>  // c10::ScalarType

#include <cstdint>     // int64_t, uint64_t
#include <filesystem>  // std::filesystem::path

#include "gptbench/attention/attention.h"  // AttentionSpec
#include "gptbench/model/gpt2_config.h"    // Gpt2Config
#include "gptbench/model/gpt2_model.h"     // Gpt2Model

namespace gptbench::model {

struct LoadedModel {
  Gpt2Model model{nullptr};
  int64_t checkpoint_bytes = 0;  // tensor bytes in the checkpoint files, as stored
  int64_t weight_bytes = 0;      // parameter bytes on the device, in the loaded dtype
};

// Reads DIR/config.json and the weights, builds the model for `spec`, and loads it in `dtype` on `device`.
// Errors name the folder, file or tensor: missing/extra tensors, shape mismatches, bad files.
LoadedModel load_model(const std::filesystem::path& dir, const attention::AttentionSpec& spec,
                       c10::ScalarType dtype, c10::Device device);

// GPT-2's initialisation: every weight ~ normal(0, 0.02), the residual projections (attn.c_proj,
// mlp.c_proj) ~ normal(0, 0.02 / sqrt(2 * n_layer)), biases 0, LayerNorm weight 1. CPU, fp32,
// reproducible from `seed` on any machine.
Gpt2Model init_model(const Gpt2Config& config, uint64_t seed);

// Writes DIR/config.json and DIR/model.safetensors in the layout transformers' save_pretrained
// writes (keys prefixed "transformer.", Conv1D weights (in, out), lm_head tied and omitted).
void save_model(Gpt2Model& model, const std::filesystem::path& dir);

// Throws gptbench::Error naming `from` when it is not a folder holding vocab.json (or encoder.json)
// and merges.txt (or vocab.bpe): checked before a checkpoint is written, so none lacks them.
void check_tokenizer_files(const std::filesystem::path& from);

// Copies vocab.json + merges.txt (from those names, or OpenAI's encoder.json + vocab.bpe) into `to`.
void copy_tokenizer_files(const std::filesystem::path& from, const std::filesystem::path& to);

int64_t parameter_bytes(Gpt2Model& model);

// Copies every parameter of `from` into `to` (same config; any variant, dtype or device).
void copy_parameters(Gpt2Model& from, Gpt2Model& to);

c10::ScalarType parse_dtype(const std::string& name);  // "fp32" | "fp16" | "bf16"; UsageError otherwise
// "cpu" | "cuda" | "cuda:N"; UsageError otherwise. A CUDA device always carries its index
// ("cuda" is cuda:0): allocator statistics and guards take an index, never -1.
c10::Device parse_device(const std::string& name);
// parse_device, with "auto" meaning cuda (cuda:0) when a CUDA device is available, else cpu.
c10::Device resolve_device(const std::string& name);
std::string dtype_flag_name(c10::ScalarType dtype);

}  // namespace gptbench::model
