// The summarization run's own blocks (summarization_blocks.h).
#include "gptbench/report/summarization_blocks.h"  // this file's declarations

namespace gptbench::report {

const Summary* find_latency(const LatencyInfo& l, const std::string& name) {
  return name == "e2e" ? &l.e2e : name == "ttft" ? &l.ttft : name == "tpot" ? &l.tpot
                                  : name == "decode_step"                   ? &l.decode_step
                                                                            : nullptr;
}

nlohmann::json to_json(const LinearInfo& l) {
  return {{"kernel", l.kernel}, {"prefill", nullable(l.prefill)}, {"decode", nullable(l.decode)}};
}

void from_json(const JsonFields& in, LinearInfo& l) {
  l.kernel = in.string("kernel");
  l.prefill = in.optional_string("prefill");
  l.decode = in.optional_string("decode");
}

nlohmann::json to_json(const DecodeInfo& d) {
  return {{"mode", d.mode},
          {"requested", d.requested},
          {"graph_unavailable_reason", nullable(d.graph_unavailable_reason)},
          {"decode_graph_captures", d.decode_graph_captures},
          {"prefill_graph_captures", d.prefill_graph_captures},
          {"graph_capture_ms", d.graph_capture_ms},
          {"wasted_steps", d.wasted_steps},
          {"prefill_graph_batches", d.prefill_graph_batches},
          {"kv_cache", nullable(d.kv_cache)}};
}

void from_json(const JsonFields& in, DecodeInfo& d) {
  d.mode = in.string("mode");
  d.requested = in.string("requested");
  d.graph_unavailable_reason = in.optional_string("graph_unavailable_reason");
  // Reports of November 2026's first sessions counted graph captures in one key, graph_captures.
  d.decode_graph_captures = in.has("decode_graph_captures") ? in.integer("decode_graph_captures")
                                                             : in.integer("graph_captures");
  d.prefill_graph_captures = in.optional_integer("prefill_graph_captures").value_or(0);
  d.graph_capture_ms = in.number("graph_capture_ms");
  d.wasted_steps = in.integer("wasted_steps");
  d.prefill_graph_batches = in.integer("prefill_graph_batches");
  d.kv_cache = in.optional_string("kv_cache");
}

nlohmann::json to_json(const DatasetInfo& d) {
  nlohmann::json j = {{"name", d.name}, {"n_samples", d.n_samples}};
  if (d.path) j["path"] = *d.path;
  if (d.stats) j["stats"] = *d.stats;
  if (d.truncated_prompts) j["truncated_prompts"] = *d.truncated_prompts;
  if (const int64_t* length = std::get_if<int64_t>(&d.prompt_tokens)) {
    j["prompt_tokens"] = *length;
  } else {
    j["prompt_tokens"] = to_json(std::get<Summary>(d.prompt_tokens), RawSamples::kOmit);
  }
  return j;
}

void from_json(const JsonFields& in, DatasetInfo& d) {
  d.name = in.string("name");
  d.path = in.optional_string("path");
  if (in.has("stats")) {
    in.object("stats");  // must be an object; its keys are data::to_json's
    d.stats = in.any("stats");
  }
  d.n_samples = in.integer("n_samples");
  d.truncated_prompts = in.optional_integer("truncated_prompts");
  if (in.any("prompt_tokens").is_object()) {
    Summary lengths;
    from_json(in.object("prompt_tokens"), lengths, RawSamples::kOmit);
    d.prompt_tokens = lengths;
  } else {
    d.prompt_tokens = in.integer("prompt_tokens");
  }
}

nlohmann::json to_json(const LatencyInfo& l) {
  return {{"unit", l.unit},
          {"timing", l.timing},
          {"batches", l.batches},
          {"e2e", to_json(l.e2e)},
          {"ttft", to_json(l.ttft)},
          {"tpot", to_json(l.tpot)},
          {"decode_step", to_json(l.decode_step, RawSamples::kOmit)},
          {"generated_tokens", l.generated_tokens},
          {"tokens_per_s", l.tokens_per_s},
          {"samples_per_s", l.samples_per_s},
          {"load_data_ms", l.load_data_ms},
          {"tokenize_ms", l.tokenize_ms},
          {"score_ms", l.score_ms}};
}

void from_json(const JsonFields& in, LatencyInfo& l) {
  l.unit = in.string("unit");
  l.timing = in.string("timing");
  l.batches = in.integer("batches");
  from_json(in.object("e2e"), l.e2e, RawSamples::kInclude);
  from_json(in.object("ttft"), l.ttft, RawSamples::kInclude);
  from_json(in.object("tpot"), l.tpot, RawSamples::kInclude);
  from_json(in.object("decode_step"), l.decode_step, RawSamples::kOmit);
  l.generated_tokens = in.integer("generated_tokens");
  l.tokens_per_s = in.number("tokens_per_s");
  l.samples_per_s = in.number("samples_per_s");
  l.load_data_ms = in.number("load_data_ms");
  l.tokenize_ms = in.number("tokenize_ms");
  l.score_ms = in.number("score_ms");
}

}  // namespace gptbench::report
