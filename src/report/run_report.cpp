// The `gptbench run` report (run_report.h).
#include "gptbench/report/run_report.h"  // this file's declarations

#include <type_traits>  // std::is_same_v, std::decay_t

namespace gptbench::report {
namespace {

AttentionLayout attention_layout(const RunReport& r) {
  if (r.header.schema.minor >= 1) return AttentionLayout::kUnified;
  return std::holds_alternative<PerplexityResults>(r.results) ? AttentionLayout::kPerplexityV1_0
                                                              : AttentionLayout::kRunV1_0;
}

void write_results(const SummarizationResults& s, nlohmann::json& j) {
  if (s.linear) j["linear"] = to_json(*s.linear);
  j["model"] = to_json(s.model);
  j["dataset"] = to_json(s.dataset);
  j["quality"] = s.quality ? to_json(*s.quality) : nlohmann::json(nullptr);
  j["latency"] = to_json(s.latency);
  if (s.decode) j["decode"] = to_json(*s.decode);
  j["memory"] = to_json(s.memory);
  j["profile"] = s.profile;
}

void write_results(const PerplexityResults& p, nlohmann::json& j) {
  j["dataset"] = to_json(p.dataset);
  j["quality"] = to_json(p.quality);
  j["latency"] = to_json(p.latency);
  j["memory"] = to_json(p.memory);
}

SummarizationResults read_summarization(const JsonFields& in) {
  SummarizationResults s;
  if (in.has("linear")) from_json(in.object("linear"), s.linear.emplace());
  from_json(in.object("model"), s.model);
  from_json(in.object("dataset"), s.dataset);
  if (!in.is_null("quality")) from_json(in.object("quality"), s.quality.emplace());
  from_json(in.object("latency"), s.latency);
  if (in.has("decode")) from_json(in.object("decode"), s.decode.emplace());
  from_json(in.object("memory"), s.memory);
  if (!in.is_null("profile")) {
    in.object("profile");  // an object when present
    s.profile = in.any("profile");
  }
  return s;
}

PerplexityResults read_perplexity(const JsonFields& in) {
  PerplexityResults p;
  from_json(in.object("dataset"), p.dataset);
  from_json(in.object("quality"), p.quality);
  from_json(in.object("latency"), p.latency);
  from_json(in.object("memory"), p.memory);
  return p;
}

}  // namespace

nlohmann::json to_json(const RunReport& r) {
  nlohmann::json j = nlohmann::json::object();
  write_header(r.header, j);
  if (r.attention) j["attention"] = to_json(*r.attention, attention_layout(r));
  std::visit(
      [&j](const auto& results) {
        if constexpr (!std::is_same_v<std::decay_t<decltype(results)>, std::monostate>) write_results(results, j);
      },
      r.results);
  j["status"] = r.status;
  j["error"] = nullable(r.error);
  return j;
}

void from_json(const JsonFields& in, RunReport& r) {
  from_json(in, r.header, kRunSchemaVersion.major);
  r.status = in.string("status");
  if (r.status != "ok" && r.status != "error") in.fail("status", "\"ok\" or \"error\"");
  r.error = in.optional_string("error");
  if (in.has("attention")) from_json(in.object("attention"), r.attention.emplace());
  // Results: every finished run has latency; an error report has the header only.
  if (!in.has("latency")) return;
  const bool perplexity = r.header.config.contains("task") && r.header.config.at("task") == "perplexity";
  if (perplexity) {
    r.results = read_perplexity(in);
  } else {
    r.results = read_summarization(in);
  }
}

RunReport run_report_from_json(const nlohmann::json& json) {
  RunReport r;
  from_json(JsonFields(json, ""), r);
  return r;
}

}  // namespace gptbench::report
