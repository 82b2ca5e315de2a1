// Entry point: parses the command line, runs the chosen subcommand and maps
// errors to exit codes (2 usage, 1 runtime), always as one line on stderr.
#include <CLI/CLI.hpp>  // CLI::App, CLI::ParseError
#include <fmt/format.h>  // fmt::print

#include <cstdio>     // stderr
#include <algorithm>  // std::reverse
#include <exception>  // std::exception
#include <new>        // std::bad_alloc
#include <string>     // std::string

#include "command.h"                // register_*_command
#include "command_line.h"           // record_command_line
#include "integer_flags.h"          // check_integer_flags
#include "presets.h"                // expand_presets, add_preset_option
#include "gptbench/util/error.h"    // gptbench::Error, UsageError, exit codes
#include "gptbench/version.h"       // kVersion, kGitSha

namespace {

// The subcommand being run, for messages that would otherwise name nothing.
std::string command_name(CLI::App& app) {
  for (const CLI::App* sub : app.get_subcommands()) return "gptbench " + sub->get_name();
  return "gptbench";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"gptbench: benchmark GPT-2 attention variants (LibTorch + CUDA)"};
  app.require_subcommand(1);
  // A flag given twice takes its last value, so command-line flags override a --preset file.
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.set_version_flag("--version", std::string(gptbench::kVersion) + " (" + gptbench::kGitSha + ")");
  gptbench::cli::register_init_command(app);
  gptbench::cli::register_info_command(app);
  gptbench::cli::register_generate_command(app);
  gptbench::cli::register_logits_command(app);
  gptbench::cli::register_score_command(app);
  gptbench::cli::register_variants_command(app);
  gptbench::cli::register_run_command(app);
  gptbench::cli::register_attn_bench_command(app);
  gptbench::cli::register_sweep_command(app);
  gptbench::cli::register_merge_command(app);
  gptbench::cli::register_compare_command(app);
  gptbench::cli::register_report_command(app);
  gptbench::cli::register_train_command(app);
  gptbench::cli::register_quantize_command(app);
  gptbench::cli::check_integer_flags(app);
  for (CLI::App* sub : app.get_subcommands({})) gptbench::cli::add_preset_option(sub);
  gptbench::cli::record_command_line(argc, argv);
  try {
    std::vector<std::string> args = gptbench::cli::expand_presets(argc, argv);
    if (!args.empty() && args[0][0] != '-') {
      std::string names;
      bool known = false;
      for (const CLI::App* sub : app.get_subcommands({})) {
        names += (names.empty() ? "" : ", ") + sub->get_name();
        known = known || sub->get_name() == args[0];
      }
      if (!known) throw gptbench::UsageError(fmt::format("unknown command \"{}\" (commands: {})", args[0], names));
    }
    std::reverse(args.begin(), args.end());  // CLI11 parses a vector from its back
    app.parse(args);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // CLI11 runs subcommand callbacks inside parse(); their errors are handled below.
    fmt::print(stderr, "gptbench: usage error: {}\n", e.what());
    return gptbench::kExitUsageError;
  } catch (const gptbench::UsageError& e) {
    fmt::print(stderr, "gptbench: usage error: {}\n", e.what());
    return gptbench::kExitUsageError;
  } catch (const gptbench::Error& e) {
    fmt::print(stderr, "gptbench: error: {}\n", e.what());
    return gptbench::kExitRuntimeError;
  } catch (const std::bad_alloc&) {
    // Names the command at least: a bare "std::bad_alloc" tells the user nothing.
    fmt::print(stderr, "gptbench: error: {}: out of memory (a size in the input files or flags is more than this "
                       "machine holds)\n", command_name(app));
    return gptbench::kExitRuntimeError;
  } catch (const std::exception& e) {
    // c10::Error messages carry a C++ backtrace; keep only the first line.
    std::string msg = e.what();
    if (auto nl = msg.find('\n'); nl != std::string::npos) msg.resize(nl);
    fmt::print(stderr, "gptbench: error: {}\n", msg);
    return gptbench::kExitRuntimeError;
  }
  return gptbench::kExitOk;
}
