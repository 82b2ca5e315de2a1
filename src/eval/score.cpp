// score_texts: ROUGE, corpus BLEU and sentence BLEU over one set of samples; see score.h.
#include "gptbench/eval/score.h"  // this file's declarations

#include <fmt/format.h>  // fmt::format for the table and error messages

#include <string_view>  // std::string_view
#include <utility>      // std::move

#include "gptbench/eval/python_text.h"  // find_invalid_utf8
#include "gptbench/util/check.h"        // GPTBENCH_CHECK

namespace gptbench::eval {

namespace {

void check_utf8(const std::vector<std::string>& texts, std::string_view what) {
  for (std::size_t i = 0; i < texts.size(); ++i) {
    const std::size_t bad = find_invalid_utf8(texts[i]);
    GPTBENCH_CHECK(bad == std::string_view::npos, "{} {} is not valid UTF-8 (byte {})", what, i + 1,
                   bad + 1);
  }
}

std::string_view stemmer_name(Stemming stemming) {
  return stemming == Stemming::kPorter ? "porter" : "none";
}

}  // namespace

nlohmann::json to_json(const ScoreReport& report, PerSample per_sample) {
  nlohmann::json out = to_json(report.rouge);  // rouge1, rouge2, rougeL, rougeLsum
  out["n_samples"] = report.n_samples;
  out["rouge_stemmer"] = stemmer_name(report.stemming);
  out["bleu"] = to_json(report.bleu);
  out["sentence_bleu_mean"] = report.sentence_bleu_mean;
  if (per_sample == PerSample::kInclude) {
    nlohmann::json samples = nlohmann::json::array();
    for (std::size_t i = 0; i < report.n_samples; ++i) {
      nlohmann::json sample = to_json(report.rouge_per_sample[i]);
      sample["sentence_bleu"] = report.sentence_bleu_per_sample[i];
      samples.push_back(std::move(sample));
    }
    out["per_sample"] = std::move(samples);
  }
  return out;
}

std::string format_table(const ScoreReport& report) {
  std::string out = fmt::format("samples: {}  (ROUGE stemmer: {})\n", report.n_samples,
                                stemmer_name(report.stemming));
  out += fmt::format("{:<10} {:>9} {:>9} {:>9}\n", "metric", "precision", "recall", "fmeasure");
  const auto row = [&out](std::string_view name, const PrecisionRecallF& s) {
    out +=
        fmt::format("{:<10} {:>9.4f} {:>9.4f} {:>9.4f}\n", name, s.precision, s.recall, s.fmeasure);
  };
  row("rouge1", report.rouge.rouge1);
  row("rouge2", report.rouge.rouge2);
  row("rougeL", report.rouge.rouge_l);
  row("rougeLsum", report.rouge.rouge_lsum);
  const BleuScore& b = report.bleu;
  // The BLEU line in sacreBLEU's own layout, so it can be compared by eye.
  out += fmt::format(
      "BLEU = {:.2f} {:.1f}/{:.1f}/{:.1f}/{:.1f} (BP = {:.3f} ratio = {:.3f} hyp_len = {} "
      "ref_len = {})\n",
      b.score, b.precisions[0], b.precisions[1], b.precisions[2], b.precisions[3], b.bp, b.ratio,
      b.stats.hyp_len, b.stats.ref_len);
  out += fmt::format("signature: {}\n", b.signature);
  out += fmt::format("sentence BLEU (mean): {:.2f}\n", report.sentence_bleu_mean);
  return out;
}

ScoreReport score_texts(const std::vector<std::string>& predictions,
                        const std::vector<std::string>& references, Stemming stemming) {
  GPTBENCH_CHECK(predictions.size() == references.size(), "{} predictions but {} references",
                 predictions.size(), references.size());
  GPTBENCH_CHECK(!predictions.empty(), "no samples to score");
  check_utf8(predictions, "prediction");
  check_utf8(references, "reference");

  ScoreReport report;
  report.n_samples = predictions.size();
  report.stemming = stemming;
  RougeResult rouge = rouge_corpus(predictions, references, stemming);
  report.rouge = rouge.mean;
  report.rouge_per_sample = std::move(rouge.per_sample);
  // One tokenization per segment serves both BLEUs: the corpus score sums the statistics
  // that the sentence scores use one at a time (what corpus_bleu and sentence_bleu do).
  BleuStats corpus_stats;
  report.sentence_bleu_per_sample.reserve(predictions.size());
  double sum = 0.0;
  for (std::size_t i = 0; i < predictions.size(); ++i) {
    const BleuStats stats = bleu_segment_stats(predictions[i], references[i]);
    corpus_stats += stats;
    const double score = compute_bleu(stats, EffectiveOrder::kOn).score;
    report.sentence_bleu_per_sample.push_back(score);
    sum += score;
  }
  report.bleu = compute_bleu(corpus_stats, EffectiveOrder::kOff);
  report.sentence_bleu_mean = sum / static_cast<double>(predictions.size());
  return report;
}

}  // namespace gptbench::eval
