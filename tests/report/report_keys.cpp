// The key lists of docs/result-schema.md and docs/train.md, generated from the report types:
//   report_keys --check SCHEMA_MD TRAIN_MD   exit 1, naming the section, when a doc differs from the types
//   report_keys --write SCHEMA_MD TRAIN_MD   rewrites the generated sections
// A generated section lies between "<!-- report-keys:NAME -->" and "<!-- /report-keys -->". The
// check also compares each doc's table of top-level keys (its first table's first column) with
// the keys the types write, so that the prose cannot drop or invent a block either.
#include <fmt/format.h>  // fmt::format, fmt::print

#include <cstdio>    // stderr
#include <set>       // std::set
#include <string>    // std::string
#include <vector>    // std::vector

#include "gptbench/io/atomic_file.h"       // read_file, write_file_atomic
#include "gptbench/report/run_report.h"    // RunReport, to_json
#include "gptbench/report/train_report.h"  // TrainReport, to_json

namespace gptbench::report {
namespace {

using nlohmann::json;

// Every block and optional key present. Blocks kept as JSON (env, config, dataset stats, train's
// dataset, profile) are empty: their keys are not the report types' (the headers say whose).
SummarizationResults full_summarization() {
  SummarizationResults s;
  s.linear = LinearInfo{};
  s.quant = QuantInfo{};
  s.dataset.path = "";
  s.dataset.stats = json::object();
  s.dataset.truncated_prompts = 0;
  s.dataset.prompt_tokens = Summary{};
  s.quality = QualityScores{};
  s.decode = DecodeInfo{};
  s.gpu_telemetry = GpuTelemetry{};
  s.adapter = AdapterInfo{};
  s.latency.stopping = StoppingInfo{};
  s.memory.weights_bytes = s.memory.kv_cache_bytes = s.memory.resident_at_start_bytes = 0;
  s.model.family = "";
  s.model.n_kv_head = 0;
  return s;
}

json run_example(bool perplexity) {
  RunReport r;
  r.attention = AttentionInfo{};
  if (perplexity) {
    PerplexityResults p;
    p.quality.kl_against = KlAgainst{};
    p.memory.weights_bytes = 0;
    p.quant = QuantInfo{};
    p.adapter = AdapterInfo{};
    r.results = p;
  } else {
    r.results = full_summarization();
  }
  return to_json(r);
}

json train_example() {
  TrainReport r;
  TrainResults& t = r.results.emplace();
  t.model.shape.family = "";
  t.model.shape.n_kv_head = 0;
  t.training.deterministic = true;
  t.training.evaluations.push_back({});
  t.training.evaluations.back().val_kl = 0;
  t.training.mode = "full";
  t.model.frozen_parameters = 0;
  t.rouge_eval = RougeEval{"validation", 0, QualityScores{}};
  t.distill = DistillInfo{};
  t.lora = LoraInfo{};
  t.lora->base_quant = "";
  t.lora->base_dtype = "";
  return to_json(r);
}

// "- `path`: `key`, `key`, ..." for every object with keys, depth first, arrays through their first element.
void list_keys(const json& value, const std::string& path, std::vector<std::string>& lines) {
  if (value.is_array() && !value.empty()) return list_keys(value.front(), path + "[]", lines);
  if (!value.is_object() || value.empty()) return;
  std::string keys;
  for (const auto& [key, _] : value.items()) keys += fmt::format("{}`{}`", keys.empty() ? "" : ", ", key);
  lines.push_back(fmt::format("- {}: {}", path.empty() ? "(top level)" : "`" + path + "`", keys));
  for (const auto& [key, child] : value.items()) list_keys(child, path.empty() ? key : path + "." + key, lines);
}

std::string key_section(const json& example) {
  std::vector<std::string> lines;
  list_keys(example, "", lines);
  std::string text;
  for (const std::string& line : lines) text += line + "\n";
  return text;
}

struct Section {
  std::string name;  // after "report-keys:"
  std::string text;  // generated
};

// `doc` with each section's text between its markers; `stale` collects the sections that differed.
std::string with_sections(const std::string& doc, const std::string& path, const std::vector<Section>& sections,
                          std::vector<std::string>& stale) {
  std::string out = doc;
  for (const Section& s : sections) {
    const std::string open = "<!-- report-keys:" + s.name + " -->\n", close = "<!-- /report-keys -->";
    const size_t begin = out.find(open);
    const size_t end = begin == std::string::npos ? begin : out.find(close, begin);
    if (end == std::string::npos) {
      stale.push_back(fmt::format("{}: no section \"{}\"<generated>\"{}\"", path, open.substr(0, open.size() - 1), close));
      continue;
    }
    const size_t text_begin = begin + open.size();
    if (out.compare(text_begin, end - text_begin, s.text) != 0) stale.push_back(fmt::format("{}: {}", path, s.name));
    out.replace(text_begin, end - text_begin, s.text);
  }
  return out;
}

// The backticked first cells of the first markdown table after `heading`.
std::set<std::string> table_keys(const std::string& doc, const std::string& heading) {
  std::set<std::string> keys;
  size_t pos = doc.find(heading);
  if (pos == std::string::npos) return keys;
  pos = doc.find("\n|", pos);
  while (pos != std::string::npos && pos + 1 < doc.size() && doc[pos + 1] == '|') {
    const size_t end = doc.find('\n', pos + 1);
    const std::string row = doc.substr(pos + 1, end - pos - 1);
    if (row.rfind("| `", 0) == 0) keys.insert(row.substr(3, row.find('`', 3) - 3));
    pos = end;
  }
  return keys;
}

std::set<std::string> top_level(const std::vector<json>& examples) {
  std::set<std::string> keys;
  for (const json& e : examples)
    for (const auto& [key, _] : e.items()) keys.insert(key);
  return keys;
}

// Differences between the doc's table and the types' top-level keys, one line each.
void check_table(const std::set<std::string>& doc, const std::set<std::string>& types, const std::string& where,
                 std::vector<std::string>& problems) {
  for (const std::string& k : types)
    if (!doc.count(k)) problems.push_back(fmt::format("{}: the table lacks `{}`, which the report types write", where, k));
  for (const std::string& k : doc)
    if (!types.count(k)) problems.push_back(fmt::format("{}: the table lists `{}`, which no report type writes", where, k));
}

int main_impl(int argc, char** argv) {
  if (argc != 4 || (std::string(argv[1]) != "--check" && std::string(argv[1]) != "--write")) {
    fmt::print(stderr, "usage: report_keys --check|--write docs/result-schema.md docs/train.md\n");
    return 2;
  }
  const bool write = std::string(argv[1]) == "--write";
  const std::string schema_path = argv[2], train_path = argv[3];
  const json summarization = run_example(false), perplexity = run_example(true), train = train_example();
  std::vector<std::string> problems;
  const std::string schema_doc = io::read_file(schema_path), train_doc = io::read_file(train_path);
  const std::string schema_new = with_sections(
      schema_doc, schema_path,
      {{"summarization", key_section(summarization)}, {"perplexity", key_section(perplexity)}}, problems);
  const std::string train_new = with_sections(train_doc, train_path, {{"train", key_section(train)}}, problems);
  check_table(table_keys(schema_doc, "# The `gptbench run` report"), top_level({summarization, perplexity}),
              schema_path + " (the run report's table)", problems);
  std::set<std::string> train_table = table_keys(train_doc, "## The report");
  // docs/train.md's table starts after the header it shares with the run report.
  for (const char* shared : {"schema_version", "schema_minor", "tool", "env", "config", "status", "error"})
    train_table.insert(shared);
  check_table(train_table, top_level({train}), train_path + " (the report's table)", problems);
  if (write) {
    if (schema_new != schema_doc) io::write_file_atomic(schema_path, schema_new);
    if (train_new != train_doc) io::write_file_atomic(train_path, train_new);
    for (const std::string& p : problems) fmt::print(stderr, "updated or to mend by hand: {}\n", p);
    return 0;
  }
  for (const std::string& p : problems) fmt::print(stderr, "report keys differ from the docs: {}\n", p);
  if (!problems.empty()) fmt::print(stderr, "(generated sections: run report_keys --write; tables: edit them)\n");
  return problems.empty() ? 0 : 1;
}

}  // namespace
}  // namespace gptbench::report

int main(int argc, char** argv) { return gptbench::report::main_impl(argc, argv); }
