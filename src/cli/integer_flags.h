// Integer flags are read exactly or refused: CLI11 2.1 parses them with strtoll/strtoull and keeps
// the clamped value of an out-of-range number (99999999999999999999 becomes INT64_MAX) and the
// wrapped value of a negative unsigned one.
#pragma once

#include <CLI/CLI.hpp>  // CLI::App

namespace gptbench::cli {

// Adds a range check to every integer option of `app` and its subcommands (all registered by
// now): a value outside the 64-bit range, or a negative value for an unsigned option, is a usage
// error naming the flag. Narrower types are range-checked by CLI11 itself.
void check_integer_flags(CLI::App& app);

}  // namespace gptbench::cli
