// A command-line option whose value is one name of an enum's table (gptbench/util/enum_names.h):
// parsed when the command line is, with the table's message on an unknown name.
#pragma once

#include <CLI/CLI.hpp>  // CLI::App, CLI::Option

#include <cstddef>  // size_t
#include <string>   // std::string

#include "gptbench/util/enum_names.h"  // EnumName, parse_enum, enum_name, enum_names

namespace gptbench::cli {

// Declares `flag` on `cmd`: "help (a | b | c)", the default shown as the name of `target`'s current
// value; the given name lands in `target` (UsageError naming the flag for an unknown one).
template <typename Enum, size_t N>
CLI::Option* add_enum_option(CLI::App* cmd, const std::string& flag, const EnumName<Enum> (&table)[N], Enum& target,
                             const std::string& help) {
  return cmd
      ->add_option_function<std::string>(
          flag, [&table, &target, flag](const std::string& text) { target = parse_enum(table, flag, text); }, help)
      ->default_str(enum_name(table, target));
}

}  // namespace gptbench::cli
