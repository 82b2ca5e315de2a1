#include "gptbench/text/pretokenizer.h"  // PreTokenizer

#include <cstdint>  // uint8_t

#include "gptbench/text/unicode_classes.h"  // CharClass, char_class
#include "gptbench/text/utf8.h"             // decode_utf8_char

namespace gptbench::text {
namespace {

struct CharInfo {
  CharClass cls;
  uint8_t length;
};

inline CharInfo char_at(std::string_view s, std::size_t pos) {
  const auto b = static_cast<unsigned char>(s[pos]);
  if (b < 0x80) return {char_class(b), 1};
  const Utf8Char c = decode_utf8_char(s, pos);
  return {c.valid ? char_class(c.cp) : CharClass::kOther, c.length};
}

// Length of the contraction ('s 't 'm 'd 'll 've 're, lowercase only, as in GPT-2) at pos, or 0.
inline std::size_t contraction_length(std::string_view s, std::size_t pos) {
  if (s[pos] != '\'' || pos + 1 >= s.size()) return 0;
  const char c1 = s[pos + 1];
  if (c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd') return 2;
  if (pos + 2 >= s.size()) return 0;
  const char c2 = s[pos + 2];
  if ((c1 == 'l' && c2 == 'l') || (c1 == 'v' && c2 == 'e') || (c1 == 'r' && c2 == 'e')) return 3;
  return 0;
}

}  // namespace

bool PreTokenizer::next(std::string_view& piece) {
  const std::size_t n = text_.size();
  const std::size_t start = pos_;
  if (start >= n) return false;

  std::size_t end;
  if (const std::size_t len = contraction_length(text_, start); len != 0) {
    end = start + len;
  } else {
    const CharInfo first = char_at(text_, start);
    // ` ?X+` for X in {\p{L}, \p{N}, other}: one ASCII space may lead a run of non-space characters.
    CharClass run_class = first.cls;
    std::size_t p = start + first.length;
    if (text_[start] == ' ' && p < n) {
      const CharInfo second = char_at(text_, p);
      if (second.cls != CharClass::kSpace) {
        run_class = second.cls;
        p += second.length;
      }
    }
    if (run_class != CharClass::kSpace) {
      while (p < n) {
        const CharInfo c = char_at(text_, p);
        if (c.cls != run_class) break;
        p += c.length;
      }
      end = p;
    } else {
      // Whitespace: `\s+(?!\S)` takes the whole run when it ends the text, otherwise all but its
      // last character (which then leads the next piece, e.g. " word"); a single whitespace
      // character before a non-space falls through to `\s+` and stands alone.
      std::size_t last_start = start;
      std::size_t count = 1;
      while (p < n) {
        const CharInfo c = char_at(text_, p);
        if (c.cls != CharClass::kSpace) break;
        last_start = p;
        p += c.length;
        ++count;
      }
      end = (p == n || count == 1) ? p : last_start;
    }
  }
  piece = text_.substr(start, end - start);
  pos_ = end;
  return true;
}

std::vector<std::string_view> pretokenize(std::string_view text) {
  std::vector<std::string_view> pieces;
  PreTokenizer splitter(text);
  std::string_view piece;
  while (splitter.next(piece)) pieces.push_back(piece);
  return pieces;
}

}  // namespace gptbench::text
