// List and range syntax of sweep axes.
#include "gptbench/sweep/axis_list.h"

#include <fmt/format.h>  // fmt::format

#include <algorithm>     // std::find
#include <charconv>      // std::from_chars
#include <system_error>  // std::errc

#include "gptbench/util/error.h"  // UsageError

namespace gptbench::sweep {
namespace {

// Values one list may expand to: a typo such as 1-100000000 fails here instead of planning forever.
constexpr int64_t kMaxAxisValues = 10000;

std::vector<std::string> split_items(const std::string& what, const std::string& text) {
  if (text.find_first_not_of(" \t") == std::string::npos)
    throw UsageError(fmt::format("{}: empty list (give at least one value)", what));
  std::vector<std::string> items;
  size_t start = 0;
  while (true) {
    const size_t comma = text.find(',', start);
    std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    const size_t first = item.find_first_not_of(" \t"), last = item.find_last_not_of(" \t");
    item = first == std::string::npos ? "" : item.substr(first, last - first + 1);
    if (item.empty()) throw UsageError(fmt::format("{}: empty item in \"{}\"", what, text));
    items.push_back(item);
    if (comma == std::string::npos) return items;
    start = comma + 1;
  }
}

int64_t parse_positive(const std::string& what, const std::string& item, const std::string& number) {
  int64_t value = 0;
  const char* end = number.data() + number.size();
  const auto [ptr, ec] = std::from_chars(number.data(), end, value);
  if (number.empty() || ec != std::errc() || ptr != end)
    throw UsageError(fmt::format("{}: \"{}\" is not a number or range (N, A-B, A-B+STEP, A-B*FACTOR)", what, item));
  if (value < 1 || value > kMaxAxisValue)
    throw UsageError(fmt::format("{}: {} in \"{}\" is out of range (1 to {})", what, value, item, kMaxAxisValue));
  return value;
}

// One item: N, A-B, A-B+S or A-B*F.
std::vector<int64_t> expand_item(const std::string& what, const std::string& item) {
  const size_t dash = item.find('-');
  if (dash == std::string::npos) return {parse_positive(what, item, item)};
  const size_t op = item.find_first_of("+*", dash + 1);
  const int64_t first = parse_positive(what, item, item.substr(0, dash));
  const int64_t last = parse_positive(what, item, item.substr(dash + 1, op == std::string::npos ? op : op - dash - 1));
  const bool geometric = op != std::string::npos && item[op] == '*';
  const int64_t step = op == std::string::npos ? 1 : parse_positive(what, item, item.substr(op + 1));
  if (first > last)
    throw UsageError(fmt::format("{}: range \"{}\" runs backwards (first {} > last {})", what, item, first, last));
  if (geometric && step < 2)
    throw UsageError(fmt::format("{}: range \"{}\" needs a factor of at least 2 after '*'", what, item));
  if (!geometric && (last - first) / step >= kMaxAxisValues)
    throw UsageError(fmt::format("{}: range \"{}\" has more than {} values", what, item, kMaxAxisValues));
  std::vector<int64_t> values;
  for (int64_t v = first;; v = geometric ? v * step : v + step) {
    values.push_back(v);
    // The next value is v*F or v+S; compared by division and subtraction so nothing overflows.
    if (geometric ? v > last / step : v > last - step) return values;
  }
}

template <typename T>
void refuse_duplicate(const std::string& what, const std::vector<T>& values, const T& value, const std::string& shown) {
  if (std::find(values.begin(), values.end(), value) != values.end())
    throw UsageError(fmt::format("{}: {} is listed twice (each value once, so no cell runs twice)", what, shown));
}

}  // namespace

std::vector<int64_t> parse_int_list(const std::string& what, const std::string& text) {
  std::vector<int64_t> values;
  for (const std::string& item : split_items(what, text)) {
    for (int64_t v : expand_item(what, item)) {
      refuse_duplicate(what, values, v, std::to_string(v));
      values.push_back(v);
    }
  }
  return values;
}

std::vector<std::optional<int64_t>> parse_window_list(const std::string& what, const std::string& text) {
  std::vector<std::optional<int64_t>> values;
  for (const std::string& item : split_items(what, text)) {
    if (item == "none") {
      refuse_duplicate(what, values, std::optional<int64_t>(), std::string("none"));
      values.emplace_back();
      continue;
    }
    for (int64_t v : expand_item(what, item)) {
      refuse_duplicate(what, values, std::optional<int64_t>(v), std::to_string(v));
      values.emplace_back(v);
    }
  }
  return values;
}

std::vector<std::string> parse_name_list(const std::string& what, const std::string& text) {
  std::vector<std::string> names;
  for (const std::string& item : split_items(what, text)) {
    refuse_duplicate(what, names, item, item);
    names.push_back(item);
  }
  return names;
}

}  // namespace gptbench::sweep
