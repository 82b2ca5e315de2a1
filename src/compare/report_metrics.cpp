// Reading the compared metrics out of two run reports (which ones: report_metrics.h).
#include "gptbench/compare/report_metrics.h"  // this file's declarations

#include <fmt/format.h>  // fmt::format

#include <variant>  // std::get_if

namespace gptbench::compare {
namespace {

const report::SummarizationResults* summarization(const LabeledReport& side) {
  return std::get_if<report::SummarizationResults>(&side.report.results);
}

const report::MemoryInfo* memory(const LabeledReport& side) {
  if (const auto* s = summarization(side)) return &s->memory;
  if (const auto* p = std::get_if<report::PerplexityResults>(&side.report.results)) return &p->memory;
  return nullptr;
}

// "both reports", or the file of the side where `present` says it is missing.
std::string missing_in(bool base_present, bool current_present, const LabeledReport& base,
                       const LabeledReport& current) {
  if (!base_present && !current_present) return "both reports";
  return !base_present ? base.where : current.where;
}

void add_latencies(const LabeledReport& base, const LabeledReport& current, const Thresholds& t,
                   std::vector<MetricComparison>& rows, std::vector<std::string>& notes) {
  for (const std::string& name : t.latency_metrics) {
    const std::string key = "latency." + name;
    const report::Summary* b = summarization(base) ? report::find_latency(summarization(base)->latency, name) : nullptr;
    const report::Summary* c =
        summarization(current) ? report::find_latency(summarization(current)->latency, name) : nullptr;
    if (b == nullptr || c == nullptr) {
      notes.push_back(fmt::format("{}: not compared, absent in {}", key, missing_in(b, c, base, current)));
      continue;
    }
    if (b->n == 0 || c->n == 0) {
      notes.push_back(fmt::format("{}: not compared, no samples (n = 0) in {}", key,
                                  missing_in(b->n > 0, c->n > 0, base, current)));
      continue;
    }
    rows.push_back(compare_latency(key + ".p50", {b->p50, b->samples}, {c->p50, c->samples}, t));
  }
}

void add_memory(const LabeledReport& base, const LabeledReport& current, const Thresholds& t,
                std::vector<MetricComparison>& rows, std::vector<std::string>& notes) {
  const std::string key = "memory.peak_allocated_bytes";
  const report::MemoryInfo* mb = memory(base);
  const report::MemoryInfo* mc = memory(current);
  const bool b = mb != nullptr && mb->measured, c = mc != nullptr && mc->measured;
  if (!b || !c) {
    notes.push_back(fmt::format("{}: not compared, not measured (a CPU run) in {}", key, missing_in(b, c, base, current)));
    return;
  }
  rows.push_back(compare_memory(key, static_cast<double>(mb->peak_allocated_bytes),
                                static_cast<double>(mc->peak_allocated_bytes), t.max_memory_regression));
}

void add_quality(const LabeledReport& base, const LabeledReport& current, const Thresholds& t,
                 std::vector<MetricComparison>& rows, std::vector<std::string>& notes) {
  if (t.quality_metrics.empty()) return;
  auto scores = [](const LabeledReport& side) -> const report::QualityScores* {
    const auto* s = summarization(side);
    return s != nullptr && s->quality ? &*s->quality : nullptr;
  };
  const report::QualityScores* qb = scores(base);
  const report::QualityScores* qc = scores(current);
  if (qb == nullptr || qc == nullptr) {
    notes.push_back(fmt::format("quality: not compared, none in {} (synthetic prompts, --timing forward or perplexity)",
                                missing_in(qb, qc, base, current)));
    return;
  }
  for (const std::string& name : t.quality_metrics) {
    // BLEU is reported on sacreBLEU's 0-100 scale; every threshold here is on the 0-1 scale.
    if (name == "bleu") {
      rows.push_back(compare_quality("quality.bleu.score/100", qb->bleu.score * 0.01, qc->bleu.score * 0.01,
                                     t.max_quality_drop));
      continue;
    }
    const std::string key = "quality." + name + ".fmeasure";
    const report::RougeScore* vb = report::find_rouge(*qb, name);
    const report::RougeScore* vc = report::find_rouge(*qc, name);
    if (vb == nullptr || vc == nullptr) {
      notes.push_back(fmt::format("{}: not compared, absent in {}", key, missing_in(vb, vc, base, current)));
      continue;
    }
    rows.push_back(compare_quality(key, vb->fmeasure, vc->fmeasure, t.max_quality_drop));
  }
}

// Energy per generated token and mean power over the timed batches (gpu_telemetry): shown, never
// gated. Neither report measured it (CPU runs, reports before schema minor 3): nothing to show.
void add_energy(const LabeledReport& base, const LabeledReport& current, std::vector<MetricComparison>& rows,
                std::vector<std::string>& notes) {
  auto telemetry = [](const LabeledReport& side) -> const report::GpuTelemetry* {
    const auto* s = summarization(side);
    return s != nullptr && s->gpu_telemetry && s->gpu_telemetry->measured ? &*s->gpu_telemetry : nullptr;
  };
  const report::GpuTelemetry* tb = telemetry(base);
  const report::GpuTelemetry* tc = telemetry(current);
  if (tb == nullptr && tc == nullptr) return;
  if (tb == nullptr || tc == nullptr) {
    notes.push_back(fmt::format("gpu_telemetry: energy not compared, not measured in {}", missing_in(tb, tc, base, current)));
    return;
  }
  if (tb->j_per_token && tc->j_per_token)
    rows.push_back(compare_energy("gpu_telemetry.j_per_token", "J/token", *tb->j_per_token, *tc->j_per_token));
  if (tb->mean_power_w && tc->mean_power_w)
    rows.push_back(compare_energy("gpu_telemetry.mean_power_w", "W", *tb->mean_power_w, *tc->mean_power_w));
}

}  // namespace

std::vector<MetricComparison> compare_report_metrics(const LabeledReport& base, const LabeledReport& current,
                                                     const Thresholds& thresholds, std::vector<std::string>& notes) {
  std::vector<MetricComparison> rows;
  add_latencies(base, current, thresholds, rows, notes);
  add_memory(base, current, thresholds, rows, notes);
  add_quality(base, current, thresholds, rows, notes);
  add_energy(base, current, rows, notes);
  return rows;
}

}  // namespace gptbench::compare
