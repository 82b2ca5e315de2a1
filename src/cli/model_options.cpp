// The model flags, each declared here once.
#include "model_options.h"

#include "enum_option.h"                  // add_enum_option
#include "gptbench/data/data_dir.h"       // default_data_dir
#include "gptbench/kernels/flash_arch.h"  // kFlashArchNames
#include "gptbench/model/hub_cache.h"     // resolve_model_dir

namespace gptbench::cli {

void add_model_dir_option(CLI::App* cmd, run::ModelSelection& s, ModelFlag need) {
  auto* option = cmd->add_option("--model", s.model_dir,
                                 "checkpoint folder (config.json, model.safetensors), or a Hugging Face hub id "
                                 "(owner/name) found in the local hub cache");
  // A hub id becomes its cached snapshot folder here, before anything reads the flag (hub_cache.h).
  option->transform(CLI::Validator(
      [](std::string& value) {
        value = model::resolve_model_dir(value, "--model");
        return std::string();
      },
      "", "hub id"));
  if (need == ModelFlag::kRequired) option->required();
}

void add_variant_options(CLI::App* cmd, run::ModelSelection& s) {
  cmd->add_option("--variant", s.variant, "attention variant, e.g. standard, sdpa, flash+alibi (see `gptbench variants`)")
      ->capture_default_str();
  cmd->add_option("--window", s.window, "sliding window W for 'sparse' variants (default 256)");
  cmd->add_option("--global-tokens", s.global_tokens, "sink tokens every query sees, for 'sparse' variants");
  add_enum_option(cmd, "--flash-arch", kernels::kFlashArchNames, s.flash_arch,
                  "flash's prefill kernel: sm90 (wgmma + TMA, H100/H200), sm80 (mma.sync), auto = sm90 where it runs");
  cmd->add_option("--maskmix-windows", s.maskmix_windows,
                  "maskmix's causal windows, increasing, 'all' last (default 1,4,16,64,256,all)");
  cmd->add_option("--features", s.features, "performer's random features m (default 256)");
  cmd->add_option("--feature-seed", s.feature_seed, "performer's draw of the random features (default 0)");
  cmd->add_option("--nsa-block", s.nsa_block, "nsa's compressed block l in tokens (default 32)");
  cmd->add_option("--nsa-stride", s.nsa_stride, "nsa's stride d between compressed blocks, d <= l (default 16)");
  cmd->add_option("--nsa-select-block", s.nsa_select_block, "nsa's selection block l' in tokens (default 64)");
  cmd->add_option("--nsa-topk", s.nsa_topk, "nsa's selected blocks n per query, initial and 2 local included (default 16)");
  cmd->add_option("--nsa-window", s.nsa_window, "nsa's sliding window w (default 512)");
}

void add_dtype_option(CLI::App* cmd, run::ModelSelection& s) {
  cmd->add_option("--dtype", s.dtype, "fp32 | fp16 | bf16")->capture_default_str();
}

void add_device_option(CLI::App* cmd, run::ModelSelection& s) {
  cmd->add_option("--device", s.device, "auto | cpu | cuda | cuda:N (auto: cuda when available)")
      ->capture_default_str();
}

void add_data_dir_option(CLI::App* cmd, run::ModelSelection& s) {
  s.data_dir = data::default_data_dir();
  cmd->add_option("--data-dir", s.data_dir, "shared data folder (env GPTBENCH_DATA_DIR)")->capture_default_str();
}

void add_quant_options(CLI::App* cmd, run::ModelSelection& s) {
  cmd->add_option("--quant", s.quant,
                  "weight-only quantization of every linear layer at load: none | int8 | int4 | nf4 "
                  "(default: as the checkpoint is)");
  cmd->add_option("--quant-group", s.quant_group, "int4 group / nf4 block along K (default 128 / 64)");
  cmd->add_flag("--quant-lm-head", s.quant_lm_head, "also quantize the lm_head (a tied one as a copy)");
}

void add_adapter_options(CLI::App* cmd, run::ModelSelection& s) {
  cmd->add_option("--adapter", s.adapter,
                  "LoRA adapter folder in PEFT's format (adapter_config.json + adapter_model.safetensors), merged into "
                  "the weights at load");
  cmd->add_flag("--adapter-unmerged", s.adapter_unmerged,
                "apply --adapter's LoRA at run time beside the weights instead of merging it (needed on a --quant base)");
}

void add_model_options(CLI::App* cmd, run::ModelSelection& s) {
  add_model_dir_option(cmd, s);
  add_variant_options(cmd, s);
  add_dtype_option(cmd, s);
  add_device_option(cmd, s);
  add_quant_options(cmd, s);
  add_adapter_options(cmd, s);
}

}  // namespace gptbench::cli
