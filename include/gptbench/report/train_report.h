// The report of `gptbench train` (docs/train.md): the common header and attention block, then
// the model trained, training progress, throughput, MFU, memory and the checkpoint written.
// dataset and profile stay JSON: the dataset block's keys depend on the dataset kind (text
// chunks or summarization examples, train_data's description), and profile is
// bench::to_json(ProfileSummary) plus the profiled steps.
#pragma once

#include <nlohmann/json.hpp>  // nlohmann::json

#include <cstdint>   // int64_t
#include <optional>  // std::optional
#include <string>    // std::string
#include <vector>    // std::vector

#include "gptbench/report/attention_info.h"  // AttentionInfo
#include "gptbench/report/json_fields.h"     // JsonFields
#include "gptbench/report/memory_info.h"     // MemoryInfo
#include "gptbench/report/model_info.h"      // ModelInfo
#include "gptbench/report/quality_scores.h"  // QualityScores
#include "gptbench/report/report_header.h"   // ReportHeader, kTrainSchemaVersion
#include "gptbench/report/summary.h"         // Summary

namespace gptbench::report {

struct TrainModelInfo {
  ModelInfo shape;
  int64_t trained_parameters = 0, weight_decayed_parameters = 0;
  std::optional<int64_t> frozen_parameters;  // absent in reports of schema_minor < 3
  std::string started_from;
};

struct Evaluation {
  int64_t step = 0;  // as numbered in the loss curve
  double val_loss = 0;
  std::optional<double> val_kl;  // distillation: mean KL(teacher || student) per counted target, at T
};

struct TrainingInfo {
  int64_t first_step = 0, last_step = 0, total_steps = 0, examples_consumed = 0;
  double epochs = 0, final_train_loss = 0;
  std::vector<Evaluation> evaluations;
  std::string loss_curve, precision, loss_impl;
  bool tf32 = false;
  std::optional<bool> deterministic;  // absent only in reports older than --deterministic
  std::string optimizer;
  std::optional<double> loss_scale;  // fp16 only
  std::optional<std::string> mode;   // "full" | "distill" | "lora" | "lora+distill" (schema_minor >= 3)
};

// --distill-from: the teacher and the objective (docs/train.md, Distillation).
struct DistillInfo {
  std::string teacher, variant, kernel;  // the checkpoint folder, its variant, its forward kernel
  double temperature = 0, alpha = 0;
  std::string objective;
  std::optional<double> final_kl, final_cross_entropy;  // of the last step, per counted target
};

// --lora-rank: the adapters trained and where they are (docs/train.md, LoRA).
struct LoraInfo {
  int64_t rank = 0;
  double alpha = 0, dropout = 0;
  std::string targets;        // PEFT's target_modules as saved, comma-joined
  int64_t sites = 0;          // adapted modules (one per HF module)
  int64_t parameters = 0;     // elements of every A and B (= model.trained_parameters)
  int64_t adapter_bytes = 0;  // adapter_model.safetensors (fp32)
  std::string adapter_dir;    // <--out>/adapter
  std::string base;           // the frozen base checkpoint (--model)
  std::optional<std::string> base_quant;  // QLoRA: the base's --quant format; null: dense
  // The dtype the frozen projections are held in: the compute dtype ("bf16", "fp16", "fp32");
  // embeddings, norms and the lm_head keep fp32 (schema minor 6; absent before).
  std::optional<std::string> base_dtype;
};

struct ThroughputInfo {
  Summary step_ms;
  int64_t timed_steps = 0, skipped_steps = 0;
  double tokens_per_s = 0, samples_per_s = 0, mean_sequence_tokens = 0;
  std::string tokens_counted;
};

struct MfuInfo {
  std::string formula;
  double flops_per_token = 0, model_flops_per_s = 0;
  std::optional<double> peak_flops_per_s;  // null: unknown device and no --peak-tflops
  std::string peak_source;
  std::optional<double> mfu;
};

struct CheckpointInfo {
  std::string dir;
  int64_t step = 0;
};

// --eval-rouge N: `gptbench run`'s quality on N validation samples of the saved checkpoint.
struct RougeEval {
  std::string split;
  int64_t n_samples = 0;
  std::optional<QualityScores> quality;
};

struct TrainResults {
  AttentionInfo attention;
  TrainModelInfo model;
  nlohmann::json dataset = nlohmann::json::object();
  TrainingInfo training;
  ThroughputInfo throughput;
  MfuInfo mfu;
  MemoryInfo memory;
  CheckpointInfo checkpoint;
  nlohmann::json profile;  // null without --profile
  std::optional<RougeEval> rouge_eval;
  std::optional<DistillInfo> distill;  // --distill-from only
  std::optional<LoraInfo> lora;        // --lora-rank only (schema minor 4)
};

struct TrainReport {
  ReportHeader header{kTrainSchemaVersion};
  std::optional<TrainResults> results;  // absent in an error report
  std::string status = "ok";
  std::optional<std::string> error;
};

nlohmann::json to_json(const TrainReport& report);
void from_json(const JsonFields& in, TrainReport& report);

// The whole report from its JSON; ReportError names the key path of what does not fit.
TrainReport train_report_from_json(const nlohmann::json& json);

}  // namespace gptbench::report
