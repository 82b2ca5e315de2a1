// The mixed UTF-8 / Windows-1252 rule. Expected strings are Python's codecs: bytes.decode("cp1252")
// for the defined bytes, and the WHATWG index (Latin-1 C1 controls) for 0x81 0x8D 0x8F 0x90 0x9D.
#include <gtest/gtest.h>  // TEST, EXPECT_*

#include <string>  // std::string

#include "gptbench/data/text_decoding.h"  // decode_mixed_text
#include "gptbench/text/utf8.h"           // is_valid_utf8

namespace gptbench::data {
namespace {

TEST(TextDecoding, AsciiAndValidUtf8StayAsTheyAre) {
  auto d = decode_mixed_text("plain text");
  EXPECT_EQ(d.text, "plain text");
  EXPECT_EQ(d.path, TextDecodingPath::kAscii);
  d = decode_mixed_text("\xe0\xae\xa4\xe0\xae\xae\xe0\xae\xbf\xe0\xae\xb4\xe0\xaf\x8d \xe2\x80\x99");  // தமிழ் ’
  EXPECT_EQ(d.text, "\xe0\xae\xa4\xe0\xae\xae\xe0\xae\xbf\xe0\xae\xb4\xe0\xaf\x8d \xe2\x80\x99");
  EXPECT_EQ(d.path, TextDecodingPath::kUtf8);
  EXPECT_EQ(d.cp1252_bytes, 0u);
}

TEST(TextDecoding, InvalidBytesAreWindows1252) {
  auto d = decode_mixed_text("S\xe3o Jo\xe3o");
  EXPECT_EQ(d.text, "S\xc3\xa3o Jo\xc3\xa3o");  // São João
  EXPECT_EQ(d.path, TextDecodingPath::kCp1252);
  EXPECT_EQ(d.cp1252_bytes, 2u);
  EXPECT_EQ(decode_mixed_text("\xa0").text, "\xc2\xa0");               // NBSP
  EXPECT_EQ(decode_mixed_text("\x80").text, "\xe2\x82\xac");           // €
  EXPECT_EQ(decode_mixed_text("\x92").text, "\xe2\x80\x99");           // ’
  EXPECT_EQ(decode_mixed_text("\x93\x94").text, "\xe2\x80\x9c\xe2\x80\x9d");  // “”
  EXPECT_EQ(decode_mixed_text("\x9f").text, "\xc5\xb8");               // Ÿ
  EXPECT_EQ(decode_mixed_text("\xff").text, "\xc3\xbf");               // ÿ
}

TEST(TextDecoding, UndefinedCp1252BytesBecomeC1Controls) {
  EXPECT_EQ(decode_mixed_text("\x81").text, "\xc2\x81");
  EXPECT_EQ(decode_mixed_text("\x8d").text, "\xc2\x8d");
  EXPECT_EQ(decode_mixed_text("\x8f").text, "\xc2\x8f");
  EXPECT_EQ(decode_mixed_text("\x90").text, "\xc2\x90");
  EXPECT_EQ(decode_mixed_text("\x9d").text, "\xc2\x9d");
}

TEST(TextDecoding, MixedFieldKeepsItsUtf8AndFixesTheRest) {
  // Genuine UTF-8 Tamil next to a stray Latin-1 NBSP, and a UTF-8 quote whose tail became "??".
  auto d = decode_mixed_text("\xe0\xae\xa4\xa0x \xe2??s");
  EXPECT_EQ(d.text, "\xe0\xae\xa4\xc2\xa0x \xc3\xa2??s");
  EXPECT_EQ(d.path, TextDecodingPath::kCp1252);
  EXPECT_EQ(d.cp1252_bytes, 2u);
}

TEST(TextDecoding, OutputIsAlwaysValidUtf8) {
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  EXPECT_TRUE(text::is_valid_utf8(decode_mixed_text(all).text));
}

TEST(TextDecoding, StatsCountFieldsPerPath) {
  TextDecodingStats stats;
  stats.add(decode_mixed_text("a"));
  stats.add(decode_mixed_text("b"));
  stats.add(decode_mixed_text("\xc3\xa9"));
  stats.add(decode_mixed_text("\xe9\xe9"));
  EXPECT_EQ(stats.ascii, 2u);
  EXPECT_EQ(stats.utf8, 1u);
  EXPECT_EQ(stats.cp1252, 1u);
  EXPECT_EQ(stats.cp1252_bytes, 2u);
  EXPECT_EQ(stats.summary(), "2 ascii, 1 utf-8, 1 with cp1252 bytes (2 bytes)");
}

}  // namespace
}  // namespace gptbench::data
