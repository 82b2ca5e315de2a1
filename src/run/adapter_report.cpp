// The report's `adapter` block (adapter_report.h).
#include "gptbench/run/adapter_report.h"

#include <string>  // std::string

namespace gptbench::run {

std::optional<report::AdapterInfo> adapter_info(const ResolvedSelection& selection, const model::LoadedModel& loaded) {
  if (!loaded.adapter || !selection.flags.adapter) return std::nullopt;
  const model::LoadedLora& l = *loaded.adapter;
  std::string targets;
  for (const std::string& t : l.settings.targets) targets += (targets.empty() ? "" : ",") + t;
  return report::AdapterInfo{*selection.flags.adapter, l.merged, l.settings.rank, l.settings.alpha, targets, l.sites,
                             l.parameters};
}

}  // namespace gptbench::run
