// BLEU as sacreBLEU 2.6.0 (metrics/bleu.py, tokenizers/tokenizer_13a.py, tokenizer_re.py).
#include "gptbench/eval/bleu.h"  // this file's declarations

#include <fmt/format.h>  // fmt::format for the signature

#include <algorithm>  // std::min
#include <cmath>      // std::exp, std::log
#include <cstddef>    // std::ptrdiff_t
#include <map>        // std::map for n-gram counts

#include "gptbench/eval/python_text.h"  // python_rstrip, python_split
#include "gptbench/util/check.h"        // GPTBENCH_CHECK

namespace gptbench::eval {

namespace {

// sacreBLEU's version string is part of the signature it prints.
constexpr std::string_view kSacrebleuVersion = "2.6.0";
// utils.my_log: log(0) is floored to this instead of -inf.
constexpr double kLogOfZero = -9999999999.0;

// Python's str.replace: one left-to-right pass, replacements are not rescanned.
std::string replace_all(std::string_view text, std::string_view from, std::string_view to) {
  std::string out;
  out.reserve(text.size());
  std::size_t start = 0;
  while (true) {
    const std::size_t hit = text.find(from, start);
    if (hit == std::string_view::npos) break;
    out.append(text.substr(start, hit - start));
    out.append(to);
    start = hit + from.size();
  }
  out.append(text.substr(start));
  return out;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// [\{-\~\[-\` -\&\(-\+\:-\@\/]: ASCII punctuation and symbols except ' , - . and digits.
bool is_13a_symbol(char c) {
  return (c >= '{' && c <= '~') || (c >= '[' && c <= '`') || (c >= ' ' && c <= '&') ||
         (c >= '(' && c <= '+') || (c >= ':' && c <= '@') || c == '/';
}

// The regexes only ever look at ASCII characters in their character classes, and a non-ASCII
// code point can only be matched by a negated class ([^0-9]) whose replacement keeps it
// whole, so matching byte by byte produces the same string as Python matching code points.
std::string apply_13a_regexes(std::string_view in) {
  // ([\{-\~\[-\` -\&\(-\+\:-\@\/]) -> ' \1 '
  std::string a;
  a.reserve(in.size() * 2);
  for (char c : in) {
    if (is_13a_symbol(c)) {
      a += ' ';
      a += c;
      a += ' ';
    } else {
      a += c;
    }
  }
  // ([^0-9])([\.,]) -> '\1 \2 ': period and comma unless preceded by a digit.
  std::string b;
  b.reserve(a.size() * 2);
  for (std::size_t i = 0; i < a.size();) {
    if (i + 1 < a.size() && !is_digit(a[i]) && (a[i + 1] == '.' || a[i + 1] == ',')) {
      b += a[i];
      b += ' ';
      b += a[i + 1];
      b += ' ';
      i += 2;
    } else {
      b += a[i++];
    }
  }
  // ([\.,])([^0-9]) -> ' \1 \2': period and comma unless followed by a digit.
  std::string c;
  c.reserve(b.size() * 2);
  for (std::size_t i = 0; i < b.size();) {
    if (i + 1 < b.size() && (b[i] == '.' || b[i] == ',') && !is_digit(b[i + 1])) {
      c += ' ';
      c += b[i];
      c += ' ';
      c += b[i + 1];
      i += 2;
    } else {
      c += b[i++];
    }
  }
  // ([0-9])(-) -> '\1 \2 ': dash after a digit.
  std::string d;
  d.reserve(c.size() * 2);
  for (std::size_t i = 0; i < c.size();) {
    if (i + 1 < c.size() && is_digit(c[i]) && c[i + 1] == '-') {
      d += c[i];
      d += " - ";
      i += 2;
    } else {
      d += c[i++];
    }
  }
  return d;
}

using Ngram = std::vector<std::string_view>;

// extract_all_word_ngrams: counts of all 1..4-grams, keyed by the tokens themselves.
std::map<Ngram, std::int64_t> count_ngrams(const std::vector<std::string>& tokens) {
  std::map<Ngram, std::int64_t> counts;
  for (std::size_t n = 1; n <= kBleuMaxOrder; ++n) {
    for (std::size_t i = 0; i + n <= tokens.size(); ++i) {
      ++counts[Ngram(tokens.begin() + static_cast<std::ptrdiff_t>(i),
                     tokens.begin() + static_cast<std::ptrdiff_t>(i + n))];
    }
  }
  return counts;
}

std::string signature(EffectiveOrder effective_order) {
  return fmt::format("nrefs:1|case:mixed|eff:{}|tok:13a|smooth:exp|version:{}",
                     effective_order == EffectiveOrder::kOn ? "yes" : "no", kSacrebleuVersion);
}

}  // namespace

std::vector<std::string> tokenize_13a(std::string_view line) {
  std::string text = replace_all(line, "<skipped>", "");
  text = replace_all(text, "-\n", "");
  text = replace_all(text, "\n", " ");
  if (text.find('&') != std::string::npos) {
    text = replace_all(text, "&quot;", "\"");
    text = replace_all(text, "&amp;", "&");
    text = replace_all(text, "&lt;", "<");
    text = replace_all(text, "&gt;", ">");
  }
  return python_split(apply_13a_regexes(" " + text + " "));
}

BleuStats& BleuStats::operator+=(const BleuStats& other) {
  hyp_len += other.hyp_len;
  ref_len += other.ref_len;
  for (int n = 0; n < kBleuMaxOrder; ++n) {
    correct[n] += other.correct[n];
    total[n] += other.total[n];
  }
  return *this;
}

BleuStats bleu_segment_stats(std::string_view hypothesis, std::string_view reference) {
  const std::vector<std::string> hyp = tokenize_13a(python_rstrip(hypothesis));
  const std::vector<std::string> ref = tokenize_13a(python_rstrip(reference));
  const auto hyp_counts = count_ngrams(hyp);
  const auto ref_counts = count_ngrams(ref);
  BleuStats stats;
  stats.hyp_len = static_cast<std::int64_t>(hyp.size());
  stats.ref_len = static_cast<std::int64_t>(ref.size());
  for (const auto& [ngram, count] : hyp_counts) {
    const std::size_t order = ngram.size() - 1;
    stats.total[order] += count;
    if (auto it = ref_counts.find(ngram); it != ref_counts.end()) {
      stats.correct[order] += std::min(count, it->second);
    }
  }
  return stats;
}

BleuScore compute_bleu(const BleuStats& stats, EffectiveOrder effective_order) {
  BleuScore out;
  out.stats = stats;
  out.signature = signature(effective_order);
  const auto sys_len = static_cast<double>(stats.hyp_len);
  const auto ref_len = static_cast<double>(stats.ref_len);
  out.ratio = stats.ref_len != 0 ? sys_len / ref_len : 0.0;
  out.bp = 1.0;
  if (stats.hyp_len < stats.ref_len)
    out.bp = stats.hyp_len > 0 ? std::exp(1 - ref_len / sys_len) : 0.0;

  bool any_correct = false;
  for (std::int64_t c : stats.correct) any_correct = any_correct || c != 0;
  if (!any_correct) return out;  // score and precisions stay 0 (sacreBLEU #141)

  double smooth_mteval = 1.0;
  int eff_order = kBleuMaxOrder;
  for (int n = 1; n <= kBleuMaxOrder; ++n) {
    const auto correct = static_cast<double>(stats.correct[n - 1]);
    const auto total = static_cast<double>(stats.total[n - 1]);
    if (stats.total[n - 1] == 0) break;
    if (effective_order == EffectiveOrder::kOn) eff_order = n;
    if (stats.correct[n - 1] == 0) {
      smooth_mteval *= 2;
      out.precisions[n - 1] = 100. / (smooth_mteval * total);
    } else {
      out.precisions[n - 1] = 100. * correct / total;
    }
  }
  double log_sum = 0.0;
  for (int n = 0; n < eff_order; ++n) {
    log_sum += out.precisions[n] == 0.0 ? kLogOfZero : std::log(out.precisions[n]);
  }
  out.score = out.bp * std::exp(log_sum / eff_order);
  return out;
}

nlohmann::json to_json(const BleuScore& bleu) {
  return {{"score", bleu.score},           {"signature", bleu.signature},
          {"precisions", bleu.precisions}, {"bp", bleu.bp},
          {"ratio", bleu.ratio},           {"hyp_len", bleu.stats.hyp_len},
          {"ref_len", bleu.stats.ref_len}, {"counts", bleu.stats.correct},
          {"totals", bleu.stats.total}};
}

BleuScore corpus_bleu(const std::vector<std::string>& hypotheses,
                      const std::vector<std::string>& references) {
  GPTBENCH_CHECK(hypotheses.size() == references.size(), "BLEU: {} hypotheses but {} references",
                 hypotheses.size(), references.size());
  GPTBENCH_CHECK(!hypotheses.empty(), "BLEU: no samples to score");
  BleuStats stats;
  for (std::size_t i = 0; i < hypotheses.size(); ++i) {
    stats += bleu_segment_stats(hypotheses[i], references[i]);
  }
  return compute_bleu(stats, EffectiveOrder::kOff);
}

BleuScore sentence_bleu(std::string_view hypothesis, std::string_view reference) {
  return compute_bleu(bleu_segment_stats(hypothesis, reference), EffectiveOrder::kOn);
}

}  // namespace gptbench::eval
