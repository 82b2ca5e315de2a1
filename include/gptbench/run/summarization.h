// The summarization benchmark: load the model, read and prompt the dataset, generate batch by
// batch with device-event timing, score the generated text (never the prompt), and build the
// report (report::RunReport; schema: docs/result-schema.md).
#pragma once

#include <c10/core/Device.h>  // c10::Device

#include <nlohmann/json.hpp>  // nlohmann::json

#include <exception>  // std::exception
#include <string>     // std::string

#include "gptbench/attention/attention.h"      // AttentionSpec
#include "gptbench/model/model_config.h"       // ModelShape
#include "gptbench/report/run_report.h"        // RunReport, ReportHeader, AttentionInfo, SchemaVersion
#include "gptbench/run/run_config.h"           // RunConfig

namespace gptbench::run {

// Returns the report with "status": "ok". Throws gptbench::Error / UsageError on failure; the
// caller turns that into a report with "status": "error" (error_report below).
report::RunReport run_summarization(const RunConfig& config);

// The header every report (run, perplexity, train) starts with: `version`, the tool, env (of
// `device`), and `config` (a RunConfig's or TrainConfig's to_json) with device_resolved added.
report::ReportHeader report_header(const nlohmann::json& config, c10::Device device, report::SchemaVersion version);

// The attention block of a variant that ran `kernel`; the caller adds the kernels of its phases.
report::AttentionInfo attention_info(const attention::AttentionSpec& spec, const std::string& kernel);

// The model block: the family, shape and parameter count of a model.
report::ModelInfo model_info(const model::ModelShape& shape);

// The one-line message of a failed run: a gptbench::Error's own message; for anything else (c10
// errors carry a backtrace) the first line, and a CUDA out-of-memory error suggests a smaller batch.
std::string failure_message(const std::exception& error);

// A report for a run that failed: config, env and the one-line message, "status": "error".
report::RunReport error_report(const RunConfig& config, const std::string& message);

}  // namespace gptbench::run
