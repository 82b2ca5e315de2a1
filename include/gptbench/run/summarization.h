// The summarization benchmark: load the model, read and prompt the dataset, generate batch by
// batch with device-event timing, score the generated text (never the prompt), and build the
// report (schema: docs/result-schema.md).
#pragma once

#include <c10/core/Device.h>  // c10::Device

#include <nlohmann/json.hpp>  // nlohmann::json

#include <exception>  // std::exception
#include <string>     // std::string

#include "gptbench/run/run_config.h"  // RunConfig

namespace gptbench::run {

inline constexpr int kSchemaVersion = 1;

// Returns the report with "status": "ok". Throws gptbench::Error / UsageError on failure; the
// caller turns that into a report with "status": "error" (error_report below).
nlohmann::json run_summarization(const RunConfig& config);

// The keys every report starts with: schema_version, tool, env (of `device`), config (+ device_resolved).
nlohmann::json report_header(const RunConfig& config, c10::Device device);

// The one-line message of a failed run: a gptbench::Error's own message; for anything else (c10
// errors carry a backtrace) the first line, and a CUDA out-of-memory error suggests a smaller batch.
std::string failure_message(const std::exception& error);

// A report for a run that failed: config, env and the one-line message, "status": "error".
nlohmann::json error_report(const RunConfig& config, const std::string& message);

}  // namespace gptbench::run
