// ROUGE as rouge-score 0.1.2 (rouge_score/tokenize.py and rouge_scorer.py).
#include "gptbench/eval/rouge.h"  // this file's declarations

#include <fmt/format.h>  // fmt::format for error messages

#include <algorithm>      // std::max, std::min, std::reverse
#include <map>            // std::map for n-gram counts
#include <unordered_map>  // std::unordered_map for token ids and counts
#include <utility>        // std::move, std::swap

#include "gptbench/eval/porter_stemmer.h"  // porter_stem
#include "gptbench/eval/python_text.h"     // decode_utf8
#include "gptbench/util/check.h"           // GPTBENCH_CHECK
#include "gptbench/util/error.h"           // gptbench::Error

namespace gptbench::eval {

namespace {

// rouge-score stems only tokens longer than this many characters.
constexpr std::size_t kMinStemLength = 4;
// The ROUGE-Lsum back-tracking keeps 2 bits per LCS cell; past this many cells (1 GiB) a
// sentence pair is refused instead of exhausting memory (rouge-score itself would need hours).
constexpr std::size_t kMaxLcsCells = std::size_t{1} << 32;

using TokenIds = std::vector<std::int32_t>;

// Gives each distinct token of one sample a small integer, so LCS and n-grams compare ints.
class TokenInterner {
 public:
  TokenIds ids(const std::vector<std::string>& tokens) {
    TokenIds out;
    out.reserve(tokens.size());
    for (const std::string& token : tokens) {
      auto [it, inserted] = ids_.emplace(token, static_cast<std::int32_t>(ids_.size()));
      out.push_back(it->second);
    }
    return out;
  }

 private:
  std::unordered_map<std::string, std::int32_t> ids_;
};

double fmeasure(double precision, double recall) {
  // Same operation order as scoring.fmeasure, so the doubles match bit for bit.
  return precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0.0;
}

PrecisionRecallF make_score(double precision, double recall) {
  return {precision, recall, fmeasure(precision, recall)};
}

std::map<TokenIds, std::int64_t> count_ngrams(const TokenIds& tokens, std::size_t n) {
  std::map<TokenIds, std::int64_t> counts;
  for (std::size_t i = 0; i + n <= tokens.size(); ++i) {
    ++counts[TokenIds(tokens.begin() + static_cast<std::ptrdiff_t>(i),
                      tokens.begin() + static_cast<std::ptrdiff_t>(i + n))];
  }
  return counts;
}

PrecisionRecallF score_ngrams(const TokenIds& reference, const TokenIds& prediction,
                              std::size_t n) {
  const auto ref_counts = count_ngrams(reference, n);
  const auto pred_counts = count_ngrams(prediction, n);
  std::int64_t overlap = 0, ref_total = 0, pred_total = 0;
  for (const auto& [ngram, count] : ref_counts) {
    ref_total += count;
    if (auto it = pred_counts.find(ngram); it != pred_counts.end())
      overlap += std::min(count, it->second);
  }
  for (const auto& entry : pred_counts) pred_total += entry.second;
  // max(count, 1): an empty side gives 0/1 = 0 rather than a division by zero.
  return make_score(
      static_cast<double>(overlap) / static_cast<double>(std::max<std::int64_t>(pred_total, 1)),
      static_cast<double>(overlap) / static_cast<double>(std::max<std::int64_t>(ref_total, 1)));
}

PrecisionRecallF score_lcs(const TokenIds& reference, const TokenIds& prediction) {
  if (reference.empty() || prediction.empty()) return {};
  const auto lcs = static_cast<double>(lcs_length(reference, prediction));
  return make_score(lcs / static_cast<double>(prediction.size()),
                    lcs / static_cast<double>(reference.size()));
}

std::vector<std::string_view> split_lines(std::string_view text) {
  // Python's text.split("\n") without the empty pieces (rougeLsum's get_sents).
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (true) {
    const std::size_t nl = text.find('\n', start);
    const std::string_view line =
        text.substr(start, nl == std::string_view::npos ? nl : nl - start);
    if (!line.empty()) lines.push_back(line);
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  return lines;
}

// rouge-score's _summary_level_lcs: per reference sentence, the union of its LCS with every
// candidate sentence, with each token type counted at most as often as it occurs on both sides.
PrecisionRecallF score_summary_lcs(const std::vector<TokenIds>& ref_sents,
                                   const std::vector<TokenIds>& can_sents) {
  if (ref_sents.empty() || can_sents.empty()) return {};
  std::int64_t m = 0, n = 0;
  std::unordered_map<std::int32_t, std::int64_t> ref_counts, can_counts;
  for (const TokenIds& s : ref_sents) {
    m += static_cast<std::int64_t>(s.size());
    for (std::int32_t t : s) ++ref_counts[t];
  }
  for (const TokenIds& s : can_sents) {
    n += static_cast<std::int64_t>(s.size());
    for (std::int32_t t : s) ++can_counts[t];
  }
  if (m == 0 || n == 0) return {};

  std::int64_t hits = 0;
  std::vector<char> in_union;
  for (const TokenIds& ref : ref_sents) {
    in_union.assign(ref.size(), 0);
    for (const TokenIds& can : can_sents) {
      for (std::size_t i : lcs_reference_indices(ref, can)) in_union[i] = 1;
    }
    for (std::size_t i = 0; i < ref.size(); ++i) {
      if (!in_union[i]) continue;
      auto c = can_counts.find(ref[i]);
      auto r = ref_counts.find(ref[i]);
      if (c != can_counts.end() && r != ref_counts.end() && c->second > 0 && r->second > 0) {
        ++hits;
        --c->second;
        --r->second;
      }
    }
  }
  return make_score(static_cast<double>(hits) / static_cast<double>(n),
                    static_cast<double>(hits) / static_cast<double>(m));
}

void add_into(PrecisionRecallF& sum, const PrecisionRecallF& x) {
  sum.precision += x.precision;
  sum.recall += x.recall;
  sum.fmeasure += x.fmeasure;
}

void divide(PrecisionRecallF& sum, double n) {
  sum.precision /= n;
  sum.recall /= n;
  sum.fmeasure /= n;
}

}  // namespace

std::vector<std::string> rouge_tokenize(std::string_view text, Stemming stemming) {
  std::vector<std::string> tokens;
  std::string current;
  const auto finish = [&] {
    if (current.empty()) return;
    if (stemming == Stemming::kPorter && current.size() >= kMinStemLength)
      current = porter_stem(current);
    if (!current.empty()) tokens.push_back(std::move(current));
    current.clear();
  };
  for (std::size_t pos = 0; pos < text.size();) {
    const CodePoint cp = decode_utf8(text, pos);
    pos += cp.length;
    const char32_t c = cp.value;
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      current += static_cast<char>(c);
    } else if (c >= 'A' && c <= 'Z') {
      current += static_cast<char>(c - 'A' + 'a');
    } else if (c == 0x212A) {  // KELVIN SIGN lowercases to ASCII 'k'
      current += 'k';
    } else if (c == 0x130) {  // 'İ' lowercases to 'i' + U+0307, which then separates
      current += 'i';
      finish();
    } else {
      finish();
    }
  }
  finish();
  return tokens;
}

std::size_t lcs_length(const std::vector<std::int32_t>& a, const std::vector<std::int32_t>& b) {
  std::vector<std::size_t> prev(b.size() + 1, 0), row(b.size() + 1, 0);
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      row[j] = a[i - 1] == b[j - 1] ? prev[j - 1] + 1 : std::max(prev[j], row[j - 1]);
    }
    std::swap(prev, row);
  }
  return prev[b.size()];
}

std::vector<std::size_t> lcs_reference_indices(const std::vector<std::int32_t>& ref,
                                               const std::vector<std::int32_t>& can) {
  const std::size_t rows = ref.size(), cols = can.size();
  if (rows == 0 || cols == 0) return {};
  GPTBENCH_CHECK(rows <= kMaxLcsCells / cols,
                 "rougeLsum: a sentence pair of {} x {} tokens is too large for the LCS table "
                 "(limit {} cells); split long texts into lines",
                 rows, cols, kMaxLcsCells);
  // Instead of the whole table, keep the move _backtrack_norec would take from each cell:
  // 0 diagonal (tokens equal), 1 left (t[i][j-1] > t[i-1][j]), 2 up (otherwise).
  enum Move : std::uint8_t { kDiagonal = 0, kLeft = 1, kUp = 2 };
  std::vector<std::uint8_t> moves((rows * cols + 3) / 4, 0);
  const auto cell = [cols](std::size_t i, std::size_t j) { return (i - 1) * cols + (j - 1); };
  std::vector<std::uint32_t> prev(cols + 1, 0), row(cols + 1, 0);
  for (std::size_t i = 1; i <= rows; ++i) {
    for (std::size_t j = 1; j <= cols; ++j) {
      Move move;
      if (ref[i - 1] == can[j - 1]) {
        row[j] = prev[j - 1] + 1;
        move = kDiagonal;
      } else {
        row[j] = std::max(prev[j], row[j - 1]);
        move = row[j - 1] > prev[j] ? kLeft : kUp;
      }
      const std::size_t k = cell(i, j);
      moves[k / 4] = static_cast<std::uint8_t>(moves[k / 4] | (move << (2 * (k % 4))));
    }
    std::swap(prev, row);
  }
  std::vector<std::size_t> indices;
  std::size_t i = rows, j = cols;
  while (i > 0 && j > 0) {
    const std::size_t k = cell(i, j);
    const auto move = static_cast<Move>((moves[k / 4] >> (2 * (k % 4))) & 3);
    if (move == kDiagonal) {
      indices.push_back(i - 1);
      --i, --j;
    } else if (move == kLeft) {
      --j;
    } else {
      --i;
    }
  }
  std::reverse(indices.begin(), indices.end());
  return indices;
}

nlohmann::json to_json(const PrecisionRecallF& score) {
  return {{"precision", score.precision}, {"recall", score.recall}, {"fmeasure", score.fmeasure}};
}

nlohmann::json to_json(const RougeScores& scores) {
  return {{"rouge1", to_json(scores.rouge1)},
          {"rouge2", to_json(scores.rouge2)},
          {"rougeL", to_json(scores.rouge_l)},
          {"rougeLsum", to_json(scores.rouge_lsum)}};
}

RougeScores rouge_score(std::string_view reference, std::string_view prediction,
                        Stemming stemming) {
  TokenInterner interner;
  const TokenIds ref = interner.ids(rouge_tokenize(reference, stemming));
  const TokenIds pred = interner.ids(rouge_tokenize(prediction, stemming));
  std::vector<TokenIds> ref_sents, pred_sents;
  for (std::string_view line : split_lines(reference))
    ref_sents.push_back(interner.ids(rouge_tokenize(line, stemming)));
  for (std::string_view line : split_lines(prediction))
    pred_sents.push_back(interner.ids(rouge_tokenize(line, stemming)));

  RougeScores scores;
  scores.rouge1 = score_ngrams(ref, pred, 1);
  scores.rouge2 = score_ngrams(ref, pred, 2);
  scores.rouge_l = score_lcs(ref, pred);
  scores.rouge_lsum = score_summary_lcs(ref_sents, pred_sents);
  return scores;
}

RougeResult rouge_corpus(const std::vector<std::string>& predictions,
                         const std::vector<std::string>& references, Stemming stemming) {
  GPTBENCH_CHECK(predictions.size() == references.size(), "ROUGE: {} predictions but {} references",
                 predictions.size(), references.size());
  GPTBENCH_CHECK(!predictions.empty(), "ROUGE: no samples to score");
  RougeResult result;
  result.per_sample.reserve(predictions.size());
  for (std::size_t i = 0; i < predictions.size(); ++i) {
    try {
      result.per_sample.push_back(rouge_score(references[i], predictions[i], stemming));
    } catch (const Error& e) {
      throw Error(fmt::format("sample {}: {}", i + 1, e.what()));
    }
    const RougeScores& s = result.per_sample.back();
    add_into(result.mean.rouge1, s.rouge1);
    add_into(result.mean.rouge2, s.rouge2);
    add_into(result.mean.rouge_l, s.rouge_l);
    add_into(result.mean.rouge_lsum, s.rouge_lsum);
  }
  const auto n = static_cast<double>(predictions.size());
  divide(result.mean.rouge1, n);
  divide(result.mean.rouge2, n);
  divide(result.mean.rouge_l, n);
  divide(result.mean.rouge_lsum, n);
  return result;
}

}  // namespace gptbench::eval
