// One table per enum-valued flag (--timing, --task, --decode, --precision, ...): the same rows
// parse the flag at the command line and write its value back into reports, so the two can
// never disagree.
#pragma once

#include <fmt/format.h>  // fmt::format

#include <cstddef>  // size_t
#include <string>   // std::string

#include "gptbench/util/error.h"  // Error, UsageError

namespace gptbench {

template <typename Enum>
struct EnumName {
  Enum value;
  const char* name;  // as written on the command line and in reports
};

// "a, b, c": the names of a table, for messages and help texts.
template <typename Enum, size_t N>
std::string enum_names(const EnumName<Enum> (&table)[N]) {
  std::string names;
  for (const auto& row : table) names += fmt::format("{}{}", names.empty() ? "" : ", ", row.name);
  return names;
}

// The value named `text`; UsageError `WHAT: unknown value "text" (a, b, c)` otherwise, where `what`
// names the flag or setting ("--timing", or `sweep.json: "timing"`).
template <typename Enum, size_t N>
Enum parse_enum(const EnumName<Enum> (&table)[N], const std::string& what, const std::string& text) {
  for (const auto& row : table)
    if (text == row.name) return row.value;
  throw UsageError(fmt::format("{}: unknown value \"{}\" ({})", what, text, enum_names(table)));
}

// The name of `value`; a value missing from its table is a programming error.
template <typename Enum, size_t N>
std::string enum_name(const EnumName<Enum> (&table)[N], Enum value) {
  for (const auto& row : table)
    if (row.value == value) return row.name;
  throw Error(fmt::format("enum value {} has no name in its table", static_cast<long long>(value)));
}

}  // namespace gptbench
