// `gptbench run`: the summarization benchmark.
#include "gptbench/run/summarization.h"

#include <ATen/ops/empty.h>          // at::empty
#include <c10/core/InferenceMode.h>  // c10::InferenceMode
#include <fmt/format.h>              // fmt::format, fmt::print

#include <algorithm>  // std::min
#include <chrono>     // std::chrono::steady_clock
#include <cstdio>     // stderr
#include <memory>     // std::shared_ptr
#include <optional>   // std::optional
#include <utility>    // std::move

#include "gptbench/attention/variant.h"     // variant_name
#include "gptbench/bench/device_memory.h"   // reset_peak_memory, read_peak_memory
#include "gptbench/bench/device_timer.h"    // DeviceTimer
#include "gptbench/bench/environment.h"     // environment_json, tool_json
#include "gptbench/bench/gpu_telemetry.h"   // TelemetryWindow
#include "gptbench/bench/profile_summary.h" // ProfileSummary, to_json, format_profile_table
#include "gptbench/bench/profiler.h"        // Profiler
#include "gptbench/bench/progress.h"        // ProgressReporter
#include "gptbench/bench/stats.h"           // summarize
#include "gptbench/bench/stopping_rule.h"   // stop_reason, relative_noise
#include "gptbench/data/dataset.h"          // load_dataset
#include "gptbench/data/prompt.h"           // build_prompt
#include "gptbench/eval/python_text.h"      // replace_invalid_utf8
#include "gptbench/eval/score.h"            // score_texts
#include "gptbench/io/atomic_file.h"        // write_file_atomic
#include "gptbench/kernels/fused_linear.h"  // kGemvDefaultMaxRows, kGemvKernelMaxRows
#include "gptbench/model/beam_search.h"     // generate_beam
#include "gptbench/model/checkpoint.h"      // load_model
#include "gptbench/run/quant_report.h"        // quant_info
#include "gptbench/run/adapter_report.h"      // adapter_info
#include "gptbench/run/run_stopping.h"        // run_stopping_rule, stopping_info
#include "gptbench/model/decode_graph.h"    // DecodeGraphs, decode_graph_unsupported_reason
#include "gptbench/model/generator.h"       // generate_greedy, left_pad
#include "gptbench/model/kv_cache.h"        // kv_cache_bytes, kv_cache_kind
#include "gptbench/model/model_family.h"    // find_family (the tokenizer kind)
#include "gptbench/text/tokenizer.h"        // Tokenizer, load_tokenizer
#include "gptbench/util/check.h"            // GPTBENCH_CHECK
#include "gptbench/util/error.h"            // Error, UsageError

namespace gptbench::run {
namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

void validate(const RunConfig& c) {
  if (c.batch_size < 1) throw UsageError(fmt::format("--batch-size must be at least 1, got {}", c.batch_size));
  if (c.max_new_tokens < 1)
    throw UsageError(fmt::format("--max-new-tokens must be at least 1, got {}", c.max_new_tokens));
  if (c.min_new_tokens < 0 || c.min_new_tokens > c.max_new_tokens)
    throw UsageError(fmt::format("--min-new-tokens must be between 0 and --max-new-tokens ({}), got {}",
                                 c.max_new_tokens, c.min_new_tokens));
  if (c.max_prompt_tokens && *c.max_prompt_tokens < 1)
    throw UsageError(fmt::format("--max-prompt-tokens must be at least 1, got {}", *c.max_prompt_tokens));
  if (c.limit && *c.limit < 1) throw UsageError(fmt::format("--limit must be at least 1, got {}", *c.limit));
  if (c.warmup < 0) throw UsageError(fmt::format("--warmup must be >= 0, got {}", c.warmup));
  if (c.num_beams < 1) throw UsageError(fmt::format("--num-beams must be at least 1, got {}", c.num_beams));
  if (c.num_beams == 1 && (c.no_repeat_ngram_size != 0 || c.length_penalty != 1.0 || c.early_stopping != model::EarlyStopping::kHeuristic))
    throw UsageError("--no-repeat-ngram-size, --length-penalty and --early-stopping need --num-beams > 1");
  if (c.num_beams > 1 && c.timing == TimingMode::kForward)
    throw UsageError("--timing forward runs no generation: drop --num-beams");
  run_stopping_rule(c.stopping, 1);  // a bad stopping flag fails before the model loads
}

struct BatchTiming {
  double e2e_ms = 0, ttft_ms = 0;
  std::vector<double> step_ms;  // decode steps after the first token
};

// What a run feeds the model: prompt ids, and the references to score against (if any).
struct Workload {
  std::vector<std::vector<int32_t>> prompts;
  std::vector<std::string> ids, references;
  std::vector<bool> truncated;
  bool scored = false;
  report::DatasetInfo description;
  double load_data_ms = 0, tokenize_ms = 0;
  std::shared_ptr<const text::Tokenizer> tokenizer;  // null for the synthetic workload
};

Workload dataset_workload(const RunConfig& c, model::LoadedModel& loaded) {
  Workload w;
  auto t0 = Clock::now();
  data::DatasetOptions options;
  options.kind = file_dataset(c.dataset);
  options.path = c.data_path;
  options.data_dir = c.model.flags.data_dir;
  options.split = c.split;
  options.limit = c.limit;
  options.split_seed = c.split_seed;
  const data::Dataset dataset = data::load_dataset(options);
  w.load_data_ms = ms_since(t0);

  loaded = load_selected_model(c.model);  // c.model's spec, dtype and device, --quant and --adapter
  try {
    w.tokenizer = text::load_tokenizer(c.tokenizer_dir.empty() ? c.model.flags.model_dir : c.tokenizer_dir);
  } catch (const Error& e) {
    if (!c.tokenizer_dir.empty()) throw;
    throw Error(fmt::format("{} (the model folder holds no tokenizer: give --tokenizer DIR)", e.what()));
  }

  // Tokenisation, timed apart from model latency.
  t0 = Clock::now();
  data::PromptOptions prompt_options;
  prompt_options.templ = c.prompt_template;
  // ALiBi without learned positions has no position table; its KV cache still bounds the length.
  prompt_options.context = loaded.model->shape().max_positions;
  // A prompt budget: build_prompt keeps prompt + max_new_tokens <= context, so the prompt <= the budget.
  if (c.max_prompt_tokens)
    prompt_options.context = std::min(prompt_options.context, *c.max_prompt_tokens + c.max_new_tokens);
  prompt_options.max_new_tokens = c.max_new_tokens;
  int64_t truncated = 0;
  std::vector<double> lengths;
  for (const auto& s : dataset.samples) {
    data::Prompt p = data::build_prompt(s.source, *w.tokenizer, prompt_options);
    truncated += p.truncated ? 1 : 0;
    lengths.push_back(static_cast<double>(p.ids.size()));
    w.prompts.push_back(std::move(p.ids));
    w.truncated.push_back(p.truncated);
    w.ids.push_back(s.id);
    w.references.push_back(s.reference);
  }
  w.tokenize_ms = ms_since(t0);
  w.scored = true;
  w.description.name = dataset.name;
  w.description.path = dataset.path;
  w.description.stats = data::to_json(dataset.stats);
  w.description.n_samples = static_cast<int64_t>(w.prompts.size());
  w.description.truncated_prompts = truncated;
  w.description.prompt_tokens = bench::summarize(lengths);
  return w;
}

// Random prompts of exactly --prompt-tokens tokens (seeded by --split-seed): pure latency/memory.
Workload synthetic_workload(const RunConfig& c, const attention::AttentionSpec& spec, model::LoadedModel& loaded) {
  if (c.prompt_tokens < 1)
    throw UsageError(fmt::format("--prompt-tokens must be at least 1, got {}", c.prompt_tokens));
  loaded = load_selected_model(c.model);
  const model::ModelShape& shape = loaded.model->shape();
  model::check_fits_context(shape, spec, c.prompt_tokens, c.max_new_tokens);
  GPTBENCH_CHECK(shape.vocab_size >= 2, "{}: --dataset synthetic needs a vocab_size of at least 2 (one id besides EOS), "
                 "the model has {}", c.model.flags.model_dir, shape.vocab_size);
  Workload w;
  const int64_t n = c.limit.value_or(c.batch_size * 4);
  uint64_t x = c.split_seed * 0x9E3779B97F4A7C15ULL + 1;
  for (int64_t i = 0; i < n; ++i) {
    std::vector<int32_t> p;
    for (int64_t t = 0; t < c.prompt_tokens; ++t) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;  // xorshift64
      // Never EOS: vocab_size - 1 ids, the ones from EOS up shifted by one (GPT-2's EOS is the last id).
      int64_t id = static_cast<int64_t>(x % static_cast<uint64_t>(shape.vocab_size - 1));
      if (shape.eos_token_id >= 0 && id >= shape.eos_token_id) ++id;
      p.push_back(static_cast<int32_t>(id));
    }
    w.prompts.push_back(std::move(p));
    w.ids.push_back(fmt::format("synthetic-{}", i));
    w.truncated.push_back(false);
  }
  w.description.name = "synthetic";
  w.description.n_samples = n;
  w.description.prompt_tokens = c.prompt_tokens;
  return w;
}

// How the run generates: greedy options (with the run's decode graphs) or beam search.
struct Decoding {
  model::GenerationOptions greedy;
  model::BeamSearchOptions beam;
  model::DecodeGraphs graphs;  // captured by this run only (a run starts from a clean model)
};

void set_up_decoding(const RunConfig& c, const attention::AttentionSpec& spec, c10::Device device,
                     model::CausalLm& m, Decoding& d) {
  m.set_gemv_max_rows(c.linear == LinearMode::kAten   ? 0
                       : c.linear == LinearMode::kGemv ? kernels::kGemvKernelMaxRows
                                            : kernels::kGemvDefaultMaxRows);
  d.greedy.max_new_tokens = c.max_new_tokens;
  d.greedy.min_new_tokens = c.min_new_tokens;
  const std::string no_graph_reason = model::decode_graph_unsupported_reason(m);
  if (c.decode == DecodeMode::kGraph && !no_graph_reason.empty())
    throw UsageError(fmt::format("--decode graph: {} (variant {}, device {})", no_graph_reason,
                                 attention::variant_name(spec), device.str()));
  if (c.decode != DecodeMode::kEager && c.num_beams == 1) d.greedy.graphs = &d.graphs;
  d.greedy.force_graph = c.decode == DecodeMode::kGraph;
  d.beam.num_beams = c.num_beams;
  d.beam.max_new_tokens = c.max_new_tokens;
  d.beam.min_new_tokens = c.min_new_tokens;
  d.beam.no_repeat_ngram_size = c.no_repeat_ngram_size;
  d.beam.length_penalty = c.length_penalty;
  d.beam.early_stopping = c.early_stopping;
}

// Runs one batch as the run is configured (one forward, beam search or greedy generation) between
// device-event marks: 0 before, 1 at the first token, then one per decode step.
class BatchRunner {
 public:
  BatchRunner(const RunConfig& c, model::CausalLm& m, c10::Device device, Decoding& decoding)
      : c_(c), m_(m), device_(device), decoding_(decoding), timer_(device) {}

  std::vector<model::GeneratedSequence> run(const std::vector<std::vector<int32_t>>& ids, BatchTiming* timing) {
    timer_.clear();
    std::vector<model::GeneratedSequence> out;
    if (c_.timing == TimingMode::kForward) {
      c10::InferenceMode guard;
      timer_.mark();
      model::PaddedBatch batch = model::left_pad(ids, model::kPadId, device_);
      attention::AttentionPositions positions{batch.key_start, 0, {}, batch.left_padded};
      m_.forward(batch.ids, positions, nullptr, model::LogitsMode::kAllPositions);
      timer_.mark();
      out.resize(ids.size());
    } else if (c_.num_beams > 1) {
      // Beam search is timed end to end only: its steps are not one token of one sequence.
      timer_.mark();
      out = model::generate_beam(m_, ids, decoding_.beam);
      timer_.mark();
    } else {
      out = model::generate_greedy(m_, ids, decoding_.greedy, [&] { timer_.mark(); }, &stats_);
    }
    timer_.synchronize();
    if (timing != nullptr) {
      const int last = timer_.marks() - 1;
      timing->e2e_ms = timer_.elapsed_ms(0, last);
      timing->ttft_ms = timer_.elapsed_ms(0, std::min(1, last));
      for (int k = 2; k <= last; ++k) timing->step_ms.push_back(timer_.elapsed_ms(k - 1, k));
    }
    return out;
  }

  const model::GenerationStats& stats() const { return stats_; }  // of the last greedy batch

 private:
  const RunConfig& c_;
  model::CausalLm& m_;
  c10::Device device_;
  Decoding& decoding_;
  bench::DeviceTimer timer_;
  model::GenerationStats stats_;
};

// What the timed batches measured and generated.
struct TimedBatches {
  std::vector<double> e2e, ttft, tpot, steps;  // ms: per batch (tpot: its mean step), per decode step
  std::vector<std::string> predictions;        // per sample
  std::vector<int64_t> generated_tokens;       // per sample
  int64_t kv_bytes = 0, total_generated = 0, wasted_steps = 0, prefill_graph_batches = 0;
  int64_t samples = 0;  // timed, repeats included (the stopping rule may run the prompts more than once)
  double timed_ms = 0;
};

// One timed batch's numbers and texts into `t`; `first` is the batch's first sample.
void record_batch(const RunConfig& c, const model::CausalLm& m, const Workload& work, const model::GenerationStats& stats,
                  int64_t first, const std::vector<std::vector<int32_t>>& ids, const BatchTiming& timing,
                  const std::vector<model::GeneratedSequence>& out, TimedBatches& t) {
  t.e2e.push_back(timing.e2e_ms);
  t.timed_ms += timing.e2e_ms;
  t.samples += static_cast<int64_t>(ids.size());
  if (c.timing != TimingMode::kGenerate) return;
  const bool greedy = c.num_beams == 1;
  if (greedy) t.ttft.push_back(timing.ttft_ms);
  if (!timing.step_ms.empty()) {
    double sum = 0;
    for (double s : timing.step_ms) sum += s;
    t.tpot.push_back(sum / static_cast<double>(timing.step_ms.size()));
    t.steps.insert(t.steps.end(), timing.step_ms.begin(), timing.step_ms.end());
  }
  int64_t longest = 0;
  for (const auto& p : ids) longest = std::max<int64_t>(longest, static_cast<int64_t>(p.size()));
  t.kv_bytes = std::max(t.kv_bytes, greedy ? stats.kv_cache_bytes
                                           : model::kv_cache_bytes(m.cache_shape(static_cast<int64_t>(ids.size())), m.spec(),
                                                                   longest + c.max_new_tokens));
  t.wasted_steps += greedy ? stats.wasted_steps : 0;
  t.prefill_graph_batches += greedy && stats.prefill_graph ? 1 : 0;
  // A repeated prompt (a later pass) adds its tokens; its text and count stay its first generation's.
  const bool first_pass = t.samples <= static_cast<int64_t>(t.predictions.size());
  for (size_t r = 0; r < out.size(); ++r) {
    const auto tokens = static_cast<int64_t>(out[r].tokens.size());
    t.total_generated += tokens;
    if (!first_pass) continue;
    if (work.tokenizer) t.predictions[first + r] = eval::replace_invalid_utf8(work.tokenizer->decode(out[r].tokens));
    t.generated_tokens[first + r] = tokens;
  }
}

// The kernels that ran: the decode steps' for greedy runs that decoded, else the last forward's.
void record_kernels(const model::CausalLm& m, const attention::AttentionSpec& spec, bool greedy,
                    const model::GenerationStats& stats, report::RunReport& r, report::LinearInfo& linear) {
  const bool decoded = greedy && !stats.decode_kernel.empty();
  report::AttentionInfo& a = r.attention.emplace(attention_info(spec, decoded ? stats.decode_kernel : m.last_kernel()));
  if (greedy) a.prefill_kernel = stats.prefill_kernel;
  if (decoded) a.decode_kernel = stats.decode_kernel;
  linear.kernel = decoded ? stats.decode_linear : m.last_kernels().linear;
  if (greedy) linear.prefill = stats.prefill_linear;
  if (decoded) linear.decode = stats.decode_linear;
}

// How greedy decode steps ran: replayed from a CUDA graph, or eagerly (and why).
report::DecodeInfo decode_info(const RunConfig& c, const attention::AttentionSpec& spec, bool greedy,
                               const model::GenerationStats& stats, const model::DecodeGraphs& graphs,
                               const TimedBatches& t) {
  report::DecodeInfo d;
  d.mode = !greedy ? "none" : stats.graph_decode ? "cuda_graph" : "eager";
  d.requested = enum_name(kDecodeModeNames, c.decode);
  if (greedy && !stats.graph_decode) {
    if (c.decode == DecodeMode::kEager) d.graph_unavailable_reason = "--decode eager";
    else if (!stats.graph_declined.empty()) d.graph_unavailable_reason = stats.graph_declined;  // else no decode step ran
  }
  d.decode_graph_captures = graphs.stats().decode;
  d.prefill_graph_captures = graphs.stats().prefill;
  d.graph_capture_ms = graphs.stats().ms;
  d.wasted_steps = t.wasted_steps;
  d.prefill_graph_batches = t.prefill_graph_batches;
  // The KV cache generation used (beam search builds make_kv_cache's); none for --timing forward.
  if (c.timing != TimingMode::kForward)
    d.kv_cache = greedy ? stats.kv_cache : model::kv_cache_kind(spec);
  return d;
}

// Scores the generated texts against the references and writes --predictions (scored runs only):
// the prompts that ran, all of them unless --max-batches or --max-time stopped the first pass.
std::optional<report::QualityScores> score(const RunConfig& c, const Workload& work, const TimedBatches& t) {
  if (c.timing != TimingMode::kGenerate || !work.scored) return std::nullopt;  // nothing generated, or no references
  const size_t ran = std::min(work.references.size(), static_cast<size_t>(t.samples));
  const std::vector<std::string> predictions(t.predictions.begin(), t.predictions.begin() + ran);
  const std::vector<std::string> references(work.references.begin(), work.references.begin() + ran);
  const eval::ScoreReport scores =
      eval::score_texts(predictions, references, c.stemmer ? eval::Stemming::kPorter : eval::Stemming::kNone);
  if (!c.predictions_path.empty()) {
    const nlohmann::json per_sample = eval::to_json(scores, eval::PerSample::kInclude).at("per_sample");
    std::string lines;
    for (size_t i = 0; i < ran; ++i) {
      nlohmann::json line = {{"id", work.ids[i]},
                             {"prompt_tokens", work.prompts[i].size()},
                             {"prompt_truncated", static_cast<bool>(work.truncated[i])},
                             {"generated_tokens", t.generated_tokens[i]},
                             {"prediction", t.predictions[i]},
                             {"reference", work.references[i]},
                             {"scores", per_sample.at(i)}};
      lines += line.dump() + "\n";
    }
    io::write_file_atomic(c.predictions_path, lines);
  }
  // eval::to_json names the scores (as `gptbench score --json` does); the report reads them from it.
  report::QualityScores quality;
  report::from_json(report::JsonFields(eval::to_json(scores, eval::PerSample::kOmit), "quality"), quality);
  return quality;
}

report::LatencyInfo latency_info(const RunConfig& c, const Workload& work, const TimedBatches& t, double score_ms,
                                 report::StoppingInfo stopping) {
  const double seconds = t.timed_ms / 1000.0;
  report::LatencyInfo l;
  l.timing = timing_mode_name(c.timing);
  l.batches = static_cast<int64_t>(t.e2e.size());
  l.e2e = bench::summarize(t.e2e);
  l.ttft = bench::summarize(t.ttft);
  l.tpot = bench::summarize(t.tpot);
  l.decode_step = bench::summarize(t.steps);
  l.generated_tokens = t.total_generated;
  l.tokens_per_s = seconds > 0 ? static_cast<double>(t.total_generated) / seconds : 0.0;
  l.samples_per_s = seconds > 0 ? static_cast<double>(t.samples) / seconds : 0.0;
  l.load_data_ms = work.load_data_ms;
  l.tokenize_ms = work.tokenize_ms;
  l.score_ms = score_ms;
  l.stopping = std::move(stopping);
  return l;
}

}  // namespace

report::ReportHeader report_header(const nlohmann::json& config, c10::Device device,
                                   report::SchemaVersion version) {
  report::ReportHeader header(version);
  report::from_json(report::JsonFields(bench::tool_json(), "tool"), header.tool);
  header.env = bench::environment_json(device);
  header.config = config;
  header.config["device_resolved"] = device.str();
  return header;
}

report::AttentionInfo attention_info(const attention::AttentionSpec& spec, const std::string& kernel) {
  report::AttentionInfo a;
  a.variant = attention::variant_name(spec);
  a.kernel = kernel;
  a.alibi = spec.alibi();
  a.learned_positions = spec.uses_learned_positions();
  a.window = spec.window;
  a.global_tokens = spec.global_tokens;
  return a;
}

report::ModelInfo model_info(const model::ModelShape& shape) {
  report::ModelInfo info;
  info.family = shape.family;
  info.config_name = shape.name;
  info.n_layer = shape.n_layer;
  info.n_head = shape.n_head;
  info.n_kv_head = shape.n_kv_head;
  info.n_embd = shape.hidden_size;
  info.n_positions = shape.max_positions;
  info.parameters = shape.parameter_count;
  info.tokenizer = std::string(model::find_family(shape.family, "the model").tokenizer_kind);
  return info;
}

std::string failure_message(const std::exception& error) {
  std::string message = error.what();
  if (dynamic_cast<const Error*>(&error) != nullptr) return message;
  if (auto nl = message.find('\n'); nl != std::string::npos) message.resize(nl);
  if (message.find("out of memory") != std::string::npos)
    message = "CUDA out of memory (" + message + "): try a smaller --batch-size";
  return message;
}

report::RunReport error_report(const RunConfig& config, const std::string& message) {
  report::RunReport report;
  report.header = report_header(to_json(config), config.model.device, report::kRunSchemaVersion);
  report.status = "error";
  report.error = message;
  return report;
}

report::RunReport run_summarization(const RunConfig& c) {
  validate(c);
  const attention::AttentionSpec& spec = c.model.attention;
  const c10::Device device = c.model.device;
  // What tensors hold before this run loads anything: 0 in a fresh process; in a sweep, whatever an
  // earlier cell left behind (it would count in this run's peak).
  const int64_t resident_at_start = bench::read_peak_memory(device).allocated_now;
  // --profile: an unwritable trace fails here, and CUPTI is set up before the warm-up captures graphs.
  std::optional<bench::Profiler> profiler;
  if (!c.profile_path.empty()) profiler.emplace(c.profile_path, device);

  bench::ProgressReporter progress("run", "samples", progress_options(c));
  progress.announce(fmt::format("loading {} ({}, {}, {})", c.model.flags.model_dir, attention::variant_name(spec),
                                c.model.flags.dtype, device.str()));
  // Data first: a bad dataset fails before the model is loaded.
  model::LoadedModel loaded;
  const Workload work = c.dataset == DatasetKind::kSynthetic ? synthetic_workload(c, spec, loaded)
                                                 : dataset_workload(c, loaded);
  model::CausalLm& m = *loaded.model;
  Decoding decoding;
  set_up_decoding(c, spec, device, m, decoding);
  BatchRunner runner(c, m, device, decoding);
  const int64_t n = static_cast<int64_t>(work.prompts.size());
  auto batch_ids = [&](int64_t first) {
    return std::vector<std::vector<int32_t>>(work.prompts.begin() + first,
                                             work.prompts.begin() + std::min(n, first + c.batch_size));
  };

  // Warm-up on the first batch: kernel selection, allocator growth, cuBLAS handles stay out of the numbers.
  if (c.warmup > 0) progress.announce(fmt::format("warming up: {} run(s) of the first batch", c.warmup));
  for (int64_t w = 0; w < c.warmup; ++w) runner.run(batch_ids(0), nullptr);
  bench::synchronize_device(device);
  bench::reset_peak_memory(device);

  TimedBatches timed;
  timed.predictions.resize(n);
  timed.generated_tokens.assign(n, 0);
  const int64_t pass = (n + c.batch_size - 1) / c.batch_size;  // batches of one pass over the prompts
  const bench::StoppingRule rule = run_stopping_rule(c.stopping, pass);
  progress.start(n);
  bench::TelemetryWindow telemetry(device);  // energy, power, clocks, throttling of the timed batches
  if (profiler) profiler->start();
  const auto timing_start = Clock::now();
  std::optional<std::string> stopped_by;
  for (int64_t batch = 0; !stopped_by; ++batch) {
    const int64_t first = (batch % pass) * c.batch_size;
    const auto ids = batch_ids(first);
    BatchTiming timing;
    const auto out = runner.run(ids, &timing);
    record_batch(c, m, work, runner.stats(), first, ids, timing, out, timed);
    progress.update(std::min(n, timed.samples));
    stopped_by = bench::stop_reason(rule, timed.e2e, ms_since(timing_start) / 1000.0);
  }
  const double elapsed_s = ms_since(timing_start) / 1000.0;
  bench::synchronize_device(device);
  report::GpuTelemetry gpu_telemetry = telemetry.stop(timed.total_generated, timed.samples);
  std::optional<bench::ProfileSummary> profile;
  if (profiler) {
    profile = profiler->stop();
    if (!c.quiet) fmt::print(stderr, "{}", bench::format_profile_table(*profile, bench::kProfileTableRows));
  }
  const bench::MemoryPeaks peaks = bench::read_peak_memory(device);

  report::RunReport r;
  r.header = report_header(to_json(c), device, report::kRunSchemaVersion);
  const bool greedy = c.timing == TimingMode::kGenerate && c.num_beams == 1;
  report::SummarizationResults& s = r.results.emplace<report::SummarizationResults>();
  record_kernels(m, spec, greedy, runner.stats(), r, s.linear.emplace());
  s.quant = quant_info(loaded.quant);
  s.adapter = adapter_info(c.model, loaded);
  s.model = model_info(m.shape());
  s.dataset = work.description;
  const auto t0 = Clock::now();
  s.quality = score(c, work, timed);
  s.latency = latency_info(c, work, timed, ms_since(t0),
                           stopping_info(rule, *stopped_by, static_cast<int64_t>(timed.e2e.size()), timed.samples,
                                         bench::relative_noise(timed.e2e), elapsed_s));
  s.decode = decode_info(c, spec, greedy, runner.stats(), decoding.graphs, timed);
  s.memory = {peaks.peak_allocated, peaks.peak_reserved, loaded.weight_bytes, timed.kv_bytes, resident_at_start,
              device.is_cuda()};
  // Profiled batches ran under the profiler: their latencies include its overhead.
  if (profile) s.profile = bench::to_json(*profile);
  s.gpu_telemetry = std::move(gpu_telemetry);
  return r;
}

}  // namespace gptbench::run
