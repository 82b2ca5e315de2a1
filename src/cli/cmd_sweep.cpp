// gptbench sweep: the cross product of axis lists, one `run` per cell, resumable JSONL output,
// shards and one worker per device; markdown and CSV summaries (docs/sweep.md).
#include <fmt/format.h>  // fmt::print

#include <map>       // std::map
#include <memory>    // std::make_shared
#include <optional>  // std::optional

#include "command.h"                          // register_sweep_command
#include "progress_options.h"                 // add_progress_options
#include "gptbench/io/atomic_file.h"          // write_file_atomic
#include "gptbench/io/output_path.h"          // check_output_path
#include "gptbench/sweep/sweep_plan.h"        // parse_shard
#include "gptbench/sweep/sweep_runner.h"      // run_sweep, status_counts
#include "gptbench/sweep/sweep_spec.h"        // sweep_settings, read_sweep_config, build_spec
#include "gptbench/sweep/sweep_summary.h"     // summary_markdown, summary_csv, default_summary_path
#include "gptbench/sweep/sweep_workers.h"     // parse_devices, run_parallel_sweep
#include "gptbench/util/error.h"              // Error, UsageError

namespace gptbench::cli {
namespace {

struct SweepFlags {
  std::map<std::string, std::optional<std::string>> settings;  // sweep_settings() key -> flag value
  std::string config, out, shard, devices, summary_md, summary_csv;
  bool retry_failed = false, force_new = false, no_summary = false, quiet = false;
  bench::ProgressOptions progress;
};

void write_summaries(const SweepFlags& f, const std::vector<nlohmann::json>& cells) {
  if (f.no_summary) return;
  const auto md = f.summary_md.empty() ? sweep::default_summary_path(f.out, ".md") : std::filesystem::path(f.summary_md);
  const auto csv = f.summary_csv.empty() ? sweep::default_summary_path(f.out, ".csv") : std::filesystem::path(f.summary_csv);
  io::write_file_atomic(md, sweep::summary_markdown(cells));
  io::write_file_atomic(csv, sweep::summary_csv(cells));
  fmt::print("summary: {} and {}\n", md.string(), csv.string());
}

void run(const SweepFlags& f) {
  sweep::SweepSettings settings = f.config.empty() ? sweep::SweepSettings{} : sweep::read_sweep_config(f.config);
  for (const auto& [key, value] : f.settings)
    if (value) settings[key] = {*value, "--" + key};  // flags override the file
  std::vector<std::string> devices;
  if (!f.devices.empty()) {
    if (!f.shard.empty()) throw UsageError("--devices and --shard: the workers of --devices take the shards");
    if (f.settings.at("device")) throw UsageError("--devices and --device: give one of them");
    devices = sweep::parse_devices("--devices", f.devices);
    settings["device"] = {devices.front(), "--devices"};
  }
  const sweep::SweepSpec spec = sweep::build_spec(settings);
  const auto failed = f.retry_failed ? sweep::FailedCells::kRetry : sweep::FailedCells::kKeep;
  const auto existing = f.force_new ? sweep::ExistingFile::kReplace : sweep::ExistingFile::kResume;
  if (!devices.empty()) {
    const sweep::ParallelOutcome outcome = sweep::run_parallel_sweep(spec, {f.out, devices, failed, existing});
    fmt::print("{}: {} of {} from {} workers{}\n", f.out, sweep::status_counts(outcome.merged.cells),
               outcome.merged.header.at("n_cells").get<int64_t>(), devices.size(),
               outcome.merged.missing.empty() ? "" : fmt::format(", {} missing", outcome.merged.missing.size()));
    write_summaries(f, outcome.merged.cells);
    if (!outcome.worker_failures.empty())
      throw Error(fmt::format("{} (its messages are above); the cells that finished are in {}; rerun to resume",
                              outcome.worker_failures.front(), f.out));
    return;
  }
  sweep::SweepOptions options;
  options.out = f.out;
  if (!f.shard.empty()) options.shard = sweep::parse_shard("--shard", f.shard);
  options.failed = failed;
  options.existing = existing;
  options.progress = f.progress;
  options.progress.enabled = f.progress.enabled && !f.quiet;
  const sweep::SweepOutcome outcome = sweep::run_sweep(spec, options);
  fmt::print("{}: {} (shard {}/{}; {} run now, {} already done)\n", f.out, sweep::status_counts(outcome.cells),
             options.shard.index, options.shard.count, outcome.ran, outcome.already_done);
  write_summaries(f, outcome.cells);
}

}  // namespace

void register_sweep_command(CLI::App& app) {
  auto f = std::make_shared<SweepFlags>();
  CLI::App* cmd = app.add_subcommand(
      "sweep", "Benchmark the cross product of variants, batch sizes, prompt lengths, new tokens, dtypes and windows");
  cmd->add_option("--config", f->config, "JSON file of sweep settings (configs/sweeps/); flags override it");
  for (const auto& s : sweep::sweep_settings()) {
    auto& value = f->settings[s.key];
    std::string names = std::string("--") + s.key;
    if (*s.alias != '\0') names += std::string(",--") + s.alias;
    cmd->add_option(names, value, s.help);
  }
  cmd->add_option("--out", f->out, "the JSONL file: one line per cell, appended as cells finish; rerun to resume")
      ->required();
  cmd->add_option("--shard", f->shard, "K/N: run only the cells whose index % N == K (counted from 0)");
  cmd->add_option("--devices", f->devices, "one worker process per device, e.g. 0,1,2,3 (= cuda:0..3) or cpu,cpu");
  cmd->add_flag("--retry-failed", f->retry_failed, "run again the cells recorded with status error");
  cmd->add_flag("--force-new", f->force_new, "start the --out file again, dropping what it holds");
  cmd->add_option("--summary-md", f->summary_md, "markdown table (default: --out with .md)");
  cmd->add_option("--summary-csv", f->summary_csv, "CSV table (default: --out with .csv)");
  cmd->add_flag("--no-summary", f->no_summary, "write no markdown or CSV summary");
  cmd->add_flag("--quiet", f->quiet, "no progress lines on stderr");
  add_progress_options(cmd, f->progress);
  cmd->callback([f] {
    io::check_output_path(f->out, "--out", {f->config});
    io::check_output_path(f->summary_md, "--summary-md", {f->config, f->out});
    io::check_output_path(f->summary_csv, "--summary-csv", {f->config, f->out});
    run(*f);
  });
}

}  // namespace gptbench::cli
