#include "gptbench/text/byte_unicode.h"  // byte_to_unicode, unicode_to_byte

#include <array>    // std::array
#include <cstdint>  // int16_t

namespace gptbench::text {
namespace {

// Bytes that map to themselves: '!'..'~', '¡'..'¬', '®'..'ÿ'.
constexpr bool maps_to_itself(int b) { return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE); }

constexpr std::array<char32_t, 256> make_table() {
  std::array<char32_t, 256> table{};
  char32_t next = 0x100;
  for (int b = 0; b < 256; ++b) table[b] = maps_to_itself(b) ? static_cast<char32_t>(b) : next++;
  return table;
}

constexpr std::array<char32_t, 256> kByteToUnicode = make_table();

// Every table character is below U+0144 (0x100 + the 68 remapped bytes).
constexpr char32_t kTableLimit = 0x100 + 68;

constexpr std::array<int16_t, kTableLimit> make_inverse() {
  std::array<int16_t, kTableLimit> inverse{};
  for (auto& v : inverse) v = -1;
  for (int b = 0; b < 256; ++b) inverse[kByteToUnicode[b]] = static_cast<int16_t>(b);
  return inverse;
}

constexpr std::array<int16_t, kTableLimit> kUnicodeToByte = make_inverse();

}  // namespace

char32_t byte_to_unicode(uint8_t byte) { return kByteToUnicode[byte]; }

int32_t unicode_to_byte(char32_t cp) { return cp < kTableLimit ? kUnicodeToByte[cp] : -1; }

}  // namespace gptbench::text
