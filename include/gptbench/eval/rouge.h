// ROUGE-1, ROUGE-2, ROUGE-L and ROUGE-Lsum exactly as Google's rouge-score 0.1.2
// (RougeScorer(['rouge1','rouge2','rougeL','rougeLsum'], use_stemmer=...)), including its
// tokenizer, its LCS back-tracking order (which decides the ROUGE-Lsum union) and its zeros
// for empty texts.
#pragma once

#include <cstddef>      // std::size_t
#include <cstdint>      // std::int32_t
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <vector>       // std::vector

#include <nlohmann/json.hpp>  // nlohmann::json

namespace gptbench::eval {

// Whether tokens longer than 3 characters go through the Porter stemmer (use_stemmer=True).
enum class Stemming { kPorter, kNone };

// rouge-score's tokenize(): Python lower(), every character outside [a-z0-9] becomes a
// separator, then optional stemming. On UTF-8 this means: ASCII letters are lowercased, U+0130
// ('İ' -> "i" + U+0307) ends a token after appending 'i', U+212A (Kelvin sign) is 'k', and
// every other non-ASCII character (or invalid byte) is a separator.
std::vector<std::string> rouge_tokenize(std::string_view text, Stemming stemming);

// LCS length of two token-id sequences.
std::size_t lcs_length(const std::vector<std::int32_t>& a, const std::vector<std::int32_t>& b);

// The indices into `ref` of the one LCS that rouge-score's _backtrack_norec reads out
// (ties move left in `can` only when that cell is strictly larger), ascending.
std::vector<std::size_t> lcs_reference_indices(const std::vector<std::int32_t>& ref,
                                               const std::vector<std::int32_t>& can);

struct PrecisionRecallF {
  double precision = 0.0;
  double recall = 0.0;
  double fmeasure = 0.0;
};
nlohmann::json to_json(const PrecisionRecallF& score);

struct RougeScores {
  PrecisionRecallF rouge1;
  PrecisionRecallF rouge2;
  PrecisionRecallF rouge_l;
  PrecisionRecallF rouge_lsum;  // sentences are the "\n"-separated lines of each text
};
// Keys as rouge-score names them: rouge1, rouge2, rougeL, rougeLsum.
nlohmann::json to_json(const RougeScores& scores);

// Scores of one prediction against one reference (rouge-score's score(target, prediction)).
RougeScores rouge_score(std::string_view reference, std::string_view prediction, Stemming stemming);

// Per-sample scores and their arithmetic mean (summed in sample order, then divided).
struct RougeResult {
  RougeScores mean;
  std::vector<RougeScores> per_sample;
};
// Throws gptbench::Error when the sizes differ or there are no samples.
RougeResult rouge_corpus(const std::vector<std::string>& predictions,
                         const std::vector<std::string>& references, Stemming stemming);

}  // namespace gptbench::eval
