// Progress of a long command (run, sweep, train, attn-bench) on stderr; stdout stays for JSON and
// tables. On a terminal a bar redrawn in place with done/total, elapsed time and ETA; otherwise
// (CI logs, pipes) a plain line every `every_s` seconds and at the end, so a log shows life.
// Phases before the counted work (loading the model, warming up) are announced once.
#pragma once

#include <chrono>   // std::chrono::steady_clock
#include <cstdint>  // int64_t
#include <cstdio>   // std::FILE
#include <string>   // std::string

namespace gptbench::bench {

struct ProgressOptions {
  bool enabled = true;   // --no-progress (or --quiet): nothing at all
  double every_s = 10;   // --progress-every: seconds between plain lines when the stream is not a terminal
};

// "[run] 3/10 samples, 1.2 s elapsed, ETA 2.8 s" (no ETA before the first unit is done).
std::string progress_line(const std::string& tag, const std::string& unit, int64_t done, int64_t total,
                          double elapsed_s);

class ProgressReporter {
 public:
  // tag: "run", "train", ...; unit: what is counted ("samples", "steps", "cells", "shapes").
  // `out` (stderr by default) decides between the bar (a terminal) and plain lines.
  ProgressReporter(std::string tag, std::string unit, ProgressOptions options, std::FILE* out = stderr);
  ~ProgressReporter();  // ends a bar's line
  ProgressReporter(const ProgressReporter&) = delete;
  ProgressReporter& operator=(const ProgressReporter&) = delete;

  // One line naming a phase ("loading model out/gpt2"), printed at once in both modes.
  void announce(const std::string& phase);
  // Starts the counted work: the clock of the ETA starts here.
  void start(int64_t total);
  // `done` of the total are finished; a line when due (always at done == total).
  void update(int64_t done);

 private:
  using Clock = std::chrono::steady_clock;
  void end_bar();
  std::string tag_, unit_;
  ProgressOptions options_;
  std::FILE* out_;
  bool tty_;
  bool bar_open_ = false;  // a bar is drawn and its line not ended
  int64_t total_ = 0;
  Clock::time_point start_ = Clock::now(), last_line_ = Clock::now();
  bool printed_ = false;  // a line for the counted work was printed (the first update always prints)
};

}  // namespace gptbench::bench
