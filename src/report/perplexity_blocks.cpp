// The perplexity run's own blocks (perplexity_blocks.h).
#include "gptbench/report/perplexity_blocks.h"  // this file's declarations

#include "gptbench/report/field_list.h"  // write_fields, read_fields

namespace gptbench::report {

constexpr auto kDatasetFields = [](auto& io, auto& d) { io("name", d.name)("path", d.path)("tokens", d.tokens); };

constexpr auto kKlFields = [](auto& io, auto& kl) {
  io("variant", kl.variant)("kernel", kl.kernel)("mean_kl", kl.mean_kl)("max_kl", kl.max_kl);
  io("direction", kl.direction);
};

constexpr auto kQualityFields = [](auto& io, auto& q) {
  io("perplexity", q.perplexity)("mean_nll", q.mean_nll)("scored_tokens", q.scored_tokens)("windows", q.windows);
  io("method", q.method).if_present("kl_against", q.kl_against);
};

constexpr auto kLatencyFields = [](auto& io, auto& l) {
  io("tokenize_ms", l.tokenize_ms)("total_s", l.total_s)("tokens_per_s", l.tokens_per_s);
};

// Found by the field list through argument-dependent lookup, so in this namespace.
static nlohmann::json to_json(const KlAgainst& kl) { return write_fields(kl, kKlFields); }
static void from_json(const JsonFields& in, KlAgainst& kl) { read_fields(in, kl, kKlFields); }

nlohmann::json to_json(const PerplexityDataset& d) { return write_fields(d, kDatasetFields); }
void from_json(const JsonFields& in, PerplexityDataset& d) { read_fields(in, d, kDatasetFields); }

nlohmann::json to_json(const PerplexityQuality& q) { return write_fields(q, kQualityFields); }
void from_json(const JsonFields& in, PerplexityQuality& q) { read_fields(in, q, kQualityFields); }

nlohmann::json to_json(const PerplexityLatency& l) { return write_fields(l, kLatencyFields); }
void from_json(const JsonFields& in, PerplexityLatency& l) { read_fields(in, l, kLatencyFields); }

}  // namespace gptbench::report
