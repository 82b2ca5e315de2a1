// Spot checks of the generated class tables against the Unicode Character Database; the oracle
// test tokenizer_oracle_codepoints covers every code point against tiktoken.
#include <gtest/gtest.h>  // TEST, EXPECT_*

#include "gptbench/text/unicode_classes.h"  // char_class, unicode_tables_version

namespace gptbench::text {
namespace {

TEST(UnicodeClasses, Letters) {
  for (const char32_t cp : {U'A', U'z', char32_t{0xE9}, char32_t{0xDF}, char32_t{0x3A9}, char32_t{0x416},
                            char32_t{0x5D0}, char32_t{0x628}, char32_t{0x915}, char32_t{0x4E2D}, char32_t{0xAC00},
                            char32_t{0x2B0}, char32_t{0x1D400}, char32_t{0x20000}}) {
    EXPECT_EQ(char_class(cp), CharClass::kLetter) << std::hex << cp;
  }
}

TEST(UnicodeClasses, Numbers) {
  // Nd (ASCII, Arabic-Indic, Devanagari, math bold), Nl (Roman numeral), No (½, ², circled one).
  for (const char32_t cp : {U'0', U'9', char32_t{0x663}, char32_t{0x967}, char32_t{0x1D7CF}, char32_t{0x216B},
                            char32_t{0xBD}, char32_t{0xB2}, char32_t{0x2460}}) {
    EXPECT_EQ(char_class(cp), CharClass::kNumber) << std::hex << cp;
  }
}

TEST(UnicodeClasses, SpacesAreUnicodeWhiteSpace) {
  for (const char32_t cp : {char32_t{0x09}, char32_t{0x0A}, char32_t{0x0B}, char32_t{0x0C}, char32_t{0x0D},
                            char32_t{0x20}, char32_t{0x85}, char32_t{0xA0}, char32_t{0x1680}, char32_t{0x2000},
                            char32_t{0x200A}, char32_t{0x2028}, char32_t{0x2029}, char32_t{0x202F}, char32_t{0x205F},
                            char32_t{0x3000}}) {
    EXPECT_EQ(char_class(cp), CharClass::kSpace) << std::hex << cp;
  }
}

TEST(UnicodeClasses, OtherIncludesWhatPythonIsspaceWouldCallSpace) {
  // U+001C..U+001F are str.isspace() in Python but not White_Space; ZWSP, BOM and U+180E are not
  // spaces either. Marks, symbols, emoji, private use and unassigned code points are "other".
  for (const char32_t cp : {char32_t{0x1C}, char32_t{0x1F}, char32_t{0x200B}, char32_t{0xFEFF}, char32_t{0x180E},
                            char32_t{0x301}, char32_t{0x27}, char32_t{0x2019}, char32_t{0x20AC}, char32_t{0x1F600},
                            char32_t{0x200D}, char32_t{0xE000}, char32_t{0x10FFFF}, char32_t{0x0}, char32_t{0x7F}}) {
    EXPECT_EQ(char_class(cp), CharClass::kOther) << std::hex << cp;
  }
}

TEST(UnicodeClasses, TablesNameTheirUnicodeVersion) {
  const std::string_view v = unicode_tables_version();
  ASSERT_GE(v.size(), 5u);
  EXPECT_GE(v[0], '1');  // a version like "14.0.0"
  EXPECT_NE(v.find('.'), std::string_view::npos);
}

}  // namespace
}  // namespace gptbench::text
