// The summarization `quality` block (quality_scores.h).
#include "gptbench/report/quality_scores.h"  // this file's declarations

namespace gptbench::report {
namespace {

nlohmann::json to_json(const RougeScore& r) {
  return {{"precision", r.precision}, {"recall", r.recall}, {"fmeasure", r.fmeasure}};
}

void from_json(const JsonFields& in, RougeScore& r) {
  r.precision = in.number("precision");
  r.recall = in.number("recall");
  r.fmeasure = in.number("fmeasure");
}

nlohmann::json to_json(const BleuInfo& b) {
  return {{"score", b.score},   {"signature", b.signature}, {"precisions", b.precisions},
          {"bp", b.bp},         {"ratio", b.ratio},         {"hyp_len", b.hyp_len},
          {"ref_len", b.ref_len}, {"counts", b.counts},     {"totals", b.totals}};
}

void from_json(const JsonFields& in, BleuInfo& b) {
  b.score = in.number("score");
  b.signature = in.string("signature");
  b.precisions = in.numbers("precisions");
  b.bp = in.number("bp");
  b.ratio = in.number("ratio");
  b.hyp_len = in.integer("hyp_len");
  b.ref_len = in.integer("ref_len");
  b.counts = in.integers("counts");
  b.totals = in.integers("totals");
}

}  // namespace

const RougeScore* find_rouge(const QualityScores& q, const std::string& name) {
  return name == "rouge1" ? &q.rouge1 : name == "rouge2" ? &q.rouge2 : name == "rougeL" ? &q.rouge_l
                                                          : name == "rougeLsum"          ? &q.rouge_lsum
                                                                                         : nullptr;
}

nlohmann::json to_json(const QualityScores& q) {
  return {{"rouge1", to_json(q.rouge1)},
          {"rouge2", to_json(q.rouge2)},
          {"rougeL", to_json(q.rouge_l)},
          {"rougeLsum", to_json(q.rouge_lsum)},
          {"rouge_stemmer", q.rouge_stemmer},
          {"bleu", to_json(q.bleu)},
          {"sentence_bleu_mean", q.sentence_bleu_mean},
          {"n_samples", q.n_samples}};
}

void from_json(const JsonFields& in, QualityScores& q) {
  from_json(in.object("rouge1"), q.rouge1);
  from_json(in.object("rouge2"), q.rouge2);
  from_json(in.object("rougeL"), q.rouge_l);
  from_json(in.object("rougeLsum"), q.rouge_lsum);
  q.rouge_stemmer = in.string("rouge_stemmer");
  from_json(in.object("bleu"), q.bleu);
  q.sentence_bleu_mean = in.number("sentence_bleu_mean");
  q.n_samples = in.integer("n_samples");
}

}  // namespace gptbench::report
