// The few Python str behaviours that rouge-score and sacreBLEU rely on, on UTF-8 bytes:
// code point decoding, str.isspace(), str.rstrip() and str.split(). Both references work on
// Python str, so wherever Unicode matters the C++ must see code points, not bytes.
#pragma once

#include <cstddef>      // std::size_t
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <vector>       // std::vector

namespace gptbench::eval {

// One decoded code point. An invalid or truncated sequence decodes as kInvalidCodePoint and
// spans its maximal ill-formed subpart (at least 1 byte): exactly the bytes that Python's
// decode(errors="replace") turns into one U+FFFD. A scan always advances, never past the end.
struct CodePoint {
  char32_t value;
  std::size_t length;  // bytes consumed, 1..4
};
inline constexpr char32_t kInvalidCodePoint = 0xFFFFFFFF;

CodePoint decode_utf8(std::string_view text, std::size_t pos);

// Byte offset of the first sequence Python's strict UTF-8 decoder rejects (overlong forms,
// surrogates, values above U+10FFFF, truncation), or std::string_view::npos when valid.
std::size_t find_invalid_utf8(std::string_view text);

// bytes.decode("utf-8", errors="replace") encoded back to UTF-8: every ill-formed subpart
// becomes U+FFFD. For model output whose last character may have been cut between bytes.
std::string replace_invalid_utf8(std::string_view text);

// Python's str.isspace() for one code point (29 code points, as of Python 3.11).
bool is_python_whitespace(char32_t cp);

// Python's str.rstrip() with no argument.
std::string_view python_rstrip(std::string_view text);

// Python's str.split() with no argument: splits on runs of Unicode whitespace, no empty parts.
std::vector<std::string> python_split(std::string_view text);

}  // namespace gptbench::eval
