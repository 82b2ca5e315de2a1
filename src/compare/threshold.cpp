// Parsing the threshold flags of `gptbench compare`.
#include "gptbench/compare/threshold.h"  // this file's declarations

#include <fmt/format.h>  // fmt::format
#include <fmt/ranges.h>  // fmt::join

#include <algorithm>  // std::find, std::count

#include "gptbench/util/error.h"  // UsageError

namespace gptbench::compare {
namespace {

// A plain decimal: digits with at most one '.', at least one digit. No sign, exponent, hex,
// "nan" or "inf": std::stod would take all of those.
bool is_plain_decimal(std::string_view s) {
  int digits = 0, dots = 0;
  for (char ch : s) {
    if (ch >= '0' && ch <= '9') {
      ++digits;
    } else if (ch == '.') {
      ++dots;
    } else {
      return false;
    }
  }
  return digits > 0 && dots <= 1;
}

double parse_non_negative(std::string_view flag, std::string_view text, std::string_view number,
                          std::string_view example) {
  if (!number.empty() && number.front() == '-')
    throw UsageError(fmt::format("{}: must not be negative, got \"{}\"", flag, text));
  if (!is_plain_decimal(number))
    throw UsageError(fmt::format("{}: \"{}\" is not a number (write e.g. {})", flag, text, example));
  return std::stod(std::string(number));
}

}  // namespace

double parse_relative_threshold(std::string_view flag, std::string_view text) {
  if (!text.empty() && text.back() == '%')
    return parse_non_negative(flag, text, text.substr(0, text.size() - 1), "10% or 0.10") / 100.0;
  const double fraction = parse_non_negative(flag, text, text, "10% or 0.10");
  if (fraction > 1.0)
    throw UsageError(fmt::format("{}: \"{}\" is ambiguous: a bare number is a fraction (0.10 = 10%); write {}% or {}",
                                 flag, text, text, fraction / 100.0));
  return fraction;
}

double parse_absolute_drop(std::string_view flag, std::string_view text) {
  if (!text.empty() && text.back() == '%')
    throw UsageError(fmt::format("{}: \"{}\": the drop is absolute on the 0-1 scale (ROUGE F, BLEU/100), "
                                 "not a percentage; write e.g. 0.005",
                                 flag, text));
  const double drop = parse_non_negative(flag, text, text, "0.005");
  if (drop > 1.0)
    throw UsageError(fmt::format("{}: {} is above 1, but scores are on the 0-1 scale (ROUGE F, BLEU/100)", flag, text));
  return drop;
}

std::vector<std::string> parse_metric_list(std::string_view flag, std::string_view text,
                                           const std::vector<std::string>& known) {
  std::vector<std::string> names;
  if (text == "none") return names;
  size_t start = 0;
  while (true) {
    const size_t comma = text.find(',', start);
    const std::string name(text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    if (std::find(known.begin(), known.end(), name) == known.end())
      throw UsageError(fmt::format("{}: unknown metric \"{}\" (known: {}, or none)", flag, name, fmt::join(known, ", ")));
    if (std::count(names.begin(), names.end(), name) > 0)
      throw UsageError(fmt::format("{}: metric \"{}\" given twice", flag, name));
    names.push_back(name);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return names;
}

}  // namespace gptbench::compare
