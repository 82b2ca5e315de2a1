// attn-bench's report type (see attn_bench_report.h).
#include "gptbench/report/attn_bench_report.h"  // this file's declarations

#include <fmt/format.h>  // fmt::format

#include "gptbench/report/field_list.h"  // write_fields, read_fields

namespace gptbench::report {
// A skipped row has its reason and no timings; `runs` (the samples' count), `kv_heads` and `rope`
// (each only when it differs from the default) are written beside the list.
constexpr auto kRowFields = [](auto& io, auto& r) {
  io("variant", r.variant)("dtype", r.dtype)("batch", r.batch)("heads", r.heads)("q_len", r.q_len)("k_len", r.k_len);
  io("head_dim", r.head_dim)("window", r.window)("global_tokens", r.global_tokens);
  io("status", r.status)("kernel", r.kernel);
  if (r.status != "ok") {
    io("reason", r.reason);
    return;
  }
  io("median_ms", r.median_ms)("min_ms", r.min_ms)("max_ms", r.max_ms)("samples_ms", r.samples_ms);
  io("tflops", r.tflops).if_present("kv_gbps", r.kv_gbps).if_present("flash_over_this", r.flash_over_this);
  io.if_present("stopped_by", r.stopped_by).if_present("noise", r.noise);
};

// The first reports had no schema_version and no command; `tool` (a string in them) is written
// beside the list.
constexpr auto kReportFields = [](auto& io, auto& report) {
  io.if_present("schema_version", report.schema_version).if_present("command", report.command);
  io("env", report.env)("config", report.config)("flops_rule", report.flops_rule)("results", report.results);
};

nlohmann::json to_json(const AttnBenchRow& r) {
  nlohmann::json j = write_fields(r, kRowFields);
  // Written only when they say something, so that reports from before the keys read back unchanged.
  if (r.kv_heads != r.heads) j["kv_heads"] = r.kv_heads;
  if (r.rope) j["rope"] = true;
  if (r.ok()) j["runs"] = r.samples_ms.size();
  return j;
}

void from_json(const JsonFields& in, AttnBenchRow& r) {
  r.status = in.string("status");
  if (r.status != "ok" && r.status != "skipped") in.fail("status", "\"ok\" or \"skipped\"");
  read_fields(in, r, kRowFields);
  r.kv_heads = in.optional_integer("kv_heads").value_or(r.heads);  // older reports: no grouping
  r.rope = in.optional_boolean("rope").value_or(false);
  if (!r.ok()) return;
  const int64_t runs = in.integer("runs");
  if (runs != static_cast<int64_t>(r.samples_ms.size()))
    throw ReportError(fmt::format("{}: {} runs, but samples_ms holds {}", in.path_of("runs"), runs, r.samples_ms.size()));
}

nlohmann::json to_json(const AttnBenchReport& report) {
  nlohmann::json j = write_fields(report, kReportFields);
  j["tool"] = report.tool;
  return j;
}

void from_json(const JsonFields& in, AttnBenchReport& report) {
  read_fields(in, report, kReportFields);
  report.tool = in.any("tool");
  if (report.schema_version && *report.schema_version != kAttnBenchSchemaVersion)
    throw ReportError(fmt::format("{}: {} is not the attn-bench report's {}", in.path_of("schema_version"),
                                  *report.schema_version, kAttnBenchSchemaVersion));
}

AttnBenchReport attn_bench_report_from_json(const nlohmann::json& json) {
  AttnBenchReport report;
  from_json(JsonFields(json, ""), report);
  return report;
}

}  // namespace gptbench::report
