// The main() of gptbench's small tools (test drivers, tools/): runs the tool's body and turns its
// exceptions into the project's exit statuses, with the tool's name before the message.
#pragma once

#include <cstdio>     // std::fprintf
#include <exception>  // std::exception

#include "gptbench/util/error.h"  // UsageError, kExitUsageError, kExitRuntimeError

namespace gptbench {

// run(argc, argv)'s status; UsageError -> "NAME: message", kExitUsageError; any other exception ->
// "NAME: message", kExitRuntimeError.
template <typename Run>
int tool_main(const char* name, int argc, char** argv, Run&& run) {
  try {
    return run(argc, argv);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "%s: %s\n", name, e.what());
    return kExitUsageError;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", name, e.what());
    return kExitRuntimeError;
  }
}

}  // namespace gptbench
