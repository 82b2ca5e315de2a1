// summarize_profile and its JSON and table forms (profile_summary.h).
#include "gptbench/bench/profile_summary.h"

#include <fmt/format.h>  // fmt::format

#include <algorithm>  // std::sort, std::min, std::max
#include <map>        // std::map
#include <tuple>      // std::tie

namespace gptbench::bench {
namespace {

// Kernel names are demangled templates that run to hundreds of characters.
constexpr size_t kTableNameWidth = 90;

// Self time of each op: its duration less the durations of the ops directly nested in it. Ops of
// one thread, sorted by start (the enclosing one first when two start together), form a forest:
// an op is inside the nearest earlier op that has not ended when it starts.
std::vector<double> self_times_ns(const std::vector<ProfiledEvent>& ops) {
  std::vector<double> self(ops.size());
  for (size_t i = 0; i < ops.size(); ++i) self[i] = static_cast<double>(ops[i].duration_ns);
  std::vector<size_t> open;  // the chain of enclosing ops on the current thread
  for (size_t i = 0; i < ops.size(); ++i) {
    if (i > 0 && ops[i].thread != ops[i - 1].thread) open.clear();
    while (!open.empty() && ops[open.back()].start_ns + ops[open.back()].duration_ns <= ops[i].start_ns)
      open.pop_back();
    if (!open.empty()) self[open.back()] -= static_cast<double>(ops[i].duration_ns);
    open.push_back(i);
  }
  // A child that outlives its parent (clock skew between two records) must not make it negative.
  for (double& s : self) s = std::max(0.0, s);
  return self;
}

}  // namespace

std::string profile_kind_name(ProfileKind kind) {
  return kind == ProfileKind::kCudaKernels ? "cuda-kernels" : "cpu-ops";
}

ProfileSummary summarize_profile(std::vector<ProfiledEvent> events, ProfileKind kind, size_t top_n, double wall_us) {
  std::sort(events.begin(), events.end(), [](const ProfiledEvent& a, const ProfiledEvent& b) {
    // Longer first on equal starts: the enclosing op precedes the op it encloses.
    const uint64_t neg_a = ~a.duration_ns, neg_b = ~b.duration_ns;
    return std::tie(a.thread, a.start_ns, neg_a) < std::tie(b.thread, b.start_ns, neg_b);
  });
  std::vector<double> time_ns(events.size());
  if (kind == ProfileKind::kCpuOps) {
    time_ns = self_times_ns(events);
  } else {
    for (size_t i = 0; i < events.size(); ++i) time_ns[i] = static_cast<double>(events[i].duration_ns);
  }

  std::map<std::string, ProfileRow> rows;
  ProfileSummary s;
  s.kind = kind;
  s.wall_us = wall_us;
  for (size_t i = 0; i < events.size(); ++i) {
    ProfileRow& row = rows[events[i].name];
    row.name = events[i].name;
    row.calls += 1;
    row.total_us += time_ns[i] / 1000.0;
    s.total_us += time_ns[i] / 1000.0;
  }
  s.calls = static_cast<int64_t>(events.size());
  s.distinct = static_cast<int64_t>(rows.size());
  for (auto& [name, row] : rows) {
    row.mean_us = row.total_us / static_cast<double>(row.calls);
    row.percent = s.total_us > 0 ? 100.0 * row.total_us / s.total_us : 0.0;
    s.top.push_back(row);
  }
  // std::map iterates by name, and stable_sort keeps that order among equal totals.
  std::stable_sort(s.top.begin(), s.top.end(),
                   [](const ProfileRow& a, const ProfileRow& b) { return a.total_us > b.total_us; });
  if (s.top.size() > top_n) s.top.resize(top_n);
  return s;
}

nlohmann::json to_json(const ProfileSummary& s) {
  nlohmann::json top = nlohmann::json::array();
  for (const ProfileRow& r : s.top)
    top.push_back({{"name", r.name},
                   {"calls", r.calls},
                   {"total_us", r.total_us},
                   {"mean_us", r.mean_us},
                   {"percent", r.percent}});
  const bool kernels = s.kind == ProfileKind::kCudaKernels;
  return {{"trace", s.trace_path},
          {"kind", profile_kind_name(s.kind)},
          {"time", kernels ? "device time of each kernel" : "self time of each op (nested ops excluded)"},
          {"top", top},
          {"totals",
           {{"calls", s.calls},
            {"distinct", s.distinct},
            {"total_us", s.total_us},
            {"wall_us", s.wall_us},
            {"memcpy_memset_us", kernels ? nlohmann::json(s.memcpy_memset_us) : nlohmann::json(nullptr)}}},
          {"note", s.note.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.note)}};
}

std::string format_profile_table(const ProfileSummary& s, size_t rows) {
  const bool kernels = s.kind == ProfileKind::kCudaKernels;
  std::string out = fmt::format("[profile] {}: {} {} of {} names, {:.1f} us {} in {:.1f} us wall; trace {}\n",
                                profile_kind_name(s.kind), s.calls, kernels ? "kernel launches" : "op calls",
                                s.distinct, s.total_us, kernels ? "device time" : "op self time", s.wall_us,
                                s.trace_path);
  if (!s.note.empty()) out += fmt::format("[profile] note: {}\n", s.note);
  out += fmt::format("{:>12} {:>8} {:>10} {:>6}  {}\n", "total us", "calls", "mean us", "%", "name");
  for (size_t i = 0; i < std::min(rows, s.top.size()); ++i) {
    const ProfileRow& r = s.top[i];
    const std::string name =
        r.name.size() > kTableNameWidth ? r.name.substr(0, kTableNameWidth - 3) + "..." : r.name;
    out += fmt::format("{:>12.1f} {:>8} {:>10.2f} {:>6.2f}  {}\n", r.total_us, r.calls, r.mean_us, r.percent, name);
  }
  return out;
}

}  // namespace gptbench::bench
