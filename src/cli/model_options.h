// Flags shared by every subcommand that loads a model: --model, --dtype, --device, --variant,
// --window, --global-tokens, and the one function that turns them into a loaded model.
#pragma once

#include <CLI/CLI.hpp>  // CLI::App

#include <optional>  // std::optional
#include <string>    // std::string

#include "gptbench/attention/attention.h"  // AttentionSpec
#include "gptbench/model/checkpoint.h"     // LoadedModel

namespace gptbench::cli {

struct ModelOptions {
  std::string model_dir;
  std::string dtype = "fp32";
  std::string device = "auto";
  std::string variant = "standard";
  std::optional<int64_t> window;
  std::optional<int64_t> global_tokens;
};

void add_model_options(CLI::App* cmd, ModelOptions& options);

struct ResolvedModel {
  model::LoadedModel loaded;
  attention::AttentionSpec spec;
  c10::Device device{c10::kCPU};
  c10::ScalarType dtype = at::kFloat;
};
// Parses the flags (UsageError on bad values), then loads the checkpoint.
ResolvedModel load_model_from_options(const ModelOptions& options);

}  // namespace gptbench::cli
