// gptbench merge: shard files of one sweep into one file (atomically), with its summaries.
#include <fmt/format.h>  // fmt::print

#include <cstdio>  // stderr
#include <memory>  // std::make_shared

#include "command.h"                       // register_merge_command
#include "gptbench/io/atomic_file.h"       // write_file_atomic
#include "gptbench/io/output_path.h"       // check_output_path
#include "gptbench/sweep/sweep_file.h"     // write_sweep_file
#include "gptbench/sweep/sweep_merge.h"    // merge_sweep_files
#include "gptbench/sweep/sweep_runner.h"   // status_counts
#include "gptbench/sweep/sweep_summary.h"  // summary_markdown, summary_csv, default_summary_path

namespace gptbench::cli {

void register_merge_command(CLI::App& app) {
  struct Flags {
    std::vector<std::string> inputs;
    std::string out;
    bool no_summary = false;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* cmd = app.add_subcommand("merge", "Merge the shard files of one sweep into one file (cells deduplicated, in index order)");
  cmd->add_option("inputs", f->inputs, "sweep JSONL files of one sweep definition")->required();
  cmd->add_option("--out", f->out, "the merged JSONL (written atomically; may be one of the inputs)")->required();
  cmd->add_flag("--no-summary", f->no_summary, "write no markdown or CSV summary (default: --out with .md and .csv)");
  cmd->callback([f] {
    io::check_output_path(f->out, "--out");  // one of the inputs is allowed: merge reads them all first
    std::vector<std::filesystem::path> inputs(f->inputs.begin(), f->inputs.end());
    const sweep::MergedSweep merged = sweep::merge_sweep_files(inputs);
    sweep::write_sweep_file(f->out, merged.header, merged.cells);
    fmt::print("{}: {} of {} from {} files\n", f->out, sweep::status_counts(merged.cells),
               merged.header.at("n_cells").get<int64_t>(), inputs.size());
    if (!merged.missing.empty())
      fmt::print(stderr, "gptbench: warning: {} cells of the sweep are in no input (first: index {}); run their shards\n",
                 merged.missing.size(), merged.missing.front());
    if (f->no_summary) return;
    io::write_file_atomic(sweep::default_summary_path(f->out, ".md"), sweep::summary_markdown(merged.cells));
    io::write_file_atomic(sweep::default_summary_path(f->out, ".csv"), sweep::summary_csv(merged.cells));
  });
}

}  // namespace gptbench::cli
