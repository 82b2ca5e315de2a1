// Standalone driver for `attn-bench` (the same CLI code the gptbench binary registers), so
// the kernel work can be benchmarked before and independently of the main binary's wiring.
#include <CLI/CLI.hpp>  // CLI::App, CLI::ParseError
#include <fmt/format.h>  // fmt::print

#include <cstdio>     // stderr
#include <exception>  // std::exception
#include <string>     // std::string

#include "gptbench/util/error.h"  // Error, UsageError, exit codes

namespace gptbench::cli {
void register_attn_bench_command(CLI::App& app);  // src/cli/cmd_attn_bench.cpp
}

int main(int argc, char** argv) {
  CLI::App app{"attn-bench (standalone lab driver)"};
  app.require_subcommand(1);
  gptbench::cli::register_attn_bench_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const gptbench::UsageError& e) {
    fmt::print(stderr, "attn-bench: usage error: {}\n", e.what());
    return gptbench::kExitUsageError;
  } catch (const std::exception& e) {
    std::string msg = e.what();
    if (auto nl = msg.find('\n'); nl != std::string::npos) msg.resize(nl);
    fmt::print(stderr, "attn-bench: error: {}\n", msg);
    return gptbench::kExitRuntimeError;
  }
  return gptbench::kExitOk;
}
