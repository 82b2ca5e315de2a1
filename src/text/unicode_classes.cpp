#include "gptbench/text/unicode_classes.h"  // char_class

#include <algorithm>  // std::upper_bound

#include "text/unicode_tables.h"  // kClassRanges

namespace gptbench::text {

CharClass detail::char_class_beyond_ascii(char32_t cp) {
  const auto* begin = detail::kClassRanges;
  const auto* end = begin + detail::kClassRangeCount;
  // First range starting after cp; the one before it is the only candidate.
  const auto* it = std::upper_bound(begin, end, cp, [](char32_t c, const detail::CodePointRange& r) { return c < r.first; });
  if (it == begin) return CharClass::kOther;
  --it;
  return cp <= it->last ? it->cls : CharClass::kOther;
}

std::string_view unicode_tables_version() { return detail::kUnicodeTablesVersion; }

}  // namespace gptbench::text
