// The `gptbench run` report (run_report.h).
#include "gptbench/report/run_report.h"  // this file's declarations

#include <variant>  // std::visit, std::holds_alternative, std::monostate

#include "gptbench/report/field_list.h"  // write_fields, read_fields

namespace gptbench::report {

// The results' blocks are top-level keys of the report, beside the header's.
constexpr auto kSummarizationFields = [](auto& io, auto& s) {
  io.if_present("linear", s.linear).if_present("quant", s.quant)("model", s.model)("dataset", s.dataset);
  io("quality", s.quality);
  io("latency", s.latency).if_present("decode", s.decode)("memory", s.memory).object_or_null("profile", s.profile);
  io.if_present("gpu_telemetry", s.gpu_telemetry).if_present("adapter", s.adapter);
};

constexpr auto kPerplexityFields = [](auto& io, auto& p) {
  io("dataset", p.dataset)("quality", p.quality)("latency", p.latency)("memory", p.memory).if_present("quant", p.quant);
  io.if_present("adapter", p.adapter);
};

namespace {

AttentionLayout attention_layout(const RunReport& r) {
  if (r.header.schema.minor >= 1) return AttentionLayout::kUnified;
  return std::holds_alternative<PerplexityResults>(r.results) ? AttentionLayout::kPerplexityV1_0
                                                              : AttentionLayout::kRunV1_0;
}

nlohmann::json results_json(const SummarizationResults& s) { return write_fields(s, kSummarizationFields); }
nlohmann::json results_json(const PerplexityResults& p) { return write_fields(p, kPerplexityFields); }
nlohmann::json results_json(const std::monostate&) { return nlohmann::json::object(); }

}  // namespace

nlohmann::json to_json(const RunReport& r) {
  nlohmann::json j = nlohmann::json::object();
  write_header(r.header, j);
  if (r.attention) j["attention"] = to_json(*r.attention, attention_layout(r));
  j.update(std::visit([](const auto& results) { return results_json(results); }, r.results));
  write_outcome(r.status, r.error, j);
  return j;
}

void from_json(const JsonFields& in, RunReport& r) {
  from_json(in, r.header, kRunSchemaVersion.major);
  read_outcome(in, r.status, r.error);
  if (in.has("attention")) from_json(in.object("attention"), r.attention.emplace());
  // Results: every finished run has latency; an error report has the header only.
  if (!in.has("latency")) return;
  const bool perplexity = r.header.config.contains("task") && r.header.config.at("task") == "perplexity";
  if (perplexity) {
    read_fields(in, r.results.emplace<PerplexityResults>(), kPerplexityFields);
  } else {
    read_fields(in, r.results.emplace<SummarizationResults>(), kSummarizationFields);
  }
}

RunReport run_report_from_json(const nlohmann::json& json) {
  RunReport r;
  from_json(JsonFields(json, ""), r);
  return r;
}

}  // namespace gptbench::report
