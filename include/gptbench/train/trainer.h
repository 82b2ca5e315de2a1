// `gptbench train`: causal-LM training of a GPT-2 checkpoint under any attention variant, with
// AdamW, warm-up + cosine schedule, clipping, accumulation, autocast, evaluation, Hugging Face
// checkpoints and exact resume. Report schema: docs/train.md.
#pragma once

#include <string>  // std::string

#include "gptbench/report/train_report.h"  // TrainReport
#include "gptbench/train/train_config.h"    // TrainConfig

namespace gptbench::train {

// Runs the training and returns the report ("status": "ok"); throws Error/UsageError on failure.
report::TrainReport run_training(const TrainConfig& config);

// A report for a failed run: header, config, "status": "error" and the one-line message.
report::TrainReport train_error_report(const TrainConfig& config, const std::string& message);

}  // namespace gptbench::train
