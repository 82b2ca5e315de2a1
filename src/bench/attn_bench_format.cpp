// attn-bench's stdout formats (attn_bench.h: format_attn_bench): the markdown table, CSV with one
// row per shape, the JSON report, or JSON lines (one row object per line).
#include <fmt/format.h>  // fmt::format

#include <optional>  // std::optional
#include <string>    // std::string
#include <vector>    // std::vector

#include "attn_bench.h"                 // format_attn_bench, attn_bench_markdown
#include "gptbench/util/error.h"        // UsageError
#include "gptbench/util/table_cells.h"  // csv_field

namespace gptbench::bench {
namespace {

template <typename T>
std::string optional_cell(const std::optional<T>& value) {
  return value ? fmt::format("{}", *value) : "";
}

}  // namespace

std::string attn_bench_csv(const std::vector<report::AttnBenchRow>& rows) {
  std::string s =
      "variant,dtype,batch,heads,kv_heads,q_len,k_len,head_dim,window,global_tokens,rope,status,kernel,median_ms,"
      "min_ms,max_ms,runs,tflops,kv_gbps,flash_over_this,stopped_by,noise,reason\n";
  for (const report::AttnBenchRow& r : rows) {
    s += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},", csv_field(r.variant), csv_field(r.dtype), r.batch,
                     r.heads, r.kv_heads, r.q_len, r.k_len, r.head_dim, r.window, r.global_tokens, r.rope,
                     csv_field(r.status), csv_field(r.kernel));
    if (r.ok()) {
      s += fmt::format("{},{},{},{},{},{},{},{},{},", r.median_ms, r.min_ms, r.max_ms, r.samples_ms.size(), r.tflops,
                       optional_cell(r.kv_gbps), optional_cell(r.flash_over_this), csv_field(r.stopped_by.value_or("")),
                       optional_cell(r.noise));
    } else {
      s += ",,,,,,,,,";
    }
    s += csv_field(r.reason) + "\n";
  }
  return s;
}

std::string format_attn_bench(const report::AttnBenchReport& report, const std::string& format) {
  if (format == "md") return attn_bench_markdown(report.results);
  if (format == "csv") return attn_bench_csv(report.results);
  if (format == "json") return report::to_json(report).dump(2) + "\n";
  if (format == "jsonl") {
    std::string lines;
    for (const report::AttnBenchRow& r : report.results) lines += report::to_json(r).dump() + "\n";
    return lines;
  }
  throw UsageError(fmt::format("--format: expected json, md, csv or jsonl, got \"{}\"", format));
}

}  // namespace gptbench::bench
