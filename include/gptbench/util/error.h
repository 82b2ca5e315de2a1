// Error types shared by every module. main() maps them to exit codes:
// UsageError -> 2 (bad flags or arguments), every other gptbench::Error -> 1.
// Messages are one line and name the file, tensor or flag at fault.
#pragma once

#include <stdexcept>  // std::runtime_error
#include <string>     // std::string

namespace gptbench {

// Runtime failure caused by the input (a file, a tensor, a dataset row) or the device.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// The command line itself is wrong: unknown flag, bad flag value, missing argument.
class UsageError : public Error {
 public:
  explicit UsageError(const std::string& message) : Error(message) {}
};

inline constexpr int kExitOk = 0;
inline constexpr int kExitRuntimeError = 1;
inline constexpr int kExitUsageError = 2;

}  // namespace gptbench
