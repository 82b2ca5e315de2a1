// Merging sweep files.
#include "gptbench/sweep/sweep_merge.h"

#include <fmt/format.h>  // fmt::format

#include <set>  // std::set

#include "gptbench/sweep/sweep_file.h"  // read_sweep_file, check_definition, best_cells, sweep_header
#include "gptbench/util/error.h"        // UsageError

namespace gptbench::sweep {

MergedSweep merge_sweep_files(const std::vector<std::filesystem::path>& inputs) {
  if (inputs.empty()) throw UsageError("merge: give at least one sweep file");
  std::vector<nlohmann::json> lines;
  nlohmann::json definition;
  int64_t n_cells = 0;
  nlohmann::json sources = nlohmann::json::array();
  for (const auto& path : inputs) {
    SweepFile file = read_sweep_file(path);
    if (definition.is_null()) {
      definition = file.header.at("definition");
      n_cells = file.header.at("n_cells").get<int64_t>();
    } else {
      check_definition(file, definition,
                       fmt::format("merge only shards of one sweep (the first definition is {}'s)", inputs.front().string()));
    }
    sources.push_back(path.string());
    lines.insert(lines.end(), file.cells.begin(), file.cells.end());
  }
  MergedSweep merged;
  merged.header = sweep_header(definition, n_cells, Shard{});
  merged.header["merged_from"] = sources;
  merged.cells = best_cells(lines);
  std::set<int64_t> present;
  for (const auto& c : merged.cells) present.insert(c.at("index").get<int64_t>());
  for (int64_t i = 0; i < n_cells; ++i)
    if (present.count(i) == 0) merged.missing.push_back(i);
  return merged;
}

}  // namespace gptbench::sweep
