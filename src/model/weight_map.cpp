// GPT-2 weight names: module names mirror HF keys, so the map differs only in layout.
#include "gptbench/model/weight_map.h"

#include <fmt/format.h>  // fmt::format

#include <utility>  // std::pair

#include "gptbench/attention/learned_spec.h"  // kNsaParameterNames

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
  // Each block's modules in checkpoint order, with the layout of their weight (biases are kSame).
  constexpr std::pair<const char*, WeightLayout> kBlockModules[] = {
      {"ln_1", WeightLayout::kSame},        {"attn.c_attn", WeightLayout::kConv1D}, {"attn.c_proj", WeightLayout::kConv1D},
      {"ln_2", WeightLayout::kSame},        {"mlp.c_fc", WeightLayout::kConv1D},    {"mlp.c_proj", WeightLayout::kConv1D}};
  for (int64_t l = 0; l < config.n_layer; ++l) {
    for (const auto& [module, layout] : kBlockModules) {
      const std::string p = fmt::format("h.{}.{}.", l, module);
      add(p + "weight", layout);
      add(p + "bias", WeightLayout::kSame);
    }
    map.push_back({fmt::format("h.{}.attn.maskmix_logits", l), fmt::format("h.{}.attn.maskmix_logits", l),
                   WeightLayout::kSame, 0, 0, /*variant_parameter=*/true});  // (H, windows): --variant maskmix only
    for (const char* nsa : attention::kNsaParameterNames)  // --variant nsa only (docs/variants.md)
      map.push_back({fmt::format("h.{}.attn.{}", l, nsa), fmt::format("h.{}.attn.{}", l, nsa), WeightLayout::kSame, 0,
                     0, /*variant_parameter=*/true});
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
