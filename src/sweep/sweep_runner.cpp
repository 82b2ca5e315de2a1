// The sweep loop: plan, resume, run each cell, append its line.
#include "gptbench/sweep/sweep_runner.h"

#include <fmt/format.h>  // fmt::format, fmt::print

#include <chrono>         // std::chrono::steady_clock
#include <cstdlib>        // std::getenv
#include <map>            // std::map
#include <optional>       // std::optional
#include <stdexcept>      // std::runtime_error
#include <unordered_map>  // std::unordered_map
#include <variant>        // std::get
#include <utility>        // std::move

#include "gptbench/bench/device_memory.h"  // release_cached_memory, reset_peak_memory
#include "gptbench/bench/environment.h"    // utc_now_iso8601
#include "gptbench/bench/progress.h"       // ProgressReporter
#include "gptbench/model/model_family.h"   // read_model_config
#include "gptbench/report/run_report.h"    // RunReport, to_json, run_report_from_json
#include "gptbench/run/summarization.h"    // run_summarization, error_report, failure_message
#include "gptbench/sweep/sweep_file.h"     // read_sweep_file, SweepWriter, SweepLock, best_cells
#include "gptbench/util/error.h"           // Error

namespace gptbench::sweep {
namespace {

bool injected_failure(int64_t index) {
  const char* env = std::getenv(kInjectOomEnv);
  return env != nullptr && ("," + std::string(env) + ",").find("," + std::to_string(index) + ",") != std::string::npos;
}

nlohmann::json cell_record(const std::string& id, const Cell& cell) {
  return {{"record", "cell"},   {"definition_id", id}, {"index", cell.index}, {"key", cell_key(cell)},
          {"cell", cell_json(cell)}, {"status", "skipped"}, {"reason", nullptr}, {"error", nullptr},
          {"device", nullptr}, {"elapsed_s", 0.0}, {"report", nullptr}};
}

// One cell, start to finish; never throws for a failure of the run itself.
nlohmann::json run_cell(const SweepSpec& spec, const Cell& cell, c10::Device device, const std::string& id) {
  nlohmann::json record = cell_record(id, cell);
  if (!cell.skip_reason.empty()) {
    record["reason"] = cell.skip_reason;
    record["finished_utc"] = bench::utc_now_iso8601();
    return record;
  }
  const run::RunConfig config = cell_run_config(spec, cell);
  record["device"] = device.str();
  // Nothing of the previous cell stays cached, and this cell's peak is its own.
  bench::release_cached_memory(device);
  bench::reset_peak_memory(device);
  const auto t0 = std::chrono::steady_clock::now();
  try {
    if (injected_failure(cell.index))
      throw std::runtime_error(fmt::format("CUDA out of memory. Tried to allocate 20.00 GiB (injected by {})\nbacktrace",
                                           kInjectOomEnv));
    record["report"] = report::to_json(run::run_summarization(config));
    record["status"] = "ok";
  } catch (const std::exception& e) {
    const std::string message = run::failure_message(e);
    record["status"] = "error";
    record["error"] = message;
    record["report"] = report::to_json(run::error_report(config, message));
  }
  bench::release_cached_memory(device);
  record["elapsed_s"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  record["finished_utc"] = bench::utc_now_iso8601();
  return record;
}

std::string cell_summary(const nlohmann::json& r) {
  const std::string status = r.at("status").get<std::string>();
  if (status == "skipped") return "skipped: " + r.at("reason").get<std::string>();
  if (status == "error") return "error: " + r.at("error").get<std::string>();
  const report::RunReport report = report::run_report_from_json(r.at("report"));
  const report::LatencyInfo& lat = std::get<report::SummarizationResults>(report.results).latency;
  return fmt::format("ok, ttft p50 {:.2f} ms, tpot p50 {:.3f} ms, {:.1f} tokens/s, kernel {} ({:.1f} s)", lat.ttft.p50,
                     lat.tpot.p50, lat.tokens_per_s, report.attention->kernel, r.at("elapsed_s").get<double>());
}

}  // namespace

std::string status_counts(const std::vector<nlohmann::json>& cells) {
  std::map<std::string, int64_t> counts{{"ok", 0}, {"skipped", 0}, {"error", 0}};
  for (const auto& c : cells) ++counts[c.at("status").get<std::string>()];
  return fmt::format("{} cells: {} ok, {} skipped, {} error", cells.size(), counts["ok"], counts["skipped"],
                     counts["error"]);
}

SweepOutcome run_sweep(const SweepSpec& spec, const SweepOptions& options) {
  const c10::Device device = spec.base.model.device;
  const model::ModelShape shape =
      model::read_model_config(std::filesystem::path(spec.base.model.flags.model_dir) / "config.json")->shape();
  const nlohmann::json definition = definition_json(spec);
  const std::string id = definition_id(definition);
  const std::vector<Cell> plan = plan_cells(spec, shape, device);

  std::vector<nlohmann::json> lines;
  std::optional<SweepWriter> writer;
  SweepLock lock = SweepLock::acquire(options.out);  // before the file is read; held by the writer to the end
  if (options.existing == ExistingFile::kResume && file_exists(options.out)) {
    SweepFile file = read_sweep_file(options.out);
    check_definition(file, definition, "use --force-new to start it again, or another --out");
    const Shard had = header_shard(file.header);
    if (had.index != options.shard.index || had.count != options.shard.count)
      throw Error(fmt::format("{}: holds shard {}/{}, this run is shard {}/{}; use another --out", options.out.string(),
                              had.index, had.count, options.shard.index, options.shard.count));
    writer.emplace(SweepWriter::resume(file, std::move(lock)));
    lines = std::move(file.cells);
  } else {
    writer.emplace(SweepWriter::create(options.out, sweep_header(definition, static_cast<int64_t>(plan.size()), options.shard),
                                       std::move(lock)));
  }

  std::unordered_map<std::string, std::string> done;  // key -> status that counts
  for (const auto& line : best_cells(lines)) done[line.at("key").get<std::string>()] = line.at("status").get<std::string>();
  SweepOutcome outcome;
  std::vector<const Cell*> todo;
  for (const Cell& cell : plan) {
    if (!options.shard.holds(cell.index)) continue;
    ++outcome.planned;
    const auto it = done.find(cell_key(cell));
    if (it != done.end() && (it->second != "error" || options.failed == FailedCells::kKeep)) {
      ++outcome.already_done;
      continue;
    }
    todo.push_back(&cell);
  }
  bench::ProgressReporter progress("sweep " + device.str(), "cells", options.progress);
  if (outcome.already_done > 0)
    progress.announce(fmt::format("{}: {} of {} cells already done, {} to run", options.out.string(),
                                  outcome.already_done, outcome.planned, todo.size()));
  progress.start(static_cast<int64_t>(todo.size()));
  for (const Cell* cell : todo) {
    const nlohmann::json record = run_cell(spec, *cell, device, id);
    writer->append(record);
    lines.push_back(record);
    ++outcome.ran;
    progress.announce(fmt::format("{}/{} {}: {}", outcome.ran, todo.size(), cell_key(*cell), cell_summary(record)));
    progress.update(outcome.ran);
  }
  outcome.cells = best_cells(lines);
  return outcome;
}

}  // namespace gptbench::sweep
