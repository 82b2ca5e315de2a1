// ROUGE: tokenizer and LCS against rouge-score (live), plus published and hand-worked scores.
#include <gtest/gtest.h>  // TEST, EXPECT_*

#include <string>  // std::string
#include <vector>  // std::vector

#include "gptbench/eval/rouge.h"  // rouge_tokenize, lcs_*, rouge_score, rouge_corpus
#include "gptbench/util/error.h"  // gptbench::Error
#include "python_fixture.h"       // run_oracle_fixture

namespace gptbench::eval {
namespace {

TEST(RougeTokenize, MatchesRougeScoreOnEdgeCases) {
  for (const auto& c : testing::oracle_cases("rouge_tokens", "cases", 40)) {
    const std::string text = c["text"].get<std::string>();
    EXPECT_EQ(rouge_tokenize(text, Stemming::kPorter), c["stemmed"].get<std::vector<std::string>>())
        << c["text"].dump();
    EXPECT_EQ(rouge_tokenize(text, Stemming::kNone), c["plain"].get<std::vector<std::string>>())
        << c["text"].dump();
  }
}

TEST(RougeTokenize, PythonLowercaseQuirks) {
  // 'İ'.lower() is 'i' + U+0307 (a separator); the Kelvin sign lowercases to ASCII 'k'.
  EXPECT_EQ(rouge_tokenize("\xC4\xB0stanbul", Stemming::kNone),
            (std::vector<std::string>{"i", "stanbul"}));
  EXPECT_EQ(rouge_tokenize("\xE2\x84\xAA"
                           "elvin",
                           Stemming::kNone),
            (std::vector<std::string>{"kelvin"}));
  EXPECT_EQ(rouge_tokenize("caf\xC3\xA9 x", Stemming::kNone),
            (std::vector<std::string>{"caf", "x"}));
  EXPECT_TRUE(rouge_tokenize("", Stemming::kPorter).empty());
}

TEST(Lcs, MatchesRougeScoreBacktracking) {
  for (const auto& c : testing::oracle_cases("lcs", "cases", 1000)) {
    const auto ref = c["ref"].get<std::vector<std::int32_t>>();
    const auto can = c["can"].get<std::vector<std::int32_t>>();
    EXPECT_EQ(lcs_length(ref, can), c["length"].get<std::size_t>()) << c.dump();
    EXPECT_EQ(lcs_reference_indices(ref, can), c["indices"].get<std::vector<std::size_t>>())
        << c.dump();
  }
}

TEST(Lcs, HandWorked) {
  // ABCBDAB vs BDCABA: LCS length 4 (CLRS). Equal-length ties go up (i-1), so the read-out
  // is the one rouge-score's _backtrack_norec takes.
  const std::vector<std::int32_t> a{0, 1, 2, 1, 3, 0, 1}, b{1, 3, 2, 0, 1, 0};
  EXPECT_EQ(lcs_length(a, b), 4u);
  EXPECT_EQ(lcs_reference_indices(a, b).size(), 4u);
  EXPECT_EQ(lcs_length({}, b), 0u);
  EXPECT_TRUE(lcs_reference_indices(a, {}).empty());
}

// rouge-score's README example.
TEST(RougeScore, ReadmeExample) {
  const RougeScores s = rouge_score("The quick brown fox jumps over the lazy dog",
                                    "The quick brown dog jumps on the log.", Stemming::kPorter);
  EXPECT_DOUBLE_EQ(s.rouge1.precision, 6.0 / 8.0);
  EXPECT_DOUBLE_EQ(s.rouge1.recall, 6.0 / 9.0);
  EXPECT_NEAR(s.rouge1.fmeasure, 0.7058823529411765, 1e-15);
  EXPECT_DOUBLE_EQ(s.rouge_l.precision, 5.0 / 8.0);
  EXPECT_DOUBLE_EQ(s.rouge_l.recall, 5.0 / 9.0);
  EXPECT_NEAR(s.rouge_l.fmeasure, 0.5882352941176471, 1e-15);
}

// Section 3.2 of Lin (2004): r = w1..w5, c1 = w1 w2 w6 w7 w8, c2 = w1 w3 w8 w9 w5; the union
// LCS is w1 w2 w3 w5, so 4 hits over 5 reference and 10 candidate tokens.
TEST(RougeScore, SummaryLevelLcsPaperExample) {
  const RougeScores s =
      rouge_score("w1 w2 w3 w4 w5", "w1 w2 w6 w7 w8\nw1 w3 w8 w9 w5", Stemming::kNone);
  EXPECT_DOUBLE_EQ(s.rouge_lsum.recall, 4.0 / 5.0);
  EXPECT_DOUBLE_EQ(s.rouge_lsum.precision, 4.0 / 10.0);
  EXPECT_DOUBLE_EQ(s.rouge_lsum.fmeasure, 2 * 0.4 * 0.8 / 1.2);
}

// Two reference sentences "a" and one candidate "a": each reference sentence's union LCS is
// "a", but the candidate has only one "a" to give, so there is 1 hit, not 2.
TEST(RougeScore, SummaryLevelLcsCountsEachTokenOnce) {
  const RougeScores s = rouge_score("a\na", "a", Stemming::kNone);
  EXPECT_DOUBLE_EQ(s.rouge_lsum.precision, 1.0);
  EXPECT_DOUBLE_EQ(s.rouge_lsum.recall, 0.5);
}

TEST(RougeScore, EmptyTextsScoreZero) {
  for (const auto& [ref, pred] : std::vector<std::pair<std::string, std::string>>{
           {"", "a b"}, {"a b", ""}, {"", ""}, {"!!!", "a"}, {"\n\n", "a\nb"}}) {
    const RougeScores s = rouge_score(ref, pred, Stemming::kPorter);
    for (const PrecisionRecallF& p : {s.rouge1, s.rouge2, s.rouge_l, s.rouge_lsum}) {
      EXPECT_EQ(p.precision, 0.0);
      EXPECT_EQ(p.recall, 0.0);
      EXPECT_EQ(p.fmeasure, 0.0);
    }
  }
}

TEST(RougeCorpus, MeanAndErrors) {
  const RougeResult r = rouge_corpus({"a b", "c"}, {"a b", "d"}, Stemming::kNone);
  ASSERT_EQ(r.per_sample.size(), 2u);
  EXPECT_DOUBLE_EQ(r.mean.rouge1.fmeasure, 0.5);
  EXPECT_THROW(rouge_corpus({"a"}, {}, Stemming::kNone), Error);
  EXPECT_THROW(rouge_corpus({}, {}, Stemming::kNone), Error);
}

}  // namespace
}  // namespace gptbench::eval
