// Runs a sweep (or one shard of it) in this process: every cell not already in the output file is
// one call of run::run_summarization with a freshly loaded model, its line appended and fsynced
// as it finishes. A failing cell (a CUDA out-of-memory error included) becomes that cell's
// "error" line and the sweep goes on; cached device memory is released and peak statistics reset
// between cells. Rerunning resumes: cells with a line are skipped (errors too, unless retry_failed).
#pragma once

#include <nlohmann/json.hpp>  // nlohmann::json

#include <cstdint>     // int64_t
#include <filesystem>  // std::filesystem::path
#include <vector>      // std::vector

#include "gptbench/bench/progress.h"    // ProgressOptions
#include "gptbench/sweep/sweep_plan.h"  // Shard
#include "gptbench/sweep/sweep_spec.h"  // SweepSpec

namespace gptbench::sweep {

enum class FailedCells { kKeep, kRetry };
enum class ExistingFile { kResume, kReplace };

struct SweepOptions {
  std::filesystem::path out;  // the JSONL file
  Shard shard;
  FailedCells failed = FailedCells::kKeep;
  ExistingFile existing = ExistingFile::kResume;
  bench::ProgressOptions progress;  // one line per cell on stderr, a bar or timed lines with the ETA
};

struct SweepOutcome {
  int64_t planned = 0;       // cells of this shard
  int64_t already_done = 0;  // had a line before this run
  int64_t ran = 0;           // lines written by this run (skipped cells included)
  std::vector<nlohmann::json> cells;  // the file's cells after the run (best line per key, index order)
};

SweepOutcome run_sweep(const SweepSpec& spec, const SweepOptions& options);

// Test hook: GPTBENCH_SWEEP_INJECT_OOM=3,7 makes cells 3 and 7 fail as a CUDA out-of-memory error
// would (a c10-style message through the same error path), so failure handling is testable on the CPU.
inline constexpr const char* kInjectOomEnv = "GPTBENCH_SWEEP_INJECT_OOM";

// "SWEEP: 12 cells: 8 ok, 3 skipped, 1 error" for a list of cell lines.
std::string status_counts(const std::vector<nlohmann::json>& cells);

}  // namespace gptbench::sweep
