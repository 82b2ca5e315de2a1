// Declarations of the generated code-point tables (src/text/unicode_tables.cpp).
#pragma once

#include <cstddef>  // std::size_t

#include "gptbench/text/unicode_classes.h"  // CharClass

namespace gptbench::text::detail {

struct CodePointRange {
  char32_t first;
  char32_t last;  // inclusive
  CharClass cls;
};

extern const char kUnicodeTablesVersion[];
extern const CodePointRange kClassRanges[];
extern const std::size_t kClassRangeCount;

}  // namespace gptbench::text::detail
