// Where the time of a profiled region went: the top device kernels by total time, or without a
// device the top CPU ops by self time, each with its share of the total. Plain aggregation over
// plain events, apart from the profiler (profiler.h), so it is tested without one.
#pragma once

#include <nlohmann/json.hpp>  // nlohmann::json

#include <cstddef>  // size_t
#include <cstdint>  // int64_t, uint64_t
#include <string>   // std::string
#include <vector>   // std::vector

namespace gptbench::bench {

enum class ProfileKind { kCudaKernels, kCpuOps };
std::string profile_kind_name(ProfileKind kind);  // "cuda-kernels" | "cpu-ops"

inline constexpr size_t kProfileTopN = 25;       // rows in the report
inline constexpr size_t kProfileTableRows = 10;  // rows printed on stderr

// One recorded event: a device kernel, or a CPU op (ops nest on their thread).
struct ProfiledEvent {
  std::string name;
  uint64_t thread = 0;  // CPU ops: the thread they ran on; kernels: unused
  uint64_t start_ns = 0;
  uint64_t duration_ns = 0;
};

struct ProfileRow {
  std::string name;
  int64_t calls = 0;
  double total_us = 0, mean_us = 0;
  double percent = 0;  // of ProfileSummary::total_us
};

struct ProfileSummary {
  ProfileKind kind = ProfileKind::kCpuOps;
  std::vector<ProfileRow> top;  // by total_us, largest first (ties by name)
  int64_t calls = 0;            // events in the region: kernel launches, or op calls
  int64_t distinct = 0;         // distinct names among them
  double total_us = 0;          // kernels: summed device time; ops: summed self time
  double wall_us = 0;           // the region on the host's steady clock
  double memcpy_memset_us = 0;  // kernels only: device copies and fills, not in total_us
  std::string trace_path;       // the Chrome trace (chrome://tracing, Perfetto)
  std::string note;             // why the kind is not the one asked for, when it is not
};

// kCudaKernels: every event counts whole (kernels do not nest). kCpuOps: an op counts its self
// time, its duration less that of the ops directly inside it on its thread, so that the rows add
// up to the time spent in ops without counting a nested op twice. `wall_us` is copied through.
ProfileSummary summarize_profile(std::vector<ProfiledEvent> events, ProfileKind kind, size_t top_n, double wall_us);

// {"trace", "kind", "time", "top": [{"name", "calls", "total_us", "mean_us", "percent"}],
//  "totals": {"calls", "distinct", "total_us", "wall_us", "memcpy_memset_us"}, "note"}: docs/result-schema.md.
nlohmann::json to_json(const ProfileSummary& summary);

// A heading line and the first `rows` rows, names cut to fit a terminal line.
std::string format_profile_table(const ProfileSummary& summary, size_t rows);

}  // namespace gptbench::bench
