// The subcommand registry of the gptbench binary. Each subcommand lives in its own
// cmd_<name>.cpp, defines one register_<name>_command(CLI::App&) that adds a
// subcommand whose callback does the work, and is listed once in main.cpp.
// No logic lives in the CLI beyond parsing and calling into the library.
#pragma once

#include <CLI/CLI.hpp>  // CLI::App

namespace gptbench::cli {

void register_init_command(CLI::App& app);
void register_info_command(CLI::App& app);
void register_generate_command(CLI::App& app);
void register_logits_command(CLI::App& app);
void register_score_command(CLI::App& app);
void register_variants_command(CLI::App& app);
void register_run_command(CLI::App& app);
void register_attn_bench_command(CLI::App& app);
void register_sweep_command(CLI::App& app);
void register_merge_command(CLI::App& app);
void register_compare_command(CLI::App& app);
void register_report_command(CLI::App& app);
void register_train_command(CLI::App& app);
void register_quantize_command(CLI::App& app);

}  // namespace gptbench::cli
