// Output paths are resolved and checked before any work starts, so that a run never spends an hour
// and then fails to write, and never replaces one of its own inputs or a device.
#pragma once

#include <filesystem>  // std::filesystem::path
#include <string>      // std::string
#include <vector>      // std::vector

namespace gptbench::io {

// Where a write to `path` lands: a symlink (also one in the folder part) is followed to its target,
// so the link stays and its target gets the content. A path that does not exist yet is returned as is.
std::filesystem::path resolve_output_path(const std::filesystem::path& path);

// Checks the output `path` given by `flag` (e.g. "--out") before the work: it must not be a
// folder, a device, a pipe or a socket (gptbench::UsageError naming the flag), must not be the same
// file as any of `inputs` by device and inode, also through links (UsageError naming both), and its
// folder must accept a new file (UsageError naming the flag: exit 2 before any work). An empty `path` (no output asked for) passes, as
// do inputs that are empty or do not exist. Leaves nothing behind.
void check_output_path(const std::filesystem::path& path, const std::string& flag,
                       const std::vector<std::filesystem::path>& inputs = {});

}  // namespace gptbench::io
