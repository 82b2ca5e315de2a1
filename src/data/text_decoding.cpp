#include "gptbench/data/text_decoding.h"  // decode_mixed_text

#include <fmt/format.h>  // fmt::format

#include "gptbench/text/utf8.h"  // decode_utf8_char, append_utf8

namespace gptbench::data {
namespace {

// Windows-1252 0x80..0x9F per the WHATWG index; the five undefined bytes keep their Latin-1 value.
constexpr char16_t kCp1252High[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,  // 80..87
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,  // 88..8F
    0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,  // 90..97
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,  // 98..9F
};

char32_t cp1252_to_unicode(unsigned char b) {
  if (b >= 0x80 && b <= 0x9F) return kCp1252High[b - 0x80];
  return b;  // ASCII and 0xA0..0xFF equal Latin-1
}

}  // namespace

DecodedText decode_mixed_text(std::string_view bytes) {
  DecodedText out{std::string(), TextDecodingPath::kAscii, 0};
  out.text.reserve(bytes.size() + bytes.size() / 8);
  for (std::size_t pos = 0; pos < bytes.size();) {
    const auto b = static_cast<unsigned char>(bytes[pos]);
    if (b < 0x80) {
      out.text.push_back(static_cast<char>(b));
      ++pos;
      continue;
    }
    const text::Utf8Char c = text::decode_utf8_char(bytes, pos);
    if (c.valid) {
      out.text.append(bytes.data() + pos, c.length);
      if (out.path == TextDecodingPath::kAscii) out.path = TextDecodingPath::kUtf8;
    } else {
      text::append_utf8(out.text, cp1252_to_unicode(b));
      out.path = TextDecodingPath::kCp1252;
      ++out.cp1252_bytes;
    }
    pos += c.length;
  }
  return out;
}

void TextDecodingStats::add(const DecodedText& decoded) {
  switch (decoded.path) {
    case TextDecodingPath::kAscii: ++ascii; break;
    case TextDecodingPath::kUtf8: ++utf8; break;
    case TextDecodingPath::kCp1252: ++cp1252; break;
  }
  cp1252_bytes += decoded.cp1252_bytes;
}

std::string TextDecodingStats::summary() const {
  return fmt::format("{} ascii, {} utf-8, {} with cp1252 bytes ({} bytes)", ascii, utf8, cp1252, cp1252_bytes);
}

}  // namespace gptbench::data
