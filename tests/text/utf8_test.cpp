// Lenient UTF-8 decoding: valid forms per RFC 3629 / Unicode table 3-7, every other byte alone.
#include <gtest/gtest.h>  // TEST, EXPECT_*

#include <string>  // std::string

#include "gptbench/text/utf8.h"  // decode_utf8_char, is_valid_utf8, append_utf8

namespace gptbench::text {
namespace {

TEST(Utf8, DecodesValidForms) {
  const std::string s = "A\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x98\x80";  // A é 中 😀
  Utf8Char c = decode_utf8_char(s, 0);
  EXPECT_EQ(c.cp, U'A');
  EXPECT_EQ(c.length, 1);
  c = decode_utf8_char(s, 1);
  EXPECT_EQ(c.cp, 0xE9u);
  EXPECT_EQ(c.length, 2);
  c = decode_utf8_char(s, 3);
  EXPECT_EQ(c.cp, 0x4E2Du);
  EXPECT_EQ(c.length, 3);
  c = decode_utf8_char(s, 6);
  EXPECT_EQ(c.cp, 0x1F600u);
  EXPECT_EQ(c.length, 4);
  EXPECT_TRUE(c.valid);
  EXPECT_TRUE(is_valid_utf8(s));
}

TEST(Utf8, BoundaryCodePointsAreValid) {
  for (const std::string& s : {std::string("\xC2\x80"), std::string("\xDF\xBF"), std::string("\xE0\xA0\x80"),
                               std::string("\xED\x9F\xBF"), std::string("\xEE\x80\x80"), std::string("\xEF\xBF\xBF"),
                               std::string("\xF0\x90\x80\x80"), std::string("\xF4\x8F\xBF\xBF")}) {
    EXPECT_TRUE(is_valid_utf8(s)) << s;
  }
}

TEST(Utf8, InvalidBytesDecodeAloneAsThemselves) {
  // Overlong (C0 80, E0 80 AF), surrogate (ED A0 80), above U+10FFFF (F4 90), F5..FF, lone
  // continuation, truncated sequences.
  for (const std::string& s : {std::string("\xC0\x80"), std::string("\xC1\xBF"), std::string("\xE0\x80\xAF"),
                               std::string("\xED\xA0\x80"), std::string("\xF4\x90\x80\x80"), std::string("\xF5\x80\x80\x80"),
                               std::string("\xFF"), std::string("\x80"), std::string("\xE2\x80"), std::string("\xF0\x9F\x98")}) {
    EXPECT_FALSE(is_valid_utf8(s));
    const Utf8Char c = decode_utf8_char(s, 0);
    EXPECT_FALSE(c.valid);
    EXPECT_EQ(c.length, 1);
    EXPECT_EQ(c.cp, static_cast<unsigned char>(s[0]));
  }
  // The valid character after a truncated sequence is still found.
  const std::string s = "\xE2\x80" "A";
  EXPECT_FALSE(decode_utf8_char(s, 0).valid);
  EXPECT_FALSE(decode_utf8_char(s, 1).valid);
  EXPECT_TRUE(decode_utf8_char(s, 2).valid);
}

TEST(Utf8, AppendEncodesEachLength) {
  std::string out;
  for (const char32_t cp : {U'A', char32_t{0xE9}, char32_t{0x4E2D}, char32_t{0x1F600}, char32_t{0x10FFFF}}) append_utf8(out, cp);
  EXPECT_EQ(out, "A\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x98\x80\xF4\x8F\xBF\xBF");
}

}  // namespace
}  // namespace gptbench::text
