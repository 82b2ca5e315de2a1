// gptbench variants: every attention variant name and what it computes.
#include <fmt/format.h>  // fmt::print

#include "command.h"                     // register_variants_command
#include "gptbench/attention/variant.h"  // list_variants

namespace gptbench::cli {

void register_variants_command(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("variants", "List the attention variants (--variant names)");
  cmd->callback([] {
    for (const auto& v : attention::list_variants()) fmt::print("{:<28} {}\n", v.name, v.description);
    fmt::print("\nA modifier alone (alibi, sparse) runs on the standard kernel. --window W (default {}) and\n"
               "--global-tokens G apply to sparse variants only.\n",
               attention::kDefaultWindow);
  });
}

}  // namespace gptbench::cli
