// Several devices of one host (--devices 0,1,2,3): one worker process per device, each the same
// gptbench binary running `gptbench sweep --config PLAN --shard k/N --device D --out PART --no-summary`
// (PLAN: the resolved sweep written beside the output), then the parts (and the output file
// itself, when resuming) merged into the output. Parts stay beside the output so a rerun resumes them.
#pragma once

#include <filesystem>  // std::filesystem::path
#include <string>      // std::string
#include <vector>      // std::vector

#include "gptbench/sweep/sweep_merge.h"   // MergedSweep
#include "gptbench/sweep/sweep_plan.h"    // Shard
#include "gptbench/sweep/sweep_runner.h"  // FailedCells, ExistingFile
#include "gptbench/sweep/sweep_spec.h"    // SweepSpec

namespace gptbench::sweep {

// "0,1,cuda:3,cpu": an integer N means cuda:N. All of one device type; UsageError naming `what`.
std::vector<std::string> parse_devices(const std::string& what, const std::string& text);

// OUT.jsonl -> OUT.part-K-of-N.jsonl
std::filesystem::path part_path(const std::filesystem::path& out, const Shard& shard);

struct ParallelSweepOptions {
  std::filesystem::path out;
  std::vector<std::string> devices;  // one worker each, shard k of devices.size()
  FailedCells failed = FailedCells::kKeep;
  ExistingFile existing = ExistingFile::kResume;
};

struct ParallelOutcome {
  MergedSweep merged;                        // what was written to `out`
  std::vector<std::string> worker_failures;  // one line per worker that did not exit 0
};

// Spawns the workers (posix_spawn), waits for all of them (waitpid), merges what they wrote.
ParallelOutcome run_parallel_sweep(const SweepSpec& spec, const ParallelSweepOptions& options);

}  // namespace gptbench::sweep
