// gptbench sweep: placeholder until its module lands.
#include "command.h"                // register_sweep_command
#include "gptbench/util/error.h"    // gptbench::Error

namespace gptbench::cli {

void register_sweep_command(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("sweep", "Run a grid of benchmark cells (not implemented yet)");
  cmd->callback([] { throw Error("gptbench sweep is not implemented yet"); });
}

}  // namespace gptbench::cli
