// GPT-2's pre-tokenisation, implemented by hand with real Unicode classes:
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// with the leftmost-first alternation of Perl-style engines (tiktoken, `regex`, Oniguruma).
// BPE merges never cross the pieces it produces.
#pragma once

#include <cstddef>      // std::size_t
#include <string_view>  // std::string_view
#include <vector>       // std::vector

namespace gptbench::text {

// Walks the pieces of `text` without allocating. Any bytes are accepted: a byte that is not part of
// a valid UTF-8 character is a one-byte character of class kOther, so the pieces always tile the
// input exactly.
class PreTokenizer {
 public:
  explicit PreTokenizer(std::string_view text) : text_(text) {}

  // Sets `piece` to the next piece and returns true; returns false after the last one.
  bool next(std::string_view& piece);

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

// All pieces at once (tests and tools; the tokenizer uses PreTokenizer directly).
std::vector<std::string_view> pretokenize(std::string_view text);

}  // namespace gptbench::text
