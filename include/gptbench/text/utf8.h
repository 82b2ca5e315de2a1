// Lenient UTF-8 decoding shared by the tokenizer and the dataset text decoder.
// "Valid" is strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF.
#pragma once

#include <cstddef>      // std::size_t
#include <cstdint>      // uint8_t
#include <string>       // std::string
#include <string_view>  // std::string_view

namespace gptbench::text {

// One decoded character. An invalid byte decodes as {cp = the byte value, length = 1, valid = false}:
// callers treat it as a one-byte character of its own, so every byte string is a character sequence.
struct Utf8Char {
  char32_t cp;
  uint8_t length;
  bool valid;
};

// Decodes the character starting at s[pos]; pos < s.size().
Utf8Char decode_utf8_char(std::string_view s, std::size_t pos);

bool is_valid_utf8(std::string_view s);

// Appends the UTF-8 encoding of cp (a Unicode scalar value) to out.
void append_utf8(std::string& out, char32_t cp);

}  // namespace gptbench::text
