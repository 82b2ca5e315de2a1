// gptbench compare: placeholder until its module lands.
#include "command.h"                // register_compare_command
#include "gptbench/util/error.h"    // gptbench::Error

namespace gptbench::cli {

void register_compare_command(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("compare", "Compare two reports or sweeps against thresholds (not implemented yet)");
  cmd->callback([] { throw Error("gptbench compare is not implemented yet"); });
}

}  // namespace gptbench::cli
