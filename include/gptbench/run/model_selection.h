// The flags that pick a model and where it runs (--model, --variant, --window, --global-tokens,
// --flash-arch, --dtype, --device, --data-dir, --quant, --quant-group, --quant-lm-head, --adapter,
// --adapter-unmerged): declared once for every
// command (src/cli/model_options.h), read
// from sweep settings for each cell, and resolved once, at the edge, into the attention spec, dtype
// and device the code runs on. Nothing past the edge parses these strings again.
#pragma once

#include <c10/core/Device.h>      // c10::Device
#include <c10/core/ScalarType.h>  // c10::ScalarType

#include <cstdint>   // int64_t
#include <optional>  // std::optional
#include <string>    // std::string

#include "gptbench/attention/attention.h"  // AttentionSpec
#include "gptbench/kernels/flash_arch.h"   // FlashArch
#include "gptbench/model/checkpoint.h"     // LoadedModel
#include "gptbench/model/model_quantization.h"  // QuantRequest

namespace gptbench::run {

// As given on the command line or in a sweep's settings; reports echo these strings.
struct ModelSelection {
  std::string model_dir;                 // --model: checkpoint folder (config.json, model.safetensors)
  std::string variant = "standard";      // --variant: see `gptbench variants`
  std::optional<int64_t> window;         // --window: sparse variants (default attention::kDefaultWindow)
  std::optional<int64_t> global_tokens;  // --global-tokens: sparse variants' sink tokens
  std::string dtype = "fp32";            // --dtype: fp32 | fp16 | bf16
  std::string device = "auto";           // --device: auto | cpu | cuda | cuda:N
  std::string data_dir;                  // --data-dir: the shared data folder (data::default_data_dir())
  // Added fields go below, so that brace-initialised selections (tests) keep their order.
  std::optional<std::string> maskmix_windows;  // --maskmix-windows: maskmix's windows
  std::optional<int64_t> features;             // --features: performer's random features
  std::optional<uint64_t> feature_seed;        // --feature-seed: performer's draw of them
  std::optional<std::string> quant;      // --quant: none | int8 | int4 | nf4; absent: as the checkpoint is
  std::optional<int64_t> quant_group;    // --quant-group: int4 group / nf4 block (default 128 / 64)
  bool quant_lm_head = false;            // --quant-lm-head
  kernels::FlashArch flash_arch = kernels::FlashArch::kAuto;  // --flash-arch: flash's prefill kernel
  std::optional<std::string> adapter;  // --adapter: a LoRA adapter folder in PEFT's format (model/lora.h)
  bool adapter_unmerged = false;       // --adapter-unmerged: the adapter runs beside the weights, not merged
  std::optional<int64_t> nsa_block;         // --nsa-block: nsa's compressed block l
  std::optional<int64_t> nsa_stride;        // --nsa-stride: nsa's compression stride d
  std::optional<int64_t> nsa_select_block;  // --nsa-select-block: nsa's selection block l'
  std::optional<int64_t> nsa_topk;          // --nsa-topk: nsa's selected blocks n
  std::optional<int64_t> nsa_window;        // --nsa-window: nsa's sliding window w
};

// A ModelSelection resolved: the values loading and running the model take.
struct ResolvedSelection {
  ModelSelection flags;                       // as given, for reports and messages
  attention::AttentionSpec attention;         // --variant, --window, --global-tokens, --flash-arch
  c10::ScalarType dtype = c10::ScalarType::Float;  // --dtype
  c10::Device device{c10::kCPU};              // --device, "auto" resolved to this machine's device
  model::QuantRequest quant;                  // --quant, --quant-group, --quant-lm-head
};

// UsageError naming the flag for a bad variant, window, sink count, dtype, device or quantization.
model::QuantRequest resolve_quant(const ModelSelection& flags);
ResolvedSelection resolve_selection(const ModelSelection& flags);

// The selected checkpoint, built for the selection's variant in its dtype on its device, quantized as
// asked, with --adapter's LoRA adapter merged into it or (--adapter-unmerged) attached.
model::LoadedModel load_selected_model(const ResolvedSelection& selection);

}  // namespace gptbench::run
