// The report's `adapter` block (report/adapter_info.h) from the LoRA adapter --adapter loaded.
#pragma once

#include <optional>  // std::optional

#include "gptbench/report/adapter_info.h"  // AdapterInfo
#include "gptbench/run/model_selection.h"  // ResolvedSelection
#include "gptbench/model/checkpoint.h"     // LoadedModel

namespace gptbench::run {

// nullopt without --adapter.
std::optional<report::AdapterInfo> adapter_info(const ResolvedSelection& selection, const model::LoadedModel& loaded);

}  // namespace gptbench::run
