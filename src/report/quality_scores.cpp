// The summarization `quality` block (quality_scores.h).
#include "gptbench/report/quality_scores.h"  // this file's declarations

#include "gptbench/report/field_list.h"  // write_fields, read_fields

namespace gptbench::report {

constexpr auto kRougeFields = [](auto& io, auto& r) {
  io("precision", r.precision)("recall", r.recall)("fmeasure", r.fmeasure);
};

constexpr auto kBleuFields = [](auto& io, auto& b) {
  io("score", b.score)("signature", b.signature)("precisions", b.precisions)("bp", b.bp)("ratio", b.ratio);
  io("hyp_len", b.hyp_len)("ref_len", b.ref_len)("counts", b.counts)("totals", b.totals);
};

constexpr auto kQualityFields = [](auto& io, auto& q) {
  io("rouge1", q.rouge1)("rouge2", q.rouge2)("rougeL", q.rouge_l)("rougeLsum", q.rouge_lsum);
  io("rouge_stemmer", q.rouge_stemmer)("bleu", q.bleu)("sentence_bleu_mean", q.sentence_bleu_mean);
  io("n_samples", q.n_samples);
};

// Found by the field list through argument-dependent lookup, so in this namespace.
static nlohmann::json to_json(const RougeScore& r) { return write_fields(r, kRougeFields); }
static void from_json(const JsonFields& in, RougeScore& r) { read_fields(in, r, kRougeFields); }
static nlohmann::json to_json(const BleuInfo& b) { return write_fields(b, kBleuFields); }
static void from_json(const JsonFields& in, BleuInfo& b) { read_fields(in, b, kBleuFields); }

const RougeScore* find_rouge(const QualityScores& q, const std::string& name) {
  return name == "rouge1" ? &q.rouge1 : name == "rouge2" ? &q.rouge2 : name == "rougeL" ? &q.rouge_l
                                                          : name == "rougeLsum"          ? &q.rouge_lsum
                                                                                         : nullptr;
}

nlohmann::json to_json(const QualityScores& q) { return write_fields(q, kQualityFields); }

void from_json(const JsonFields& in, QualityScores& q) { read_fields(in, q, kQualityFields); }

}  // namespace gptbench::report
