// Model flags -> attention spec, dtype, device.
#include "gptbench/run/model_selection.h"

#include <fmt/format.h>  // fmt::format

#include "gptbench/attention/variant.h"  // parse_variant
#include "gptbench/model/lora.h"         // load_lora, LoraApply
#include "gptbench/quant/quant_format.h"  // kQuantFormatNames, resolve_spec
#include "gptbench/util/enum_names.h"     // parse_enum, enum_names
#include "gptbench/util/error.h"          // UsageError

namespace gptbench::run {

model::QuantRequest resolve_quant(const ModelSelection& flags) {
  model::QuantRequest q;
  q.given = flags.quant.has_value();
  q.lm_head = flags.quant_lm_head;
  if (!flags.quant || *flags.quant == "none") {
    if (flags.quant_group) throw UsageError("--quant-group: needs --quant int4 or nf4");
    if (flags.quant_lm_head) throw UsageError("--quant-lm-head: needs --quant int8, int4 or nf4");
    return q;
  }
  quant::QuantSpec spec;
  for (const auto& row : quant::kQuantFormatNames) {
    if (*flags.quant == row.name) {
      spec.format = row.value;
      q.spec = spec;
    }
  }
  if (!q.spec) {
    throw UsageError(fmt::format("--quant: unknown value \"{}\" (none, {})", *flags.quant,
                                 enum_names(quant::kQuantFormatNames)));
  }
  q.spec->group = flags.quant_group.value_or(0);
  q.spec = quant::resolve_spec(*q.spec, "--quant-group");
  return q;
}

ResolvedSelection resolve_selection(const ModelSelection& flags) {
  ResolvedSelection r;
  r.flags = flags;
  r.attention = attention::parse_variant(
      flags.variant, {flags.window, flags.global_tokens, flags.maskmix_windows, flags.features, flags.feature_seed,
                      flags.nsa_block, flags.nsa_stride, flags.nsa_select_block, flags.nsa_topk, flags.nsa_window});
  r.attention.flash_arch = flags.flash_arch;
  r.dtype = model::parse_dtype(flags.dtype);
  r.device = model::resolve_device(flags.device);
  r.quant = resolve_quant(flags);
  if (flags.adapter_unmerged && !flags.adapter) throw UsageError("--adapter-unmerged: needs --adapter DIR");
  if (flags.adapter && flags.adapter->empty()) throw UsageError("--adapter: needs a folder (adapter_config.json, "
                                                                "adapter_model.safetensors)");
  return r;
}

model::LoadedModel load_selected_model(const ResolvedSelection& selection) {
  model::LoadedModel loaded = model::load_model(selection.flags.model_dir, selection.attention, selection.dtype,
                                                selection.device, selection.quant);
  if (selection.flags.adapter) {
    const model::LoraApply apply = selection.flags.adapter_unmerged ? model::LoraApply::kUnmerged : model::LoraApply::kMerge;
    loaded.adapter = model::load_lora(*loaded.model, *selection.flags.adapter, apply);
  }
  return loaded;
}

}  // namespace gptbench::run
