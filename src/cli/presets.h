// --preset FILE: a JSON object of flag values (keys are flag names without the dashes, e.g.
// {"variant": "flash+sparse", "window": 256}) expanded in place into command-line flags. Flags
// written after it on the command line override it (every option takes its last value).
#pragma once

#include <string>  // std::string
#include <vector>  // std::vector

namespace gptbench::cli {

// argv without the program name, with every "--preset FILE" replaced by the flags it holds.
// Throws UsageError naming the file for unreadable files, bad JSON and non-scalar values.
std::vector<std::string> expand_presets(int argc, char** argv);

}  // namespace gptbench::cli
