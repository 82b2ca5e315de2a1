// The summarization run's own blocks (summarization_blocks.h).
#include "gptbench/report/summarization_blocks.h"  // this file's declarations

#include "gptbench/report/field_list.h"  // write_fields, read_fields

namespace gptbench::report {

constexpr auto kLinearFields = [](auto& io, auto& l) {
  io("kernel", l.kernel)("prefill", l.prefill)("decode", l.decode);
};

constexpr auto kDecodeFields = [](auto& io, auto& d) {
  io("mode", d.mode)("requested", d.requested)("graph_unavailable_reason", d.graph_unavailable_reason);
  io("decode_graph_captures", d.decode_graph_captures)("prefill_graph_captures", d.prefill_graph_captures);
  io("graph_capture_ms", d.graph_capture_ms)("wasted_steps", d.wasted_steps);
  io("prefill_graph_batches", d.prefill_graph_batches)("kv_cache", d.kv_cache);
};

// prompt_tokens is a number or a summary (DatasetInfo): written and read beside the list.
constexpr auto kDatasetFields = [](auto& io, auto& d) {
  io("name", d.name).if_present("path", d.path).if_present("stats", d.stats)("n_samples", d.n_samples);
  io.if_present("truncated_prompts", d.truncated_prompts);
};

constexpr auto kStoppingRuleFields = [](auto& io, auto& r) {
  io("min_batches", r.min_batches)("min_time_s", r.min_time_s)("max_noise", r.max_noise)("max_time_s", r.max_time_s);
  io("max_batches", r.max_batches);
};

constexpr auto kStoppingFields = [](auto& io, auto& s) {
  io("rule", s.rule)("reason", s.reason)("batches", s.batches)("samples", s.samples)("noise", s.noise);
  io("elapsed_s", s.elapsed_s);
};

constexpr auto kLatencyFields = [](auto& io, auto& l) {
  io("unit", l.unit)("timing", l.timing)("batches", l.batches);
  io("e2e", l.e2e, RawSamples::kInclude)("ttft", l.ttft, RawSamples::kInclude)("tpot", l.tpot, RawSamples::kInclude);
  io("decode_step", l.decode_step, RawSamples::kOmit);
  io("generated_tokens", l.generated_tokens)("tokens_per_s", l.tokens_per_s)("samples_per_s", l.samples_per_s);
  io("load_data_ms", l.load_data_ms)("tokenize_ms", l.tokenize_ms)("score_ms", l.score_ms);
  io.if_present("stopping", l.stopping);
};

// Reports of November 2026's first sessions counted graph captures in one key, graph_captures,
// and had no prefill_graph_captures: their `decode` in today's keys.
static nlohmann::json upgraded_decode(const JsonFields& in) {
  nlohmann::json decode = in.value();
  if (!in.has("decode_graph_captures") && in.has("graph_captures"))
    decode["decode_graph_captures"] = decode["graph_captures"];
  if (in.is_null("prefill_graph_captures")) decode["prefill_graph_captures"] = 0;
  return decode;
}

const Summary* find_latency(const LatencyInfo& l, const std::string& name) {
  return name == "e2e" ? &l.e2e : name == "ttft" ? &l.ttft : name == "tpot" ? &l.tpot
                                  : name == "decode_step"                   ? &l.decode_step
                                                                            : nullptr;
}

nlohmann::json to_json(const LinearInfo& l) { return write_fields(l, kLinearFields); }

void from_json(const JsonFields& in, LinearInfo& l) { read_fields(in, l, kLinearFields); }

nlohmann::json to_json(const DecodeInfo& d) { return write_fields(d, kDecodeFields); }

void from_json(const JsonFields& in, DecodeInfo& d) {
  const nlohmann::json decode = upgraded_decode(in);
  read_fields(JsonFields(decode, in.path()), d, kDecodeFields);
}

nlohmann::json to_json(const DatasetInfo& d) {
  nlohmann::json j = write_fields(d, kDatasetFields);
  const int64_t* length = std::get_if<int64_t>(&d.prompt_tokens);
  j["prompt_tokens"] = length ? nlohmann::json(*length) : to_json(std::get<Summary>(d.prompt_tokens), RawSamples::kOmit);
  return j;
}

void from_json(const JsonFields& in, DatasetInfo& d) {
  read_fields(in, d, kDatasetFields);
  if (in.any("prompt_tokens").is_object()) {
    Summary lengths;
    from_json(in.object("prompt_tokens"), lengths, RawSamples::kOmit);
    d.prompt_tokens = lengths;
  } else {
    d.prompt_tokens = in.integer("prompt_tokens");
  }
}

nlohmann::json to_json(const StoppingRuleInfo& r) { return write_fields(r, kStoppingRuleFields); }

void from_json(const JsonFields& in, StoppingRuleInfo& r) { read_fields(in, r, kStoppingRuleFields); }

nlohmann::json to_json(const StoppingInfo& s) { return write_fields(s, kStoppingFields); }

void from_json(const JsonFields& in, StoppingInfo& s) { read_fields(in, s, kStoppingFields); }

nlohmann::json to_json(const LatencyInfo& l) { return write_fields(l, kLatencyFields); }

void from_json(const JsonFields& in, LatencyInfo& l) { read_fields(in, l, kLatencyFields); }

}  // namespace gptbench::report
