// The summarization benchmark: load the model, read and prompt the dataset, generate batch by
// batch with device-event timing, score the generated text (never the prompt), and build the
// report (schema: docs/result-schema.md).
#pragma once

#include <nlohmann/json.hpp>  // nlohmann::json

#include "gptbench/run/run_config.h"  // RunConfig

namespace gptbench::run {

inline constexpr int kSchemaVersion = 1;

// Returns the report with "status": "ok". Throws gptbench::Error / UsageError on failure; the
// caller turns that into a report with "status": "error" (error_report below).
nlohmann::json run_summarization(const RunConfig& config);

// A report for a run that failed: config, env and the one-line message, "status": "error".
nlohmann::json error_report(const RunConfig& config, const std::string& message);

}  // namespace gptbench::run
