// Reading BASE and NEW: run report or sweep by content, errors naming file and line.
#include <gtest/gtest.h>  // TEST, EXPECT_*

#include "../support/temp_dir.h"             // TempDir
#include "gptbench/compare/compare_input.h"  // load_compare_input
#include "gptbench/util/error.h"             // Error
#include "report_fixture.h"                  // make_report, make_cell_line, sweep_text

namespace gptbench::compare {
namespace {

using test_support::TempDir;
using nlohmann::json;
using testing::make_cell_line;
using testing::make_report;
using testing::sweep_text;

// The gptbench::Error message of loading `path`, or "" when it loaded.
std::string load_error(const std::filesystem::path& path) {
  try {
    load_compare_input(path.string());
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(CompareInput, PrettyPrintedRunReport) {
  TempDir dir;
  const CompareInput in = load_compare_input(dir.write("r.json", make_report().dump(2) + "\n").string());
  EXPECT_EQ(in.kind, InputKind::kRun);
  EXPECT_EQ(in.report.status, "ok");
  EXPECT_EQ(in.report.attention->variant, "flash");
}

TEST(CompareInput, SweepWithHeaderAndCells) {
  TempDir dir;
  const auto path = dir.write("s.jsonl", sweep_text({make_cell_line("flash", 1, make_report()),
                                                     make_cell_line("sdpa", 8, make_report(), "skipped")}));
  const CompareInput in = load_compare_input(path.string());
  EXPECT_EQ(in.kind, InputKind::kSweep);
  ASSERT_EQ(in.cells.size(), 2u);
  EXPECT_EQ(in.cells[0].label, "flash/fp16/w-/b1/p512/n64");
  EXPECT_EQ(in.cells[0].where, path.string() + ":2");
  EXPECT_EQ(in.cells[1].status, "skipped");
  EXPECT_EQ(in.cells[1].message, "cannot run here");
  EXPECT_NE(find_cell(in, in.cells[1].match_key), nullptr);
  // A sweep of one cell line, without header, is still a sweep.
  const CompareInput one = load_compare_input(dir.write("one.jsonl", make_cell_line("flash", 1, make_report()).dump()).string());
  EXPECT_EQ(one.kind, InputKind::kSweep);
  EXPECT_EQ(one.cells.size(), 1u);
}

TEST(CompareInput, RepeatedCellKeepsTheBestStatusThenTheLater) {
  TempDir dir;
  json later = make_report(5.0);
  const auto path = dir.write("s.jsonl", sweep_text({make_cell_line("flash", 1, make_report(), "error"),
                                                     make_cell_line("flash", 1, make_report(4.0)),
                                                     make_cell_line("flash", 1, make_report(), "error"),
                                                     make_cell_line("flash", 1, later)}));
  const CompareInput in = load_compare_input(path.string());
  ASSERT_EQ(in.cells.size(), 1u);
  EXPECT_EQ(in.cells[0].status, "ok");
  EXPECT_EQ(in.cells[0].where, path.string() + ":5");
  EXPECT_EQ(in.notes.size(), 3u);
}

TEST(CompareInput, UnterminatedLastLineOfAKilledSweepIsIgnoredWithANote) {
  TempDir dir;
  const std::string text = sweep_text({make_cell_line("flash", 1, make_report())}) + "{\"record\": \"cell\", \"ce";
  const CompareInput in = load_compare_input(dir.write("s.jsonl", text).string());
  EXPECT_EQ(in.cells.size(), 1u);
  ASSERT_EQ(in.notes.size(), 1u);
  EXPECT_NE(in.notes[0].find("s.jsonl:3: unterminated last line"), std::string::npos) << in.notes[0];
}

TEST(CompareInput, ErrorsNameFileAndLine) {
  TempDir dir;
  // A broken middle line of a sweep.
  const std::string sweep = sweep_text({make_cell_line("flash", 1, make_report())});
  EXPECT_NE(load_error(dir.write("a.jsonl", sweep + "{oops\n" + sweep)).find("a.jsonl:3: invalid JSON"),
            std::string::npos);
  // A broken pretty-printed report: the line of the fault.
  const std::string broken = "{\n  \"status\": \"ok\",\n  \"latency\": {,\n}\n";
  const std::string m = load_error(dir.write("b.json", broken));
  EXPECT_NE(m.find("b.json:3: invalid JSON"), std::string::npos) << m;
  EXPECT_NE(load_error(dir.write("c.json", "")).find("c.json: empty file"), std::string::npos);
  EXPECT_NE(load_error(dir.write("d.json", "[1, 2]")).find("d.json: expected a JSON object"), std::string::npos);
  EXPECT_NE(load_error(dir.write("e.json", "{\"a\": 1}")).find("e.json: not a gptbench run report"), std::string::npos);
  EXPECT_NE(load_error(dir.path() / "missing.json").find("missing.json"), std::string::npos);
  // One run report a line is not a sweep.
  const std::string reports = make_report().dump() + "\n" + make_report().dump() + "\n";
  EXPECT_NE(load_error(dir.write("f.jsonl", reports)).find("f.jsonl:1: not a sweep line"), std::string::npos);
  json no_report = make_cell_line("flash", 1, make_report());
  no_report["report"] = nullptr;
  EXPECT_NE(load_error(dir.write("g.jsonl", sweep_text({no_report}))).find("g.jsonl:2: cell flash/fp16/w-/b1/p512/n64"),
            std::string::npos);
  // A report that is not a run report's shape: the file, line and key path.
  json bad_report = make_cell_line("flash", 1, make_report());
  bad_report["report"]["memory"]["measured"] = "yes";
  EXPECT_NE(load_error(dir.write("i.jsonl", sweep_text({bad_report})))
                .find("i.jsonl:2: memory.measured: expected true or false, found string"),
            std::string::npos);
  json odd_status = make_cell_line("flash", 1, make_report());
  odd_status["status"] = "done";
  EXPECT_NE(load_error(dir.write("h.jsonl", sweep_text({odd_status}))).find("h.jsonl:2: unknown cell status"),
            std::string::npos);
}

}  // namespace
}  // namespace gptbench::compare
