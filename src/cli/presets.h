// --preset FILE: a JSON object of flag values (keys are flag names without the dashes, e.g.
// {"variant": "flash+sparse", "window": 256}) expanded in place into command-line flags. Flags
// written after it on the command line override it (every option takes its last value).
#pragma once

#include <CLI/CLI.hpp>  // CLI::App

#include <string>  // std::string
#include <vector>  // std::vector

namespace gptbench::cli {

// argv without the program name, with every "--preset FILE" replaced by the flags it holds.
// Throws UsageError naming the file for unreadable files, bad JSON and non-scalar values.
std::vector<std::string> expand_presets(int argc, char** argv);

// Lists --preset FILE in the command's --help (expand_presets consumes the flag before parsing).
void add_preset_option(CLI::App* cmd);

}  // namespace gptbench::cli
