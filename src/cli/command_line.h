// The command line as the user typed it (argv[0] included, before --preset expansion), recorded
// once by main and echoed into the reports' config.argv.
#pragma once

#include <string>  // std::string
#include <vector>  // std::vector

namespace gptbench::cli {

void record_command_line(int argc, char** argv);
const std::vector<std::string>& command_line();  // empty before record_command_line

}  // namespace gptbench::cli
