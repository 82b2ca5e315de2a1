// Quantizing a model's projections and summarising them (model_quantization.h).
#include "gptbench/model/model_quantization.h"

#include <fmt/format.h>  // fmt::format

#include <numeric>  // std::gcd

#include "gptbench/quant/quantized_weight.h"  // weight_bytes
#include "gptbench/util/check.h"              // GPTBENCH_CHECK
#include "gptbench/util/enum_names.h"         // enum_name
#include "gptbench/util/error.h"              // UsageError

namespace gptbench::model {
namespace {

// The largest group the format allows, at most `group`, that divides `k`; 0 when none does.
int64_t group_dividing(const quant::QuantSpec& spec, int64_t group, int64_t k) {
  for (int64_t g = group; g >= quant::kGroupGranule; --g) {
    const bool allowed = spec.format == quant::QuantFormat::kNf4 ? (g & (g - 1)) == 0 : g % quant::kGroupGranule == 0;
    if (allowed && k % g == 0) return g;
  }
  return 0;
}

// Refuses a group that does not divide some projection's K, naming the first and suggesting a group.
void check_groups(const std::vector<std::pair<std::string, std::shared_ptr<ProjectionImpl>>>& projections,
                  const quant::QuantSpec& spec, const std::string& group_flag) {
  if (spec.format == quant::QuantFormat::kInt8) return;
  int64_t all_k = 0;
  for (const auto& [name, p] : projections) all_k = std::gcd(all_k, p->in_features());
  for (const auto& [name, p] : projections) {
    const int64_t k = p->in_features();
    if (k % spec.group == 0) continue;
    const int64_t suggestion = group_dividing(spec, spec.group, all_k);
    throw UsageError(fmt::format(
        "{} {}: layer {} has K = {} input features, not a multiple of the {} group {}; {}", group_flag, spec.group,
        name, k, enum_name(quant::kQuantFormatNames, spec.format), spec.group,
        suggestion > 0 ? fmt::format("{} {} divides every layer's K", group_flag, suggestion)
                       : fmt::format("no group the format allows divides every layer's K (their gcd is {})", all_k)));
  }
}

}  // namespace

std::vector<std::pair<std::string, std::shared_ptr<ProjectionImpl>>> named_projections(const torch::nn::Module& model) {
  std::vector<std::pair<std::string, std::shared_ptr<ProjectionImpl>>> out;
  for (const auto& item : model.named_modules("", /*include_self=*/false)) {
    if (auto p = std::dynamic_pointer_cast<ProjectionImpl>(item.value())) out.emplace_back(item.key(), p);
  }
  return out;
}

QuantSummary quantize_model(CausalLm& model, const quant::QuantSpec& spec, bool lm_head,
                            const std::string& group_flag) {
  const quant::QuantSpec resolved = quant::resolve_spec(spec, "--quant");
  if (lm_head) model.untied_lm_head();
  std::vector<std::pair<std::string, std::shared_ptr<ProjectionImpl>>> chosen;
  for (auto& named : named_projections(model)) {
    if (named.first != kLmHeadModule || lm_head) chosen.push_back(std::move(named));
  }
  check_groups(chosen, resolved, group_flag);
  for (const auto& [name, p] : chosen) p->quantize(resolved, name);
  std::optional<QuantSummary> summary = quant_summary(model);
  GPTBENCH_CHECK(summary.has_value(), "quantize_model: the model has no projection");
  return *summary;
}

std::optional<QuantSummary> quant_summary(const CausalLm& model) {
  std::optional<QuantSummary> s;
  for (const auto& [name, p] : named_projections(model)) {
    if (!p->is_quantized()) continue;
    const quant::QuantizedWeight& w = p->quantized();
    if (!s) {
      s.emplace();
      s->spec = w.spec;
      s->scale_dtype = w.spec.format == quant::QuantFormat::kNf4 ? w.absmax_scales.scalar_type() : w.scales.scalar_type();
    }
    GPTBENCH_CHECK(w.spec.format == s->spec.format && w.spec.group == s->spec.group,
                   "{}: quantized as {}, other layers as {}: one format per model", name, quant::describe(w.spec),
                   quant::describe(s->spec));
    s->layers.push_back(name);
    s->lm_head = s->lm_head || name == kLmHeadModule;
    const quant::WeightBytes bytes = quant::weight_bytes(w);
    s->bytes_before += bytes.before;
    s->bytes_after += bytes.after;
  }
  return s;
}

int64_t held_weight_bytes(const CausalLm& model) {
  int64_t total = 0;
  for (const auto& p : model.parameters()) total += static_cast<int64_t>(p.nbytes());
  for (const auto& [name, p] : named_projections(model)) {
    if (p->is_quantized()) total += p->weight_bytes();
  }
  return total;
}

}  // namespace gptbench::model
