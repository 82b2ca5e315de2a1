// BLEU: the 13a tokenizer against sacreBLEU (live), and scores worked by hand from the
// definition (fp64 formulas written out here, independent of compute_bleu's code path).
#include <gtest/gtest.h>  // TEST, EXPECT_*

#include <cmath>   // std::exp, std::log, std::pow
#include <string>  // std::string

#include "gptbench/eval/bleu.h"         // tokenize_13a, bleu_segment_stats, compute_bleu, ...
#include "gptbench/eval/python_text.h"  // python_rstrip
#include "gptbench/util/error.h"        // gptbench::Error
#include "python_fixture.h"             // run_oracle_fixture

namespace gptbench::eval {
namespace {

TEST(Tokenize13a, MatchesSacrebleuOnEdgeCases) {
  for (const auto& c : testing::oracle_cases("tok13a", "cases", 40)) {
    const std::string text = c["text"].get<std::string>();
    EXPECT_EQ(tokenize_13a(python_rstrip(text)), c["tokens"].get<std::vector<std::string>>())
        << c["text"].dump();
  }
}

TEST(Tokenize13a, RegexOrderExamples) {
  using V = std::vector<std::string>;
  EXPECT_EQ(tokenize_13a("a..b"), (V{"a", ".", ".", "b"}));
  EXPECT_EQ(tokenize_13a("1.5,3"), (V{"1.5,3"}));
  EXPECT_EQ(tokenize_13a("3-4 a-b"), (V{"3", "-", "4", "a-b"}));
  EXPECT_EQ(tokenize_13a("&amp;quot;"), (V{"&", "quot", ";"}));  // unescaped once, in order
  EXPECT_EQ(tokenize_13a("<skip<skipped>ped>"), (V{"<", "skipped", ">"}));
}

// hyp "the cat sat ." vs ref "the cat sat on the mat .": matches 4/4, 2/3, 1/2, 0/1; the
// zero 4-gram count is smoothed to 1/(2*1); BP = exp(1 - 7/4).
TEST(Bleu, CorpusHandWorked) {
  const BleuScore b = corpus_bleu({"the cat sat."}, {"the cat sat on the mat."});
  const double p[4] = {100.0, 200.0 / 3.0, 50.0, 50.0};
  const double bp = std::exp(1.0 - 7.0 / 4.0);
  const double expected =
      bp * std::exp((std::log(p[0]) + std::log(p[1]) + std::log(p[2]) + std::log(p[3])) / 4);
  EXPECT_NEAR(b.score, expected, 1e-12);
  for (int n = 0; n < 4; ++n) EXPECT_NEAR(b.precisions[n], p[n], 1e-12);
  EXPECT_NEAR(b.bp, bp, 1e-15);
  EXPECT_NEAR(b.ratio, 4.0 / 7.0, 1e-15);
  EXPECT_EQ(b.stats.hyp_len, 4);
  EXPECT_EQ(b.stats.ref_len, 7);
  EXPECT_EQ(b.signature, "nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0");
}

// Effective order: "the cat" has no 3-grams, so only orders 1 and 2 count.
TEST(Bleu, SentenceEffectiveOrder) {
  const BleuScore b = sentence_bleu("the cat", "the cat sat");
  EXPECT_NEAR(b.score, std::exp(1.0 - 3.0 / 2.0) * 100.0, 1e-12);
  EXPECT_EQ(b.signature, "nrefs:1|case:mixed|eff:yes|tok:13a|smooth:exp|version:2.6.0");
  // Without effective order the missing orders have precision 0 and floor the score to 0.
  EXPECT_EQ(corpus_bleu({"the cat"}, {"the cat sat"}).score, 0.0);
}

TEST(Bleu, DegenerateInputs) {
  const BleuScore none = sentence_bleu("x y z", "a b c");  // no match at all: early zero
  EXPECT_EQ(none.score, 0.0);
  EXPECT_EQ(none.precisions[0], 0.0);
  const BleuScore empty_hyp = corpus_bleu({""}, {"a b"});
  EXPECT_EQ(empty_hyp.bp, 0.0);
  EXPECT_EQ(empty_hyp.score, 0.0);
  const BleuScore empty_ref = corpus_bleu({"a b"}, {""});
  EXPECT_EQ(empty_ref.ratio, 0.0);
  EXPECT_EQ(empty_ref.score, 0.0);
  EXPECT_THROW(corpus_bleu({"a"}, {"a", "b"}), Error);
  EXPECT_THROW(corpus_bleu({}, {}), Error);
}

TEST(Bleu, StatsSumOverSegments) {
  BleuStats a = bleu_segment_stats("a b c", "a b d");
  const BleuStats b = bleu_segment_stats("x", "x y");
  a += b;
  EXPECT_EQ(a.hyp_len, 4);
  EXPECT_EQ(a.ref_len, 5);
  EXPECT_EQ(a.correct[0], 3);  // a, b, x
  EXPECT_EQ(a.total[0], 4);
  EXPECT_EQ(a.correct[1], 1);  // "a b"
  EXPECT_EQ(a.total[1], 2);
}

}  // namespace
}  // namespace gptbench::eval
