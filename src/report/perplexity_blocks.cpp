// The perplexity run's own blocks (perplexity_blocks.h).
#include "gptbench/report/perplexity_blocks.h"  // this file's declarations

namespace gptbench::report {

nlohmann::json to_json(const PerplexityDataset& d) {
  return {{"name", d.name}, {"path", d.path}, {"tokens", d.tokens}};
}

void from_json(const JsonFields& in, PerplexityDataset& d) {
  d.name = in.string("name");
  d.path = in.string("path");
  d.tokens = in.integer("tokens");
}

nlohmann::json to_json(const PerplexityQuality& q) {
  nlohmann::json j = {{"perplexity", q.perplexity},
                      {"mean_nll", q.mean_nll},
                      {"scored_tokens", q.scored_tokens},
                      {"windows", q.windows},
                      {"method", q.method}};
  if (q.kl_against) {
    const KlAgainst& kl = *q.kl_against;
    j["kl_against"] = {{"variant", kl.variant}, {"kernel", kl.kernel},       {"mean_kl", kl.mean_kl},
                       {"max_kl", kl.max_kl},   {"direction", kl.direction}};
  }
  return j;
}

void from_json(const JsonFields& in, PerplexityQuality& q) {
  q.perplexity = in.number("perplexity");
  q.mean_nll = in.number("mean_nll");
  q.scored_tokens = in.integer("scored_tokens");
  q.windows = in.integer("windows");
  q.method = in.string("method");
  if (!in.is_null("kl_against")) {
    const JsonFields kl = in.object("kl_against");
    q.kl_against = KlAgainst{kl.string("variant"), kl.string("kernel"), kl.number("mean_kl"), kl.number("max_kl"),
                             kl.string("direction")};
  }
}

nlohmann::json to_json(const PerplexityLatency& l) {
  return {{"tokenize_ms", l.tokenize_ms}, {"total_s", l.total_s}, {"tokens_per_s", l.tokens_per_s}};
}

void from_json(const JsonFields& in, PerplexityLatency& l) {
  l.tokenize_ms = in.number("tokenize_ms");
  l.total_s = in.number("total_s");
  l.tokens_per_s = in.number("tokens_per_s");
}

}  // namespace gptbench::report
