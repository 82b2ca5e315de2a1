// Hugging Face checkpoint folders <-> models of any family (model_family.h): config.json +
// model.safetensors (or shards), plus the tokenizer files. Loading validates names, shapes and dtypes
// before copying anything.
#pragma once

#include <c10/core/Device.h>      // c10::Device
#include <c10/core/ScalarType.h>  // c10::ScalarType

#include <cstdint>     // int64_t
#include <filesystem>  // std::filesystem::path
#include <memory>      // std::shared_ptr
#include <optional>    // std::optional
#include <string>      // std::string

#include "gptbench/attention/attention.h"  // AttentionSpec
#include "gptbench/model/causal_lm.h"      // CausalLm
#include "gptbench/model/lora.h"           // LoadedLora
#include "gptbench/model/model_quantization.h"  // QuantRequest, QuantSummary

namespace gptbench::model {

struct LoadedModel {
  std::shared_ptr<CausalLm> model;
  int64_t checkpoint_bytes = 0;  // tensor bytes in the checkpoint files, as stored
  int64_t weight_bytes = 0;      // weight bytes as held on the device: parameters in the loaded dtype plus
                                 // the quantized projections' packed values and scales (held_weight_bytes)
  std::optional<QuantSummary> quant;  // what the model holds quantized; nullopt: nothing
  std::optional<LoadedLora> adapter;  // --adapter (run::load_selected_model); nullopt: none
};

// `spec` with the learned options that `config` records (config.json's "gptbench" block, when the
// checkpoint was trained with spec's variant) in place of the defaults: the options the model was
// trained with. A flag stating another value is a UsageError naming `source` (the file), the key and
// the flag. Without a record (older checkpoints), `spec` as it is.
attention::AttentionSpec with_recorded_options(const ModelConfig& config, attention::AttentionSpec spec,
                                               const std::string& source);

// Reads DIR/config.json (its model_type picks the family) and the weights, builds the model for
// `spec` (with_recorded_options: the model's spec() holds the options it runs with), and loads it in
// `dtype` on `device`, in eval mode. Errors name the folder, file, key or
// tensor: an unknown model_type, missing/extra tensors, shape mismatches, bad files.
// `quant` (--quant ...): the projections are quantized once the weights are in `dtype` on `device`
// (model_quantization.h). A quantized checkpoint (`gptbench quantize`, quantized_model_checkpoint.h)
// loads as stored; a `quant` that is given and disagrees with it is a UsageError.
LoadedModel load_model(const std::filesystem::path& dir, const attention::AttentionSpec& spec,
                       c10::ScalarType dtype, c10::Device device, const QuantRequest& quant = {});

// Writes DIR/config.json and DIR/model.safetensors in the layout transformers' save_pretrained
// writes for the model's family (GPT-2: keys prefixed "transformer.", Conv1D weights (in, out),
// lm_head tied and omitted). gptbench::Error for a quantized model (save_quantized_model writes one).
void save_model(const CausalLm& model, const std::filesystem::path& dir);

// Throws gptbench::Error naming `from` when it is not a folder holding a tokenizer (tokenizer.model,
// or vocab.json + merges.txt: text::tokenizer_files): checked before a checkpoint is written, so
// none lacks one.
void check_tokenizer_files(const std::filesystem::path& from);

// Copies the tokenizer files of `from` into `to` under their checkpoint names (text::tokenizer_files:
// tokenizer.model [+ tokenizer_config.json], or vocab.json + merges.txt from either naming).
void copy_tokenizer_files(const std::filesystem::path& from, const std::filesystem::path& to);

// Copies every parameter of `from` into `to` (same config; any variant, dtype or device), and the
// quantized projections' weights (shared, moved to `to`'s device). A variant's own parameter that `from`
// lacks (maskmix's logits, from a standard model) keeps `to`'s initialisation.
void copy_parameters(const CausalLm& from, CausalLm& to);

c10::ScalarType parse_dtype(const std::string& name);  // "fp32" | "fp16" | "bf16"; UsageError otherwise
// "cpu" | "cuda" | "cuda:N"; UsageError otherwise. A CUDA device always carries its index
// ("cuda" is cuda:0): allocator statistics and guards take an index, never -1.
c10::Device parse_device(const std::string& name);
// parse_device, with "auto" meaning cuda (cuda:0) when a CUDA device is available, else cpu.
c10::Device resolve_device(const std::string& name);
std::string dtype_flag_name(c10::ScalarType dtype);

}  // namespace gptbench::model
