// The progress flags of the long commands (run, sweep, train, attn-bench), declared once:
// --no-progress and --progress-every S (plain lines when stderr is not a terminal).
#pragma once

#include <CLI/CLI.hpp>  // CLI::App

#include "gptbench/bench/progress.h"  // ProgressOptions

namespace gptbench::cli {

void add_progress_options(CLI::App* cmd, bench::ProgressOptions& options);

}  // namespace gptbench::cli
