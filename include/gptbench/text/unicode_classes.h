// The four code-point classes of GPT-2's pre-tokenisation pattern, from generated Unicode tables
// (src/text/unicode_tables.cpp, made by scripts/gen_unicode_tables.py).
#pragma once

#include <cstdint>      // uint8_t
#include <string_view>  // std::string_view

namespace gptbench::text {

// kLetter = \p{L}, kNumber = \p{N}, kSpace = \s (Unicode White_Space), kOther = everything else,
// which includes unassigned code points and the invalid bytes of a malformed UTF-8 string.
enum class CharClass : uint8_t { kOther, kLetter, kNumber, kSpace };

namespace detail {
extern const CharClass kAsciiClasses[128];  // generated with the range tables
CharClass char_class_beyond_ascii(char32_t cp);
}  // namespace detail

// Inline for ASCII because the pre-tokenizer asks for every character.
inline CharClass char_class(char32_t cp) {
  return cp < 128 ? detail::kAsciiClasses[cp] : detail::char_class_beyond_ascii(cp);
}

// Unicode version of the generated tables, e.g. "14.0.0".
std::string_view unicode_tables_version();

}  // namespace gptbench::text
