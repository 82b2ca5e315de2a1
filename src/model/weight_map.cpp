// GPT-2 weight names: module names mirror HF keys, so the map differs only in layout.
#include "gptbench/model/weight_map.h"

#include <fmt/format.h>  // fmt::format

namespace gptbench::model {
namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

std::vector<WeightEntry> gpt2_weight_map(const Gpt2Config& config) {
  std::vector<WeightEntry> map;
  auto add = [&map](std::string name, WeightLayout layout) { map.push_back({name, name, layout}); };
  add("wte.weight", WeightLayout::kSame);
  add("wpe.weight", WeightLayout::kSame);
  for (int64_t l = 0; l < config.n_layer; ++l) {
    const std::string p = fmt::format("h.{}.", l);
    add(p + "ln_1.weight", WeightLayout::kSame);
    add(p + "ln_1.bias", WeightLayout::kSame);
    add(p + "attn.c_attn.weight", WeightLayout::kConv1D);
    add(p + "attn.c_attn.bias", WeightLayout::kSame);
    add(p + "attn.c_proj.weight", WeightLayout::kConv1D);
    add(p + "attn.c_proj.bias", WeightLayout::kSame);
    map.push_back({p + "attn.maskmix_logits", p + "attn.maskmix_logits", WeightLayout::kSame, 0, 0,
                   /*variant_parameter=*/true});  // (H, windows): --variant maskmix only
    add(p + "ln_2.weight", WeightLayout::kSame);
    add(p + "ln_2.bias", WeightLayout::kSame);
    add(p + "mlp.c_fc.weight", WeightLayout::kConv1D);
    add(p + "mlp.c_fc.bias", WeightLayout::kSame);
    add(p + "mlp.c_proj.weight", WeightLayout::kConv1D);
    add(p + "mlp.c_proj.bias", WeightLayout::kSame);
  }
  add("ln_f.weight", WeightLayout::kSame);
  add("ln_f.bias", WeightLayout::kSame);
  return map;
}

bool is_ignored_checkpoint_key(std::string_view key) {
  if (key.substr(0, kHfPrefix.size()) == kHfPrefix) key.remove_prefix(kHfPrefix.size());
  return key == "lm_head.weight" || ends_with(key, ".attn.bias") || ends_with(key, ".attn.masked_bias");
}

}  // namespace gptbench::model
