#include "gptbench/io/output_path.h"  // resolve_output_path, check_output_path

#include <sys/stat.h>  // stat, S_ISREG

#include <system_error>  // std::error_code

#include "gptbench/io/atomic_file.h"  // check_writable
#include "gptbench/util/error.h"      // gptbench::Error, gptbench::UsageError

namespace gptbench::io {
namespace fs = std::filesystem;

fs::path resolve_output_path(const fs::path& path) {
  std::error_code ec;
  // weakly_canonical follows every link in the part that exists, a dangling final link included.
  const fs::path resolved = fs::weakly_canonical(path, ec);
  return ec ? path : resolved;
}

void check_output_path(const fs::path& path, const std::string& flag, const std::vector<fs::path>& inputs) {
  if (path.empty()) return;
  const fs::path target = resolve_output_path(path);
  struct stat out {};
  const bool exists = ::stat(target.c_str(), &out) == 0;
  if (exists && S_ISDIR(out.st_mode)) throw UsageError(flag + " " + path.string() + ": it is a folder, not a file");
  if (exists && !S_ISREG(out.st_mode)) {
    throw UsageError(flag + " " + path.string() + ": not a regular file (a device, pipe or socket); give a file path");
  }
  if (exists) {
    for (const fs::path& input : inputs) {
      struct stat in {};
      if (input.empty() || ::stat(input.c_str(), &in) != 0) continue;
      if (in.st_dev == out.st_dev && in.st_ino == out.st_ino) {
        throw UsageError(flag + " " + path.string() + " is the input file " + input.string() +
                         ": writing it would destroy the input; choose another output path");
      }
    }
  }
  try {
    check_writable(target);
  } catch (const UsageError&) {
    throw;
  } catch (const Error& e) {  // a missing or read-only folder: the user's path, so a usage error naming the flag
    throw UsageError(flag + ": " + e.what());
  }
}

}  // namespace gptbench::io
