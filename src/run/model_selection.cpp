// Model flags -> attention spec, dtype, device.
#include "gptbench/run/model_selection.h"

#include "gptbench/attention/variant.h"  // parse_variant

namespace gptbench::run {

ResolvedSelection resolve_selection(const ModelSelection& flags) {
  ResolvedSelection r;
  r.flags = flags;
  r.attention = attention::parse_variant(
      flags.variant, {flags.window, flags.global_tokens, flags.maskmix_windows, flags.features, flags.feature_seed});
  r.dtype = model::parse_dtype(flags.dtype);
  r.device = model::resolve_device(flags.device);
  return r;
}

model::LoadedModel load_selected_model(const ResolvedSelection& selection) {
  return model::load_model(selection.flags.model_dir, selection.attention, selection.dtype, selection.device);
}

}  // namespace gptbench::run
