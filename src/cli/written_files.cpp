// The written-files line.
#include "written_files.h"  // this file's declarations

#include <fmt/format.h>  // fmt::print

#include <cstdio>  // stderr

namespace gptbench::cli {

void print_written_files(const std::vector<std::pair<std::string, std::string>>& flag_paths) {
  std::string line;
  for (const auto& [flag, path] : flag_paths)
    if (!path.empty()) line += fmt::format("{}{} ({})", line.empty() ? "" : ", ", path, flag);
  if (!line.empty()) fmt::print(stderr, "wrote: {}\n", line);
}

}  // namespace gptbench::cli
