// `gptbench train`: causal-LM training of a GPT-2 checkpoint under any attention variant, with
// AdamW, warm-up + cosine schedule, clipping, accumulation, autocast, evaluation, Hugging Face
// checkpoints and exact resume. Report schema: docs/train.md.
#pragma once

#include <nlohmann/json.hpp>  // nlohmann::json

#include "gptbench/train/train_config.h"  // TrainConfig

namespace gptbench::train {

inline constexpr int kTrainSchemaVersion = 1;

// Runs the training and returns the report ("status": "ok"); throws Error/UsageError on failure.
nlohmann::json run_training(const TrainConfig& config);

// A report for a failed run: header, config, "status": "error" and the one-line message.
nlohmann::json train_error_report(const TrainConfig& config, const std::string& message);

}  // namespace gptbench::train
