// attn-bench's report type (see attn_bench_report.h).
#include "gptbench/report/attn_bench_report.h"

#include <fmt/format.h>  // fmt::format

#include <utility>  // std::move

#include "gptbench/util/error.h"  // Error

namespace gptbench::report {
namespace {

using nlohmann::json;

// The value at `key` of object `j` (at `path`), or an Error naming "path.key" and what was expected.
class Fields {
 public:
  Fields(const json& j, std::string path) : j_(j), path_(std::move(path)) {
    if (!j_.is_object()) throw Error(fmt::format("{}: expected an object", path_.empty() ? "report" : path_));
  }
  std::string where(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }
  bool has(const std::string& key) const { return j_.contains(key) && !j_.at(key).is_null(); }
  const json& get(const std::string& key, bool ok_type, const char* expected) const {
    if (!j_.contains(key)) throw Error(fmt::format("{}: missing", where(key)));
    if (!ok_type) throw Error(fmt::format("{}: expected {}", where(key), expected));
    return j_.at(key);
  }
  const json& any(const std::string& key) const { return get(key, true, ""); }
  double number(const std::string& key) const {
    return get(key, j_.contains(key) && j_.at(key).is_number(), "a number").get<double>();
  }
  int64_t integer(const std::string& key) const {
    return get(key, j_.contains(key) && j_.at(key).is_number_integer(), "an integer").get<int64_t>();
  }
  std::string string(const std::string& key) const {
    return get(key, j_.contains(key) && j_.at(key).is_string(), "a string").get<std::string>();
  }
  std::vector<double> numbers(const std::string& key) const {
    const json& a = get(key, j_.contains(key) && j_.at(key).is_array(), "an array of numbers");
    std::vector<double> out;
    for (const json& x : a) {
      if (!x.is_number()) throw Error(fmt::format("{}: expected an array of numbers", where(key)));
      out.push_back(x.get<double>());
    }
    return out;
  }
  std::optional<double> optional_number(const std::string& key) const {
    return has(key) ? std::optional<double>(number(key)) : std::nullopt;
  }

 private:
  const json& j_;
  std::string path_;
};

}  // namespace

json to_json(const AttnBenchRow& r) {
  json j = {{"variant", r.variant},   {"dtype", r.dtype},       {"batch", r.batch},
            {"heads", r.heads},       {"q_len", r.q_len},       {"k_len", r.k_len},
            {"head_dim", r.head_dim}, {"window", r.window},     {"global_tokens", r.global_tokens},
            {"status", r.status},     {"kernel", r.kernel}};
  // Written only when they say something, so that reports from before the keys read back unchanged.
  if (r.kv_heads != r.heads) j["kv_heads"] = r.kv_heads;
  if (r.rope) j["rope"] = true;
  if (!r.ok()) {
    j["reason"] = r.reason;
    return j;
  }
  j["median_ms"] = r.median_ms;
  j["min_ms"] = r.min_ms;
  j["max_ms"] = r.max_ms;
  j["runs"] = r.samples_ms.size();
  j["samples_ms"] = r.samples_ms;
  j["tflops"] = r.tflops;
  if (r.kv_gbps) j["kv_gbps"] = *r.kv_gbps;
  if (r.flash_over_this) j["flash_over_this"] = *r.flash_over_this;
  return j;
}

json to_json(const AttnBenchReport& report) {
  json j = json::object();
  if (report.schema_version) j["schema_version"] = *report.schema_version;
  j["tool"] = report.tool;
  if (report.command) j["command"] = *report.command;
  j["env"] = report.env;
  j["config"] = report.config;
  j["flops_rule"] = report.flops_rule;
  j["results"] = json::array();
  for (const AttnBenchRow& r : report.results) j["results"].push_back(to_json(r));
  return j;
}

AttnBenchRow attn_bench_row_from_json(const json& j, const std::string& path) {
  const Fields in(j, path);
  AttnBenchRow r;
  r.variant = in.string("variant");
  r.dtype = in.string("dtype");
  r.batch = in.integer("batch");
  r.heads = in.integer("heads");
  r.q_len = in.integer("q_len");
  r.k_len = in.integer("k_len");
  r.head_dim = in.integer("head_dim");
  r.window = in.integer("window");
  r.global_tokens = in.integer("global_tokens");
  r.kv_heads = in.has("kv_heads") ? in.integer("kv_heads") : r.heads;  // older reports: no grouping
  if (in.has("rope")) {
    r.rope = in.get("rope", j.at("rope").is_boolean(), "a boolean").get<bool>();
  }
  r.status = in.string("status");
  r.kernel = in.string("kernel");
  if (r.status != "ok" && r.status != "skipped")
    throw Error(fmt::format("{}: expected \"ok\" or \"skipped\", got \"{}\"", in.where("status"), r.status));
  if (!r.ok()) {
    r.reason = in.string("reason");
    return r;
  }
  r.median_ms = in.number("median_ms");
  r.min_ms = in.number("min_ms");
  r.max_ms = in.number("max_ms");
  r.samples_ms = in.numbers("samples_ms");
  const int64_t runs = in.integer("runs");
  if (runs != static_cast<int64_t>(r.samples_ms.size()))
    throw Error(fmt::format("{}: {} runs, but samples_ms holds {}", in.where("runs"), runs, r.samples_ms.size()));
  r.tflops = in.number("tflops");
  r.kv_gbps = in.optional_number("kv_gbps");
  r.flash_over_this = in.optional_number("flash_over_this");
  return r;
}

AttnBenchReport attn_bench_report_from_json(const json& j) {
  const Fields in(j, "");
  AttnBenchReport report;
  if (in.has("schema_version")) report.schema_version = in.integer("schema_version");
  if (report.schema_version && *report.schema_version != kAttnBenchSchemaVersion)
    throw Error(fmt::format("schema_version: {} is not the attn-bench report's {}", *report.schema_version,
                            kAttnBenchSchemaVersion));
  report.tool = in.any("tool");
  if (in.has("command")) report.command = in.string("command");
  report.env = in.get("env", j.contains("env") && j.at("env").is_object(), "an object");
  report.config = in.get("config", j.contains("config") && j.at("config").is_object(), "an object");
  report.flops_rule = in.string("flops_rule");
  const json& results = in.get("results", j.contains("results") && j.at("results").is_array(), "an array");
  for (size_t i = 0; i < results.size(); ++i)
    report.results.push_back(attn_bench_row_from_json(results[i], fmt::format("results[{}]", i)));
  return report;
}

}  // namespace gptbench::report
