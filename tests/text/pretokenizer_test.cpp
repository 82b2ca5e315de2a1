// GPT-2 pre-tokenisation. Expected pieces were produced by the Python `regex` module with GPT-2's
// pattern (an independent engine); random inputs check that the pieces always tile the input.
#include <gtest/gtest.h>  // TEST, EXPECT_*

#include <random>  // std::mt19937
#include <string>  // std::string
#include <vector>  // std::vector

#include "gptbench/text/pretokenizer.h"  // pretokenize

namespace gptbench::text {
namespace {

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  for (const auto piece : pretokenize(s)) out.emplace_back(piece);
  return out;
}

using Pieces = std::vector<std::string>;

TEST(PreTokenizer, MatchesTheRegexEngine) {
  EXPECT_EQ(split("Hello world"), (Pieces{"Hello", " world"}));
  EXPECT_EQ(split("  a"), (Pieces{" ", " a"}));
  EXPECT_EQ(split("a  "), (Pieces{"a", "  "}));
  EXPECT_EQ(split("a\n\nb"), (Pieces{"a", "\n", "\n", "b"}));
  EXPECT_EQ(split("don't"), (Pieces{"don", "'t"}));
  EXPECT_EQ(split("I'M"), (Pieces{"I", "'", "M"}));
  EXPECT_EQ(split("x\u00a0\u00a0y"), (Pieces{"x", "\u00a0", "\u00a0", "y"}));
  EXPECT_EQ(split("1234 abc!!"), (Pieces{"1234", " abc", "!!"}));
  EXPECT_EQ(split(" 's"), (Pieces{" '", "s"}));
  EXPECT_EQ(split("\t a"), (Pieces{"\t", " a"}));
  EXPECT_EQ(split("\u3000a"), (Pieces{"\u3000", "a"}));
  EXPECT_EQ(split("\u4e2d\u6587 text"), (Pieces{"\u4e2d\u6587", " text"}));
  EXPECT_EQ(split("e\u0301"), (Pieces{"e", "\u0301"}));
  EXPECT_EQ(split("a\x1c\x1c" "b"), (Pieces{"a", "\x1c\x1c", "b"}));
  EXPECT_EQ(split("a \n b"), (Pieces{"a", " \n", " b"}));
  EXPECT_EQ(split("''s"), (Pieces{"''", "s"}));
  EXPECT_EQ(split(" 12\u0663"), (Pieces{" 12\u0663"}));
  EXPECT_EQ(split(" \U0001F600\U0001F600a"), (Pieces{" \U0001F600\U0001F600", "a"}));
  EXPECT_EQ(split("x  \u3000y"), (Pieces{"x", "  ", "\u3000", "y"}));
  EXPECT_EQ(split(""), (Pieces{}));
}

TEST(PreTokenizer, InvalidBytesAreOtherCharacters) {
  // 0xE9 alone is invalid UTF-8: one "other" character, so it splits "caf" from the rest and joins
  // following punctuation like any symbol would.
  EXPECT_EQ(split("caf\xe9!"), (Pieces{"caf", "\xe9!"}));
  EXPECT_EQ(split("a \xff" "b"), (Pieces{"a", " \xff", "b"}));
  EXPECT_EQ(split("\xe2\x80" "x"), (Pieces{"\xe2\x80", "x"}));
}

TEST(PreTokenizer, PiecesTileRandomBytes) {
  std::mt19937 rng(7);
  const std::string alphabet = std::string("ab1 '\n\t!s") + "\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80\xa0\xff\x85\xe3\x80\x80";
  for (int iter = 0; iter < 2000; ++iter) {
    std::string s;
    const int n = static_cast<int>(rng() % 40);
    for (int i = 0; i < n; ++i) s.push_back(alphabet[rng() % alphabet.size()]);
    std::string joined;
    for (const auto piece : pretokenize(s)) {
      EXPECT_FALSE(piece.empty());
      joined.append(piece);
    }
    EXPECT_EQ(joined, s);
  }
}

}  // namespace
}  // namespace gptbench::text
