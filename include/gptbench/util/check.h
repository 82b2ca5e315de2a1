// GPTBENCH_CHECK(cond, message): throws gptbench::Error with the message when cond is false.
// Use it for input validation on every path a user's file or flag can reach; it never aborts.
#pragma once

#include <fmt/format.h>  // fmt::format for the message arguments

#include "gptbench/util/error.h"  // gptbench::Error

#define GPTBENCH_CHECK(cond, ...)                             \
  do {                                                        \
    if (!(cond)) throw ::gptbench::Error(fmt::format(__VA_ARGS__)); \
  } while (0)
