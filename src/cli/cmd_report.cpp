// gptbench report A.json B.json ...: run reports side by side (variant, quality, TTFT, TPOT,
// tokens/s, peak memory, kernel), with ratios against the first, as markdown or CSV on stdout or in
// a file. Any configs may be compared; nothing is judged (for a pass/fail gate: gptbench compare).
#include <fmt/format.h>  // fmt::format, fmt::print

#include <memory>  // std::make_shared
#include <string>  // std::string
#include <vector>  // std::vector

#include "command.h"                          // register_report_command
#include "gptbench/compare/report_table.h"    // load_run_report, make_report_table, format_report_*
#include "gptbench/io/atomic_file.h"          // write_file_atomic
#include "gptbench/io/output_path.h"          // check_output_path

namespace gptbench::cli {
namespace {

struct ReportFlags {
  std::vector<std::string> reports;
  std::string format = "md", out;
};

void run_report(const ReportFlags& f) {
  std::vector<compare::NamedReport> reports;
  for (const std::string& path : f.reports) reports.push_back(compare::load_run_report(path));
  const compare::ReportTable table = compare::make_report_table(reports);
  const std::string text = f.format == "csv" ? compare::format_report_csv(table) : compare::format_report_markdown(table);
  if (f.out.empty()) {
    fmt::print("{}", text);
    return;
  }
  io::write_file_atomic(f.out, text);
  fmt::print(stderr, "wrote {}\n", f.out);
}

}  // namespace

void register_report_command(CLI::App& app) {
  auto f = std::make_shared<ReportFlags>();
  CLI::App* cmd = app.add_subcommand(
      "report", "Run reports side by side (quality, TTFT, TPOT, tokens/s, memory, kernel) with ratios against the first");
  cmd->add_option("reports", f->reports, "run reports (gptbench run --out), the first is the reference")->required();
  cmd->add_option("--format", f->format, "md (a markdown table) or csv")
      ->check(CLI::IsMember({"md", "csv"}))
      ->capture_default_str();
  cmd->add_option("--out", f->out, "write the table to this file (atomically) instead of stdout");
  cmd->callback([f] {
    io::check_output_path(f->out, "--out", {f->reports.begin(), f->reports.end()});
    run_report(*f);
  });
}

}  // namespace gptbench::cli
