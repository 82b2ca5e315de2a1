// What every report (run, train) starts with: its schema version, the tool that wrote it, the
// environment and the configuration echo.
#pragma once

#include <nlohmann/json.hpp>  // nlohmann::json

#include <optional>  // std::optional
#include <string>    // std::string

#include "gptbench/report/json_fields.h"  // JsonFields

namespace gptbench::report {

// `schema_version` (major) changes on an incompatible change and a reader refuses another major;
// `schema_minor` counts compatible additions (absent = 0: reports written before it existed).
struct SchemaVersion {
  int major = 1;
  int minor = 0;
};

// Minor 1: one attention block for run, perplexity and train (fields that do not apply are null).
// Minor 2: the model block names the family (model.family) and the key/value heads (model.n_kv_head).
// Minor 3: the model block names the tokenizer kind (model.tokenizer: "gpt2-bpe" or "sentencepiece");
// (run) env names the CPU, OS, kernel, RAM and NVIDIA driver (env.nvml says why not), and a
// summarization report has a gpu_telemetry block (energy, power, clocks, throttling while timing).
// Minor 4: an adapter block (--adapter: the LoRA adapter loaded, merged or not) in run and perplexity reports.
// Minor 5: p90/p99 null below 10/100 samples, latency.stopping (the stopping rule), config.flash_arch.
inline constexpr SchemaVersion kRunSchemaVersion{1, 5};
// Train minor 3: training.mode, model.frozen_parameters, evaluations' val_kl and the distill block.
// Train minor 4: the lora block (--lora-rank: rank, alpha, dropout, targets, sites, adapter bytes and folder,
// base and its quantization) and training.mode "lora" / "lora+distill".
// Train minor 5: config.flash_arch; p90/p99 of step_ms null below 10/100 steps.
// Train minor 6: lora.base_dtype (the dtype the frozen projections are held in).
inline constexpr SchemaVersion kTrainSchemaVersion{1, 6};

struct ToolInfo {
  std::string name, version, git_sha;  // git_sha ends in "-dirty" for a build of uncommitted changes
};

// env and config stay JSON: env's keys depend on the device (CUDA adds the GPU's), and config is
// exactly RunConfig's / TrainConfig's to_json (+ device_resolved), owned by run/ and train/.
struct ReportHeader {
  explicit ReportHeader(SchemaVersion version = {}) : schema(version) {}
  SchemaVersion schema;
  ToolInfo tool;
  nlohmann::json env = nlohmann::json::object();
  nlohmann::json config = nlohmann::json::object();
};

nlohmann::json to_json(const ToolInfo& tool);
void from_json(const JsonFields& in, ToolInfo& tool);

// Writes schema_version, schema_minor (from minor 1 on), tool, env, config into `report`.
void write_header(const ReportHeader& header, nlohmann::json& report);
// Throws ReportError when schema_version is not `expected_major`.
void from_json(const JsonFields& in, ReportHeader& header, int expected_major);

// Every report's outcome: status ("ok" | "error") and error (null unless status is "error").
void write_outcome(const std::string& status, const std::optional<std::string>& error, nlohmann::json& report);
// Throws ReportError for another status.
void read_outcome(const JsonFields& in, std::string& status, std::optional<std::string>& error);

}  // namespace gptbench::report
