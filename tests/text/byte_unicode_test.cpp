// GPT-2's bytes_to_unicode table (OpenAI encoder.py): pinned entries and the inverse.
#include <gtest/gtest.h>  // TEST, EXPECT_*

#include <set>  // std::set

#include "gptbench/text/byte_unicode.h"  // byte_to_unicode, unicode_to_byte

namespace gptbench::text {
namespace {

TEST(ByteUnicode, PrintableBytesMapToThemselves) {
  for (int b = '!'; b <= '~'; ++b) EXPECT_EQ(byte_to_unicode(static_cast<uint8_t>(b)), static_cast<char32_t>(b));
  EXPECT_EQ(byte_to_unicode(0xA1), 0xA1u);  // ¡
  EXPECT_EQ(byte_to_unicode(0xAC), 0xACu);  // ¬
  EXPECT_EQ(byte_to_unicode(0xAE), 0xAEu);  // ®
  EXPECT_EQ(byte_to_unicode(0xFF), 0xFFu);  // ÿ
}

TEST(ByteUnicode, RemappedBytesAreTheFamiliarTokenLetters) {
  EXPECT_EQ(byte_to_unicode(0x00), 0x100u);  // Ā
  EXPECT_EQ(byte_to_unicode('\t'), 0x109u);  // ĉ
  EXPECT_EQ(byte_to_unicode('\n'), 0x10Au);  // Ċ
  EXPECT_EQ(byte_to_unicode(' '), 0x120u);   // Ġ, the leading-space marker of vocab.json
  EXPECT_EQ(byte_to_unicode(0x7F), 0x121u);  // ġ
  EXPECT_EQ(byte_to_unicode(0xA0), 0x142u);  // ł
  EXPECT_EQ(byte_to_unicode(0xAD), 0x143u);  // Ń, the last one
}

TEST(ByteUnicode, IsABijectionWithItsInverse) {
  std::set<char32_t> seen;
  for (int b = 0; b < 256; ++b) {
    const char32_t cp = byte_to_unicode(static_cast<uint8_t>(b));
    EXPECT_TRUE(seen.insert(cp).second) << "byte " << b;
    EXPECT_EQ(unicode_to_byte(cp), b);
  }
  EXPECT_EQ(unicode_to_byte(U' '), -1);  // space is spelled Ġ, never itself
  EXPECT_EQ(unicode_to_byte(0x144), -1);
  EXPECT_EQ(unicode_to_byte(0x4E2D), -1);
}

}  // namespace
}  // namespace gptbench::text
