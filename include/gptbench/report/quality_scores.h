// The `quality` block of a summarization run (and of train's rouge_eval): mean ROUGE of the
// generated summaries against the references and sacreBLEU's corpus BLEU (eval::score_texts).
#pragma once

#include <nlohmann/json.hpp>  // nlohmann::json

#include <cstdint>  // int64_t
#include <string>   // std::string
#include <vector>   // std::vector

#include "gptbench/report/json_fields.h"  // JsonFields

namespace gptbench::report {

struct RougeScore {
  double precision = 0, recall = 0, fmeasure = 0;
};

// sacreBLEU's corpus BLEU: score on its 0-100 scale, per-order precisions (percent), brevity penalty.
struct BleuInfo {
  double score = 0;
  std::string signature;
  std::vector<double> precisions;
  double bp = 0, ratio = 0;
  int64_t hyp_len = 0, ref_len = 0;
  std::vector<int64_t> counts, totals;
};

struct QualityScores {
  RougeScore rouge1, rouge2, rouge_l, rouge_lsum;
  std::string rouge_stemmer;  // "porter" or "none"
  BleuInfo bleu;
  double sentence_bleu_mean = 0;
  int64_t n_samples = 0;
};

// The ROUGE variants by their report names: rouge1, rouge2, rougeL, rougeLsum; nullptr for another name.
const RougeScore* find_rouge(const QualityScores& quality, const std::string& name);

nlohmann::json to_json(const QualityScores& quality);
void from_json(const JsonFields& in, QualityScores& quality);

}  // namespace gptbench::report
