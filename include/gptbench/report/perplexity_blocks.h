// The blocks only a perplexity run (`gptbench run --task perplexity`) has: the text, the
// perplexity (and KL against another variant), and the times.
#pragma once

#include <nlohmann/json.hpp>  // nlohmann::json

#include <cstdint>   // int64_t
#include <optional>  // std::optional
#include <string>    // std::string

#include "gptbench/report/json_fields.h"  // JsonFields

namespace gptbench::report {

struct PerplexityDataset {
  std::string name = "text";
  std::string path;
  int64_t tokens = 0;
};

// KL(this variant || another) per token, on the same windows.
struct KlAgainst {
  std::string variant, kernel;
  double mean_kl = 0, max_kl = 0;
  std::string direction;
};

struct PerplexityQuality {
  double perplexity = 0, mean_nll = 0;
  int64_t scored_tokens = 0, windows = 0;
  std::string method;
  std::optional<KlAgainst> kl_against;  // --kl-against only (absent otherwise)
};

struct PerplexityLatency {
  double tokenize_ms = 0, total_s = 0, tokens_per_s = 0;
};

nlohmann::json to_json(const PerplexityDataset& dataset);
void from_json(const JsonFields& in, PerplexityDataset& dataset);
nlohmann::json to_json(const PerplexityQuality& quality);
void from_json(const JsonFields& in, PerplexityQuality& quality);
nlohmann::json to_json(const PerplexityLatency& latency);
void from_json(const JsonFields& in, PerplexityLatency& latency);

}  // namespace gptbench::report
