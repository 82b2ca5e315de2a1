// The recorded command line.
#include "command_line.h"  // this file's declarations

namespace gptbench::cli {
namespace {

std::vector<std::string>& recorded() {
  static std::vector<std::string> args;
  return args;
}

}  // namespace

void record_command_line(int argc, char** argv) { recorded().assign(argv, argv + argc); }

const std::vector<std::string>& command_line() { return recorded(); }

}  // namespace gptbench::cli
