// Python str behaviours on UTF-8 bytes; see python_text.h.
#include "gptbench/eval/python_text.h"  // this file's declarations

namespace gptbench::eval {

namespace {

bool is_continuation(unsigned char byte) { return (byte & 0xC0) == 0x80; }

}  // namespace

CodePoint decode_utf8(std::string_view text, std::size_t pos) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[pos + i]); };
  const std::size_t left = text.size() - pos;  // bytes available from pos on
  const unsigned char b0 = byte(0);
  if (b0 < 0x80) return {b0, 1};
  // Lead byte ranges and the allowed range of the second byte (Unicode Table 3-7); the
  // narrowed second-byte ranges are what exclude overlong forms and surrogates.
  std::size_t length = 0;
  unsigned char lo = 0x80, hi = 0xBF;
  char32_t value = 0;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    length = 2, value = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    length = 3, value = b0 & 0x0F;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    length = 4, value = b0 & 0x07;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return {kInvalidCodePoint, 1};
  }
  for (std::size_t i = 1; i < length; ++i) {
    // The bytes accepted so far are the maximal subpart when the next one is missing or wrong.
    if (i >= left) return {kInvalidCodePoint, i};
    const bool in_range = i == 1 ? byte(i) >= lo && byte(i) <= hi : is_continuation(byte(i));
    if (!in_range) return {kInvalidCodePoint, i};
    value = (value << 6) | (byte(i) & 0x3F);
  }
  return {value, length};
}

std::size_t find_invalid_utf8(std::string_view text) {
  for (std::size_t pos = 0; pos < text.size();) {
    const CodePoint cp = decode_utf8(text, pos);
    if (cp.value == kInvalidCodePoint) return pos;
    pos += cp.length;
  }
  return std::string_view::npos;
}

std::string replace_invalid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t pos = 0; pos < text.size();) {
    const CodePoint cp = decode_utf8(text, pos);
    if (cp.value == kInvalidCodePoint) {
      out += "\xEF\xBF\xBD";  // U+FFFD
    } else {
      out.append(text.substr(pos, cp.length));
    }
    pos += cp.length;
  }
  return out;
}

bool is_python_whitespace(char32_t cp) {
  // Py_UNICODE_ISSPACE: bidirectional class WS, B or S, or category Zs.
  switch (cp) {
    case 0x09:
    case 0x0A:
    case 0x0B:
    case 0x0C:
    case 0x0D:
    case 0x1C:
    case 0x1D:
    case 0x1E:
    case 0x1F:
    case 0x20:
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
      return true;
    default:
      return cp >= 0x2000 && cp <= 0x200A;
  }
}

std::string_view python_rstrip(std::string_view text) {
  std::size_t end = 0;  // one past the last non-whitespace code point
  for (std::size_t pos = 0; pos < text.size();) {
    const CodePoint cp = decode_utf8(text, pos);
    pos += cp.length;
    if (!is_python_whitespace(cp.value)) end = pos;
  }
  return text.substr(0, end);
}

std::vector<std::string> python_split(std::string_view text) {
  std::vector<std::string> parts;
  std::size_t start = std::string_view::npos;  // start of the current part, if inside one
  for (std::size_t pos = 0; pos < text.size();) {
    const CodePoint cp = decode_utf8(text, pos);
    if (is_python_whitespace(cp.value)) {
      if (start != std::string_view::npos) parts.emplace_back(text.substr(start, pos - start));
      start = std::string_view::npos;
    } else if (start == std::string_view::npos) {
      start = pos;
    }
    pos += cp.length;
  }
  if (start != std::string_view::npos) parts.emplace_back(text.substr(start));
  return parts;
}

}  // namespace gptbench::eval
