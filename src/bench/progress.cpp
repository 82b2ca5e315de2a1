// Progress on stderr (progress.h).
#include "gptbench/bench/progress.h"  // this file's declarations

#include <fmt/format.h>  // fmt::format, fmt::print
#include <unistd.h>      // isatty, fileno

#include <algorithm>  // std::clamp
#include <utility>    // std::move

namespace gptbench::bench {
namespace {

constexpr int kBarWidth = 24;
constexpr double kBarRedrawS = 0.1;  // a terminal bar is redrawn at most ten times a second

double seconds(std::chrono::steady_clock::duration d) { return std::chrono::duration<double>(d).count(); }

// 42.0 s, 12 min 5 s, 2 h 3 min: short enough for a bar, exact enough for an ETA.
std::string duration_text(double s) {
  if (s < 60) return fmt::format("{:.1f} s", s);
  const auto whole = static_cast<int64_t>(s);
  if (whole < 3600) return fmt::format("{} min {} s", whole / 60, whole % 60);
  return fmt::format("{} h {} min", whole / 3600, (whole % 3600) / 60);
}

}  // namespace

std::string progress_line(const std::string& tag, const std::string& unit, int64_t done, int64_t total,
                          double elapsed_s) {
  std::string line = fmt::format("[{}] {}/{} {}, {} elapsed", tag, done, total, unit, duration_text(elapsed_s));
  if (done > 0 && done < total)
    line += ", ETA " + duration_text(elapsed_s / static_cast<double>(done) * static_cast<double>(total - done));
  return line;
}

ProgressReporter::ProgressReporter(std::string tag, std::string unit, ProgressOptions options, std::FILE* out)
    : tag_(std::move(tag)), unit_(std::move(unit)), options_(options), out_(out), tty_(isatty(fileno(out)) == 1) {}

ProgressReporter::~ProgressReporter() { end_bar(); }

void ProgressReporter::end_bar() {
  if (!bar_open_) return;
  fmt::print(out_, "\n");
  std::fflush(out_);
  bar_open_ = false;
}

void ProgressReporter::announce(const std::string& phase) {
  if (!options_.enabled) return;
  end_bar();
  fmt::print(out_, "[{}] {}\n", tag_, phase);
  std::fflush(out_);
}

void ProgressReporter::start(int64_t total) {
  total_ = total;
  start_ = last_line_ = Clock::now();
  printed_ = false;
}

void ProgressReporter::update(int64_t done) {
  if (!options_.enabled) return;
  const Clock::time_point now = Clock::now();
  const bool last = done >= total_;
  const double since_line = seconds(now - last_line_);
  const std::string line = progress_line(tag_, unit_, done, total_, seconds(now - start_));
  if (tty_) {
    if (!last && printed_ && since_line < kBarRedrawS) return;
    const double share = total_ > 0 ? std::clamp(static_cast<double>(done) / static_cast<double>(total_), 0.0, 1.0) : 1.0;
    const int filled = static_cast<int>(share * kBarWidth);
    fmt::print(out_, "\r[{}{}] {}\033[K", std::string(filled, '#'), std::string(kBarWidth - filled, '.'), line);
    bar_open_ = true;
    if (last) end_bar();
  } else {
    if (!last && printed_ && since_line < options_.every_s) return;
    fmt::print(out_, "{}\n", line);
  }
  std::fflush(out_);
  printed_ = true;
  last_line_ = now;
}

}  // namespace gptbench::bench
