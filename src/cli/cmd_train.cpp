// gptbench train: placeholder until its module lands.
#include "command.h"                // register_train_command
#include "gptbench/util/error.h"    // gptbench::Error

namespace gptbench::cli {

void register_train_command(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("train", "Train or fine-tune a model (not implemented yet)");
  cmd->callback([] { throw Error("gptbench train is not implemented yet"); });
}

}  // namespace gptbench::cli
