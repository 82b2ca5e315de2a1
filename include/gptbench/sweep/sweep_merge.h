// gptbench merge: shard files (or partial runs) of one sweep into one file. Files of different
// sweep definitions are refused; a cell in several files counts once (best_cells' rule); the cells
// are ordered by index.
#pragma once

#include <nlohmann/json.hpp>  // nlohmann::json

#include <cstdint>     // int64_t
#include <filesystem>  // std::filesystem::path
#include <vector>      // std::vector

namespace gptbench::sweep {

struct MergedSweep {
  nlohmann::json header;  // shard 0/1, "merged_from": the inputs
  std::vector<nlohmann::json> cells;
  std::vector<int64_t> missing;  // indices of the plan with no line in any input
};

// Error naming the file whose definition differs from the first one's.
MergedSweep merge_sweep_files(const std::vector<std::filesystem::path>& inputs);

}  // namespace gptbench::sweep
