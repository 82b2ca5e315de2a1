// bench::ProgressReporter on a stream that is not a terminal (a temporary file): plain lines with
// done/total and ETA, one per update at --progress-every 0, only the first and the last at a long
// interval, announcements always, nothing at all when disabled; progress_line's ETA arithmetic.
#include <gtest/gtest.h>  // TEST, EXPECT_*

#include <cstdio>  // std::tmpfile, std::FILE
#include <string>  // std::string
#include <vector>  // std::vector

#include "gptbench/bench/progress.h"  // ProgressReporter, ProgressOptions, progress_line

namespace gptbench::bench {
namespace {

std::vector<std::string> lines_of(std::FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::vector<std::string> lines;
  std::string line;
  for (int ch = std::fgetc(f); ch != EOF; ch = std::fgetc(f)) {
    if (ch == '\n') {
      lines.push_back(line);
      line.clear();
    } else {
      line += static_cast<char>(ch);
    }
  }
  EXPECT_TRUE(line.empty()) << "unterminated line: " << line;
  return lines;
}

TEST(ProgressLine, EtaIsTheMeanTimePerUnitTimesWhatIsLeft) {
  EXPECT_EQ(progress_line("run", "samples", 2, 10, 4.0), "[run] 2/10 samples, 4.0 s elapsed, ETA 16.0 s");
  EXPECT_EQ(progress_line("run", "samples", 0, 10, 1.0), "[run] 0/10 samples, 1.0 s elapsed");  // no rate yet
  EXPECT_EQ(progress_line("sweep cpu", "cells", 5, 5, 90.0), "[sweep cpu] 5/5 cells, 1 min 30 s elapsed");
  EXPECT_EQ(progress_line("train", "steps", 1, 3, 3700.0), "[train] 1/3 steps, 1 h 1 min elapsed, ETA 2 h 3 min");
}

TEST(ProgressReporter, PlainLinesEveryUpdateAtIntervalZero) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  {
    ProgressReporter p("run", "samples", {true, 0.0}, f);
    p.announce("loading model");
    p.start(3);
    for (int i = 1; i <= 3; ++i) p.update(i);
  }
  const auto lines = lines_of(f);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0], "[run] loading model");
  EXPECT_EQ(lines[1].rfind("[run] 1/3 samples, ", 0), 0u) << lines[1];
  EXPECT_NE(lines[1].find("ETA"), std::string::npos) << lines[1];
  EXPECT_EQ(lines[3].rfind("[run] 3/3 samples, ", 0), 0u) << lines[3];
  for (const auto& l : lines) EXPECT_EQ(l.find('\r'), std::string::npos) << "no bar off a terminal: " << l;
  std::fclose(f);
}

TEST(ProgressReporter, ALongIntervalPrintsTheFirstAndTheLastUpdateOnly) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  {
    ProgressReporter p("attn-bench", "shapes", {true, 3600.0}, f);
    p.start(5);
    for (int i = 1; i <= 5; ++i) p.update(i);
  }
  const auto lines = lines_of(f);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].rfind("[attn-bench] 1/5 shapes", 0), 0u) << lines[0];
  EXPECT_EQ(lines[1].rfind("[attn-bench] 5/5 shapes", 0), 0u) << lines[1];
  std::fclose(f);
}

TEST(ProgressReporter, DisabledPrintsNothing) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  {
    ProgressReporter p("train", "steps", {false, 0.0}, f);
    p.announce("loading model");
    p.start(2);
    p.update(1);
    p.update(2);
  }
  EXPECT_TRUE(lines_of(f).empty());
  std::fclose(f);
}

}  // namespace
}  // namespace gptbench::bench
