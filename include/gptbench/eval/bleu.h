// BLEU exactly as sacreBLEU 2.6.0 with its defaults: tokenizer 13a, smoothing 'exp', mixed
// case, one reference per hypothesis. Corpus BLEU sums the n-gram statistics over all
// segments; sentence BLEU scores one segment with effective order (sentence_bleu's default).
#pragma once

#include <array>        // std::array
#include <cstdint>      // std::int64_t
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <vector>       // std::vector

#include <nlohmann/json.hpp>  // nlohmann::json

namespace gptbench::eval {

inline constexpr int kBleuMaxOrder = 4;

// sacreBLEU's Tokenizer13a (mteval-v13a): entity unescaping, the four regexes of
// TokenizerRegexp, then Python's split() and ' '.join. Returns the tokens.
std::vector<std::string> tokenize_13a(std::string_view line);

// The sufficient statistics of one or more segments.
struct BleuStats {
  std::int64_t hyp_len = 0;
  std::int64_t ref_len = 0;
  std::array<std::int64_t, kBleuMaxOrder> correct{};  // clipped n-gram matches, n = 1..4
  std::array<std::int64_t, kBleuMaxOrder> total{};    // hypothesis n-grams, n = 1..4

  BleuStats& operator+=(const BleuStats& other);
};

// Statistics of one hypothesis against one reference (sacreBLEU rstrips both, then tokenizes).
BleuStats bleu_segment_stats(std::string_view hypothesis, std::string_view reference);

// Corpus BLEU counts all orders; sentence BLEU stops at the highest order with any n-grams.
enum class EffectiveOrder { kOff, kOn };

struct BleuScore {
  double score = 0.0;                              // 0..100
  std::array<double, kBleuMaxOrder> precisions{};  // 0..100, smoothed as sacreBLEU's 'exp'
  double bp = 0.0;                                 // brevity penalty
  double ratio = 0.0;                              // hyp_len / ref_len (0 when ref_len is 0)
  BleuStats stats;
  std::string signature;  // e.g. nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0
};
// {score, signature, precisions, bp, ratio, hyp_len, ref_len, counts, totals}
nlohmann::json to_json(const BleuScore& bleu);

// sacreBLEU's BLEU.compute_bleu with smooth_method='exp'.
BleuScore compute_bleu(const BleuStats& stats, EffectiveOrder effective_order);

// sacreBLEU corpus_score / corpus_bleu with defaults. Throws gptbench::Error when the sizes
// differ or there are no samples.
BleuScore corpus_bleu(const std::vector<std::string>& hypotheses,
                      const std::vector<std::string>& references);

// sacreBLEU sentence_bleu with defaults (effective order on).
BleuScore sentence_bleu(std::string_view hypothesis, std::string_view reference);

}  // namespace gptbench::eval
