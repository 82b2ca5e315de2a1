// Matching BASE and NEW (run reports or sweep cells) and collecting verdicts and failures.
#include "gptbench/compare/comparison.h"  // this file's declarations

#include <fmt/format.h>  // fmt::format

#include <algorithm>  // std::find

#include "gptbench/compare/device_model.h"    // device_model
#include "gptbench/compare/report_metrics.h"  // compare_report_metrics, LabeledReport
#include "gptbench/util/error.h"              // UsageError

namespace gptbench::compare {
namespace {

using nlohmann::json;

std::string error_message(const report::RunReport& report) { return report.error.value_or("no message"); }

void add_note(std::vector<std::string>& notes, const std::string& note) {
  if (std::find(notes.begin(), notes.end(), note) == notes.end()) notes.push_back(note);
}

void record_config_differences(const report::RunReport& base, const report::RunReport& current, Comparison& out) {
  for (const ConfigDifference& d : config_differences(base, current)) {
    auto same = [&](const SeenDifference& s) {
      return s.difference.key == d.key && s.difference.base == d.base && s.difference.current == d.current;
    };
    auto it = std::find_if(out.config_differences.begin(), out.config_differences.end(), same);
    if (it == out.config_differences.end()) it = out.config_differences.insert(out.config_differences.end(), {d, 0});
    ++it->cells;
  }
  for (const ConfigDifference& d : environment_differences(base, current)) {
    add_note(out.notes, "differs, not part of the experiment: " + to_string(d));
  }
}

// The device models of both sides: a difference is counted (it refuses unless allowed); one that a
// side does not record is a note.
void record_device_difference(const LabeledReport& base, const LabeledReport& current, Comparison& out) {
  const std::optional<std::string> b = device_model(base.report), c = device_model(current.report);
  if (!b || !c) {
    add_note(out.notes, fmt::format("device model not checked: {} records none (env.gpu, env.device)",
                                    !b ? base.where : current.where));
    return;
  }
  if (*b == *c) return;
  auto same = [&](const DeviceDifference& d) { return d.base == *b && d.current == *c; };
  auto it = std::find_if(out.device_differences.begin(), out.device_differences.end(), same);
  if (it == out.device_differences.end()) it = out.device_differences.insert(out.device_differences.end(), {*b, *c, 0});
  ++it->cells;
}

// Both sides ran: device and config differences, then the metrics and their failures.
CellComparison compare_reports(const std::string& label, const LabeledReport& base, const LabeledReport& current,
                               Comparison& out) {
  CellComparison cell;
  cell.label = label;
  record_device_difference(base, current, out);
  record_config_differences(base.report, current.report, out);
  cell.metrics = compare_report_metrics(base, current, out.thresholds, cell.notes);
  for (const MetricComparison& m : cell.metrics) {
    if (m.verdict != Verdict::kRegressed) continue;
    out.failures.push_back(fmt::format("{}: {} regressed, {} -> {} ({})", label, display_name(m),
                                       display_value(m, m.base), display_value(m, m.current), display_change(m)));
  }
  return cell;
}

CellComparison not_compared(const std::string& label, CellOutcome outcome, std::string message) {
  CellComparison cell;
  cell.label = label;
  cell.outcome = outcome;
  cell.message = std::move(message);
  return cell;
}

void compare_runs(const CompareInput& base, const CompareInput& current, Comparison& out) {
  if (base.report.status != "ok")
    throw UsageError(fmt::format("{}: the BASE run failed (\"status\": \"{}\": {}): nothing to compare against",
                                 base.path, base.report.status, error_message(base.report)));
  if (current.report.status != "ok") {
    const std::string message = fmt::format("the NEW run failed ({}: {})", current.path, error_message(current.report));
    out.failures.push_back("run: " + message);
    out.cells.push_back(not_compared("run", CellOutcome::kNewFailed, message));
    return;
  }
  out.cells.push_back(compare_reports("run", {base.report, base.path}, {current.report, current.path}, out));
}

CellComparison compare_cell(const SweepCell& b, const SweepCell* c, Comparison& out) {
  if (b.status != "ok") {
    const std::string now = c == nullptr ? "missing from NEW" : fmt::format("\"{}\" in NEW", c->status);
    return not_compared(b.label, CellOutcome::kBaseNotOk,
                        fmt::format("not compared: \"{}\" in BASE ({}), {}", b.status, b.message, now));
  }
  if (c == nullptr) {
    out.failures.push_back(fmt::format("{}: ran in BASE ({}) but is missing from NEW", b.label, b.where));
    return not_compared(b.label, CellOutcome::kOnlyInBase, "missing from NEW");
  }
  if (c->status == "error") {
    const std::string message = fmt::format("the NEW run failed ({}: {})", c->where, c->message);
    out.failures.push_back(b.label + ": " + message);
    return not_compared(b.label, CellOutcome::kNewFailed, message);
  }
  if (c->status == "skipped") {
    const std::string message = fmt::format("ran in BASE but is skipped in NEW ({}: {})", c->where, c->message);
    out.failures.push_back(b.label + ": " + message);
    return not_compared(b.label, CellOutcome::kNewSkipped, message);
  }
  CellComparison cell = compare_reports(b.label, {*b.report, b.where}, {*c->report, c->where}, out);
  cell.cell = b.cell;
  return cell;
}

void compare_sweeps(const CompareInput& base, const CompareInput& current, Comparison& out) {
  for (const SweepCell& b : base.cells) out.cells.push_back(compare_cell(b, find_cell(current, b.match_key), out));
  for (const SweepCell& c : current.cells) {
    if (find_cell(base, c.match_key) != nullptr) continue;
    CellComparison cell = not_compared(c.label, CellOutcome::kOnlyInNew, fmt::format("only in NEW (\"{}\")", c.status));
    cell.cell = c.cell;
    out.cells.push_back(std::move(cell));
  }
}

}  // namespace

std::string outcome_name(CellOutcome outcome) {
  switch (outcome) {
    case CellOutcome::kCompared: return "compared";
    case CellOutcome::kBaseNotOk: return "base-not-ok";
    case CellOutcome::kNewFailed: return "new-failed";
    case CellOutcome::kNewSkipped: return "new-skipped";
    case CellOutcome::kOnlyInBase: return "only-in-base";
    case CellOutcome::kOnlyInNew: return "only-in-new";
  }
  return "compared";
}

std::string Comparison::verdict() const {
  if (refused()) return "refused";
  return failures.empty() ? "ok" : "regressed";
}

Comparison compare_inputs(const CompareInput& base, const CompareInput& current, const Thresholds& thresholds,
                          ConfigDiffPolicy policy, DeviceDiffPolicy device_policy) {
  if (base.kind != current.kind)
    throw UsageError(fmt::format("BASE {} is a {} but NEW {} is a {}: compare two run reports or two sweeps",
                                 base.path, input_kind_name(base.kind), current.path, input_kind_name(current.kind)));
  Comparison out;
  out.base_path = base.path;
  out.new_path = current.path;
  out.kind = base.kind;
  out.thresholds = thresholds;
  out.policy = policy;
  out.device_policy = device_policy;
  out.notes = base.notes;
  out.notes.insert(out.notes.end(), current.notes.begin(), current.notes.end());
  if (base.kind == InputKind::kRun) {
    compare_runs(base, current, out);
  } else {
    compare_sweeps(base, current, out);
  }
  return out;
}

}  // namespace gptbench::compare
