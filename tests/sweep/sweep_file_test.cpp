// The sweep JSONL file: append and read back, a cut last line, bad lines, the best line per key,
// merge of shards, and the markdown/CSV summaries.
#include <gtest/gtest.h>  // TEST, EXPECT_*

#include <string>  // std::string

#include "gptbench/io/atomic_file.h"       // read_file
#include "gptbench/report/run_report.h"    // RunReport, to_json
#include "gptbench/sweep/sweep_file.h"     // SweepWriter, read_sweep_file, best_cells
#include "gptbench/sweep/sweep_merge.h"    // merge_sweep_files
#include "gptbench/sweep/sweep_summary.h"  // summary_markdown, summary_csv
#include "gptbench/util/error.h"           // Error
#include "sweep_test_support.h"            // TempDir, tiny_shape, flags

namespace gptbench::sweep {
namespace {

using testing::flags;
using testing::TempDir;
using testing::tiny_shape;

struct Fixture {
  SweepSpec spec = build_spec(flags({{"batch-sizes", "1-8*2"}, {"variants", "standard,sdpa"}}));
  nlohmann::json definition = definition_json(spec);
  std::vector<Cell> plan = plan_cells(spec, tiny_shape(), c10::Device(c10::kCPU));

  nlohmann::json line(int64_t index, const std::string& status) const {
    const Cell& c = plan.at(index);
    report::RunReport run;  // what the summary columns read; the rest keeps its defaults
    report::SummarizationResults results;
    results.latency.ttft.p50 = 1.5 + static_cast<double>(index);
    results.latency.tpot.p50 = 0.25;
    results.latency.tokens_per_s = 100.0;
    results.memory.measured = true;
    results.memory.peak_allocated_bytes = 3 * 1048576;
    results.decode = report::DecodeInfo{};
    results.decode->mode = "eager";
    results.linear = report::LinearInfo{"gemv_fp16_rows1", std::nullopt, std::nullopt};
    run.attention = report::AttentionInfo{};
    run.attention->kernel = "sdpa:math";
    run.results = results;
    const nlohmann::json report = report::to_json(run);
    return {{"record", "cell"},  {"definition_id", definition_id(definition)},
            {"index", index},    {"key", cell_key(c)},
            {"cell", cell_json(c)}, {"status", status},
            {"reason", status == "skipped" ? nlohmann::json("too, long | x") : nlohmann::json(nullptr)},
            {"error", status == "error" ? nlohmann::json("CUDA out of memory: try a smaller --batch-size") : nlohmann::json(nullptr)},
            {"report", status == "ok" ? report : nlohmann::json(nullptr)}};
  }
  std::filesystem::path write(const TempDir& dir, const std::string& name, const Shard& shard,
                              const std::vector<nlohmann::json>& lines) const {
    SweepWriter w = SweepWriter::create(dir.path() / name, sweep_header(definition, static_cast<int64_t>(plan.size()), shard));
    for (const auto& l : lines) w.append(l);
    return dir.path() / name;
  }
};

std::string error_of(const std::function<void()>& f) { return testing::message_of<Error>(f); }

TEST(SweepFile, AppendReadAndCutLastLine) {
  TempDir dir;
  Fixture fx;
  ASSERT_EQ(fx.plan.size(), 8u);
  const auto path = fx.write(dir, "s.jsonl", {}, {fx.line(0, "ok"), fx.line(1, "error")});
  SweepFile file = read_sweep_file(path);
  EXPECT_EQ(file.cells.size(), 2u);
  EXPECT_FALSE(file.dropped_partial_line);
  EXPECT_EQ(file.header.at("n_cells"), 8);
  check_definition(file, fx.definition, "hint");  // same definition: no throw

  // A killed writer: half a line at the end. Read drops it; resuming cuts it and appends after.
  const std::string whole = io::read_file(path);
  dir.write("s.jsonl", whole + fx.line(2, "ok").dump().substr(0, 40));
  file = read_sweep_file(path);
  EXPECT_TRUE(file.dropped_partial_line);
  EXPECT_EQ(file.cells.size(), 2u);
  EXPECT_EQ(file.complete_bytes, static_cast<int64_t>(whole.size()));
  {
    SweepWriter w = SweepWriter::resume(file);
    w.append(fx.line(2, "ok"));
    // A second writer of the same file is refused while the first holds it.
    EXPECT_NE(error_of([&] { SweepWriter::resume(read_sweep_file(path)); }).find("another gptbench sweep"),
              std::string::npos);
  }
  file = read_sweep_file(path);
  EXPECT_FALSE(file.dropped_partial_line);
  ASSERT_EQ(file.cells.size(), 3u);
  EXPECT_EQ(file.cells[2].at("index"), 2);
}

TEST(SweepFile, BadFilesNameFileAndLine) {
  TempDir dir;
  Fixture fx;
  const auto path = fx.write(dir, "s.jsonl", {}, {fx.line(0, "ok"), fx.line(1, "ok")});
  const std::string text = io::read_file(path);
  const size_t second = text.find('\n') + 1;
  dir.write("mid.jsonl", text.substr(0, second) + "{not json\n" + text.substr(second));
  EXPECT_NE(error_of([&] { read_sweep_file(dir.path() / "mid.jsonl"); }).find("mid.jsonl:2: not valid JSON"),
            std::string::npos);
  dir.write("empty.jsonl", "");
  EXPECT_NE(error_of([&] { read_sweep_file(dir.path() / "empty.jsonl"); }).find("empty"), std::string::npos);
  dir.write("run.jsonl", "{\"schema_version\": 1, \"status\": \"ok\"}\n");
  EXPECT_NE(error_of([&] { read_sweep_file(dir.path() / "run.jsonl"); }).find("run.jsonl:1: not a gptbench sweep file"),
            std::string::npos);
  nlohmann::json bad_status = fx.line(0, "ok");
  bad_status["status"] = "done";
  dir.write("status.jsonl", text.substr(0, second) + bad_status.dump() + "\n");
  EXPECT_NE(error_of([&] { read_sweep_file(dir.path() / "status.jsonl"); }).find("status.jsonl:2: unknown status"),
            std::string::npos);
  const nlohmann::json other = definition_json(build_spec(flags({{"warmup", "3"}})));
  const std::string m = error_of([&] { check_definition(read_sweep_file(path), other, "use --force-new"); });
  EXPECT_NE(m.find("another sweep definition"), std::string::npos) << m;
  EXPECT_NE(m.find("use --force-new"), std::string::npos) << m;
}

TEST(SweepFile, BestLinePerKey) {
  Fixture fx;
  const auto best = best_cells({fx.line(3, "error"), fx.line(1, "ok"), fx.line(3, "ok"), fx.line(3, "error"),
                                fx.line(0, "skipped"), fx.line(0, "error")});
  ASSERT_EQ(best.size(), 3u);
  EXPECT_EQ(best[0].at("index"), 0);
  EXPECT_EQ(best[0].at("status"), "skipped");
  EXPECT_EQ(best[1].at("index"), 1);
  EXPECT_EQ(best[2].at("status"), "ok");  // ok outranks a later error
}

TEST(SweepMerge, ShardsMergeInIndexOrder) {
  TempDir dir;
  Fixture fx;
  const auto a = fx.write(dir, "a.jsonl", {0, 2}, {fx.line(2, "ok"), fx.line(0, "error"), fx.line(4, "ok")});
  const auto b = fx.write(dir, "b.jsonl", {1, 2}, {fx.line(1, "ok"), fx.line(5, "ok"), fx.line(3, "skipped")});
  const auto again = fx.write(dir, "c.jsonl", {0, 2}, {fx.line(0, "ok")});  // a retried cell
  const MergedSweep m = merge_sweep_files({a, b, again});
  ASSERT_EQ(m.cells.size(), 6u);
  for (int64_t i = 0; i < 6; ++i) EXPECT_EQ(m.cells[i].at("index"), i);
  EXPECT_EQ(m.cells[0].at("status"), "ok");
  EXPECT_EQ(m.missing, std::vector<int64_t>({6, 7}));
  EXPECT_EQ(m.header.at("shard").at("count"), 1);
  EXPECT_EQ(m.header.at("merged_from").size(), 3u);

  Fixture other;
  other.spec = build_spec(flags({{"batch-sizes", "1-8*2"}, {"variants", "standard,sdpa"}, {"warmup", "0"}}));
  other.definition = definition_json(other.spec);
  const auto foreign = other.write(dir, "foreign.jsonl", {}, {other.line(0, "ok")});
  const std::string msg = error_of([&] { merge_sweep_files({a, foreign}); });
  EXPECT_NE(msg.find("foreign.jsonl"), std::string::npos) << msg;
  EXPECT_NE(msg.find("fixed.warmup"), std::string::npos) << msg;
}

TEST(SweepSummary, MarkdownAndCsvRows) {
  Fixture fx;
  const std::vector<nlohmann::json> cells = {fx.line(0, "ok"), fx.line(1, "skipped"), fx.line(2, "error")};
  const std::string csv = summary_csv(cells);
  EXPECT_EQ(csv,
            "index,variant,batch_size,prompt_tokens,max_new_tokens,dtype,window,status,ttft_p50_ms,tpot_p50_ms,"
            "tokens_per_s,peak_allocated_mib,kernel,decode,linear,note\n"
            "0,standard,1,512,64,fp32,,ok,1.50,0.250,100.0,3.0,sdpa:math,eager,gemv_fp16_rows1,\n"
            "1,standard,2,512,64,fp32,,skipped,,,,,,,,\"too, long | x\"\n"
            "2,standard,4,512,64,fp32,,error,,,,,,,,CUDA out of memory: try a smaller --batch-size\n");
  const std::string md = summary_markdown(cells);
  EXPECT_NE(md.find("| index | variant | batch_size |"), std::string::npos) << md;
  EXPECT_NE(md.find("| 0 | standard | 1 | 512 | 64 | fp32 | - | ok | 1.50 | 0.250 | 100.0 | 3.0 | sdpa:math | eager | "
                    "gemv_fp16_rows1 | - |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("too, long \\| x"), std::string::npos) << md;  // a '|' cannot break the table
  EXPECT_EQ(std::count(md.begin(), md.end(), '\n'), 5);
  EXPECT_EQ(default_summary_path("out/s.jsonl", ".md"), std::filesystem::path("out/s.md"));
  EXPECT_EQ(default_summary_path("out/s.txt", ".csv"), std::filesystem::path("out/s.txt.csv"));
}

}  // namespace
}  // namespace gptbench::sweep
