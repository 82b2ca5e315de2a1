// gptbench merge: placeholder until its module lands.
#include "command.h"                // register_merge_command
#include "gptbench/util/error.h"    // gptbench::Error

namespace gptbench::cli {

void register_merge_command(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("merge", "Merge sweep shard files (not implemented yet)");
  cmd->callback([] { throw Error("gptbench merge is not implemented yet"); });
}

}  // namespace gptbench::cli
