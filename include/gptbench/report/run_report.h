// The report of `gptbench run` (docs/result-schema.md), for both tasks: one RunReport with the
// common header and attention block, and the task's own blocks as a variant. A variant rather
// than one struct of optional blocks: a summarization report always has latency, memory, model,
// ... and a perplexity report never has them, so the type says which blocks go together and no
// reader has to check each block for presence. An error report (status "error") has the header
// only: no attention, no results (std::monostate).
#pragma once

#include <nlohmann/json.hpp>  // nlohmann::json

#include <optional>  // std::optional
#include <string>    // std::string
#include <variant>   // std::variant, std::monostate

#include "gptbench/report/attention_info.h"        // AttentionInfo
#include "gptbench/report/gpu_telemetry.h"         // GpuTelemetry
#include "gptbench/report/json_fields.h"           // JsonFields
#include "gptbench/report/memory_info.h"           // MemoryInfo
#include "gptbench/report/model_info.h"            // ModelInfo
#include "gptbench/report/perplexity_blocks.h"     // PerplexityDataset, PerplexityQuality, PerplexityLatency
#include "gptbench/report/quality_scores.h"        // QualityScores
#include "gptbench/report/quant_info.h"            // QuantInfo
#include "gptbench/report/adapter_info.h"          // AdapterInfo
#include "gptbench/report/report_header.h"         // ReportHeader, kRunSchemaVersion
#include "gptbench/report/summarization_blocks.h"  // LinearInfo, DecodeInfo, DatasetInfo, LatencyInfo

namespace gptbench::report {

// profile stays JSON: bench::to_json(ProfileSummary) owns its table (bench sits above report).
struct SummarizationResults {
  std::optional<LinearInfo> linear;  // absent only in reports older than the GEMV kernel
  std::optional<QuantInfo> quant;    // absent: every weight dense
  ModelInfo model;
  DatasetInfo dataset;
  std::optional<QualityScores> quality;  // null: --timing forward or synthetic prompts
  LatencyInfo latency;
  std::optional<DecodeInfo> decode;  // absent only in reports older than CUDA-graph decode
  MemoryInfo memory;
  nlohmann::json profile;  // null without --profile
  std::optional<GpuTelemetry> gpu_telemetry;  // absent only in reports older than schema minor 3
  std::optional<AdapterInfo> adapter;  // --adapter only (schema minor 4)
};

struct PerplexityResults {
  PerplexityDataset dataset;
  PerplexityQuality quality;
  PerplexityLatency latency;
  MemoryInfo memory;
  std::optional<QuantInfo> quant;  // absent: every weight dense
  std::optional<AdapterInfo> adapter;  // --adapter only (schema minor 4)
};

struct RunReport {
  ReportHeader header{kRunSchemaVersion};
  std::optional<AttentionInfo> attention;
  std::variant<std::monostate, SummarizationResults, PerplexityResults> results;
  std::string status = "ok";  // "ok" | "error"
  std::optional<std::string> error;
};

nlohmann::json to_json(const RunReport& report);
void from_json(const JsonFields& in, RunReport& report);

// The whole report from its JSON; ReportError names the key path of what does not fit.
RunReport run_report_from_json(const nlohmann::json& json);

}  // namespace gptbench::report
