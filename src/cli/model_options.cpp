// Shared model flags.
#include "model_options.h"


#include "gptbench/attention/variant.h"  // parse_variant
#include "gptbench/run/summarization.h"  // resolve_device

namespace gptbench::cli {

void add_model_options(CLI::App* cmd, ModelOptions& o) {
  cmd->add_option("--model", o.model_dir, "Hugging Face checkpoint folder (config.json, model.safetensors)")
      ->required();
  cmd->add_option("--dtype", o.dtype, "fp32 | fp16 | bf16")->capture_default_str();
  cmd->add_option("--device", o.device, "auto | cpu | cuda | cuda:N (auto: cuda when available)")
      ->capture_default_str();
  cmd->add_option("--variant", o.variant, "attention variant, e.g. standard, sdpa, flash+alibi (see `gptbench variants`)")
      ->capture_default_str();
  cmd->add_option("--window", o.window, "sliding window W for 'sparse' variants (default 256)");
  cmd->add_option("--global-tokens", o.global_tokens, "sink tokens every query sees, for 'sparse' variants");
}

ResolvedModel load_model_from_options(const ModelOptions& o) {
  ResolvedModel r;
  r.spec = attention::parse_variant(o.variant, {o.window, o.global_tokens});
  r.dtype = model::parse_dtype(o.dtype);
  r.device = run::resolve_device(o.device);
  r.loaded = model::load_model(o.model_dir, r.spec, r.dtype, r.device);
  return r;
}

}  // namespace gptbench::cli
