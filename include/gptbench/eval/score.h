// The whole evaluation of a set of (prediction, reference) texts: mean ROUGE, corpus BLEU and
// mean sentence BLEU, plus the per-sample figures. `gptbench score` and the benchmark runner
// both go through score_texts, so there is one place that decides what "the scores" are.
#pragma once

#include <cstddef>  // std::size_t
#include <string>   // std::string
#include <vector>   // std::vector

#include <nlohmann/json.hpp>  // nlohmann::json

#include "gptbench/eval/bleu.h"   // BleuScore
#include "gptbench/eval/rouge.h"  // RougeScores, Stemming

namespace gptbench::eval {

struct ScoreReport {
  std::size_t n_samples = 0;
  Stemming stemming = Stemming::kPorter;
  RougeScores rouge;                             // mean over samples
  BleuScore bleu;                                // corpus BLEU
  double sentence_bleu_mean = 0.0;               // mean of per-sample sentence BLEU
  std::vector<RougeScores> rouge_per_sample;     // sample order
  std::vector<double> sentence_bleu_per_sample;  // sample order
};

// Whether to_json lists every sample's scores after the aggregates.
enum class PerSample { kOmit, kInclude };

// {n_samples, rouge_stemmer, rouge1, rouge2, rougeL, rougeLsum, bleu, sentence_bleu_mean
//  [, per_sample: [{rouge1, rouge2, rougeL, rougeLsum, sentence_bleu}, ...]]}
nlohmann::json to_json(const ScoreReport& report, PerSample per_sample = PerSample::kOmit);

// A small fixed-width table for people.
std::string format_table(const ScoreReport& report);

// Texts are UTF-8 (the references score Python str, which cannot hold invalid bytes; pass
// raw model output through replace_invalid_utf8 first, as Python's decode would). Throws
// gptbench::Error naming the sample when a text is not valid UTF-8, when the sizes differ, or
// when there are no samples.
ScoreReport score_texts(const std::vector<std::string>& predictions,
                        const std::vector<std::string>& references, Stemming stemming);

}  // namespace gptbench::eval
