// The report's `quant` block (report/quant_info.h) from what a loaded model holds quantized.
#pragma once

#include <optional>  // std::optional

#include "gptbench/model/model_quantization.h"  // QuantSummary
#include "gptbench/report/quant_info.h"         // QuantInfo

namespace gptbench::run {

// nullopt for a dense model.
std::optional<report::QuantInfo> quant_info(const std::optional<model::QuantSummary>& summary);

}  // namespace gptbench::run
