// The one declaration of the model flags (--model, --variant, --window, --global-tokens, --dtype,
// --device, --data-dir) for every subcommand that loads a model. A subcommand declares the groups
// it takes into a run::ModelSelection and resolves them once, in its callback
// (run::resolve_selection): nothing past the callback parses these strings again.
#pragma once

#include <CLI/CLI.hpp>  // CLI::App

#include "gptbench/run/model_selection.h"  // ModelSelection

namespace gptbench::cli {

enum class ModelFlag { kRequired, kOptional };  // kOptional: train --resume reads the model from --out

// --model
void add_model_dir_option(CLI::App* cmd, run::ModelSelection& selection, ModelFlag need = ModelFlag::kRequired);
// --variant, --window, --global-tokens
void add_variant_options(CLI::App* cmd, run::ModelSelection& selection);
// --dtype
void add_dtype_option(CLI::App* cmd, run::ModelSelection& selection);
// --device
void add_device_option(CLI::App* cmd, run::ModelSelection& selection);
// --data-dir, its default data::default_data_dir()
void add_data_dir_option(CLI::App* cmd, run::ModelSelection& selection);
// --quant, --quant-group, --quant-lm-head (docs/quantization.md)
void add_quant_options(CLI::App* cmd, run::ModelSelection& selection);

// --adapter, --adapter-unmerged (model/lora.h)
void add_adapter_options(CLI::App* cmd, run::ModelSelection& selection);

// --model (required), the variant flags, --dtype, --device, the quant flags and the adapter flags:
// generate, logits, run.
void add_model_options(CLI::App* cmd, run::ModelSelection& selection);

}  // namespace gptbench::cli
