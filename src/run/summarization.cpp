// `gptbench run`: the summarization benchmark.
#include "gptbench/run/summarization.h"

#include <ATen/ops/empty.h>          // at::empty
#include <c10/core/InferenceMode.h>  // c10::InferenceMode
#include <fmt/format.h>              // fmt::format, fmt::print
#include <torch/cuda.h>              // torch::cuda::is_available
#include <unistd.h>                  // isatty

#include <algorithm>  // std::min
#include <chrono>     // std::chrono::steady_clock
#include <cstdio>     // stderr
#include <optional>   // std::optional

#include "gptbench/attention/variant.h"     // parse_variant, variant_name
#include "gptbench/bench/device_memory.h"   // reset_peak_memory, read_peak_memory
#include "gptbench/bench/device_timer.h"    // DeviceTimer
#include "gptbench/bench/environment.h"     // environment_json, tool_json
#include "gptbench/bench/profile_summary.h" // ProfileSummary, to_json, format_profile_table
#include "gptbench/bench/profiler.h"        // Profiler
#include "gptbench/bench/stats.h"           // summarize, to_json
#include "gptbench/data/dataset.h"          // load_dataset
#include "gptbench/data/prompt.h"           // build_prompt
#include "gptbench/eval/python_text.h"      // replace_invalid_utf8
#include "gptbench/eval/score.h"            // score_texts
#include "gptbench/io/atomic_file.h"        // write_file_atomic
#include "gptbench/kernels/fused_linear.h"  // kGemvDefaultMaxRows, kGemvKernelMaxRows
#include "gptbench/model/beam_search.h"     // generate_beam
#include "gptbench/model/checkpoint.h"      // load_model, parse_dtype, parse_device
#include "gptbench/model/decode_graph.h"    // DecodeGraphs, decode_graph_unsupported_reason
#include "gptbench/model/generator.h"       // generate_greedy, left_pad
#include "gptbench/model/kv_cache.h"        // kv_cache_bytes
#include "gptbench/text/gpt2_tokenizer.h"   // Gpt2Tokenizer
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
  if (c.num_beams == 1 && (c.no_repeat_ngram_size != 0 || c.length_penalty != 1.0 || c.early_stopping != "false"))
    throw UsageError("--no-repeat-ngram-size, --length-penalty and --early-stopping need --num-beams > 1");
  if (c.num_beams > 1 && c.timing == TimingMode::kForward)
    throw UsageError("--timing forward runs no generation: drop --num-beams");
  if (c.decode != "auto" && c.decode != "graph" && c.decode != "eager")
    throw UsageError(fmt::format("--decode: unknown mode \"{}\" (auto, graph, eager)", c.decode));
  if (c.linear != "auto" && c.linear != "aten" && c.linear != "gemv")
    throw UsageError(fmt::format("--linear: unknown choice \"{}\" (auto, aten, gemv)", c.linear));
}

// A progress line on stderr when it is a terminal.
class Progress {
 public:
  Progress(bool enabled, int64_t total) : enabled_(enabled && isatty(fileno(stderr))), total_(total) {}
  void update(int64_t done) {
    if (!enabled_) return;
    const double elapsed = ms_since(start_) / 1000.0;
    const double eta = done > 0 ? elapsed / static_cast<double>(done) * static_cast<double>(total_ - done) : 0.0;
    fmt::print(stderr, "\r[run] {}/{} samples, {:.1f} s elapsed, ETA {:.1f} s   ", done, total_, elapsed, eta);
    if (done == total_) fmt::print(stderr, "\n");
  }

 private:
  bool enabled_;
  int64_t total_;
  Clock::time_point start_ = Clock::now();
};

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
  nlohmann::json description;
  double load_data_ms = 0, tokenize_ms = 0;
  std::optional<text::Gpt2Tokenizer> tokenizer;
};

Workload dataset_workload(const RunConfig& c, const attention::AttentionSpec& spec, c10::ScalarType dtype,
                          c10::Device device, model::LoadedModel& loaded) {
  Workload w;
  auto t0 = Clock::now();
  data::DatasetOptions options;
  options.name = c.dataset;
  options.path = c.data_path;
  options.data_dir = c.data_dir;
  options.split = data::parse_split(c.split);
  options.limit = c.limit;
  options.split_seed = c.split_seed;
  const data::Dataset dataset = data::load_dataset(options);
  w.load_data_ms = ms_since(t0);

  loaded = model::load_model(c.model_dir, spec, dtype, device);
  w.tokenizer = text::Gpt2Tokenizer::from_dir(c.tokenizer_dir.empty() ? c.model_dir : c.tokenizer_dir);

  // Tokenisation, timed apart from model latency.
  t0 = Clock::now();
  data::PromptOptions prompt_options;
  prompt_options.templ = c.prompt_template;
  // ALiBi without learned positions has no position table; its KV cache still bounds the length.
  prompt_options.context = loaded.model->config().n_positions;
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
  w.description = {{"name", dataset.name},
                   {"path", dataset.path},
                   {"stats", data::to_json(dataset.stats)},
                   {"n_samples", w.prompts.size()},
                   {"truncated_prompts", truncated},
                   {"prompt_tokens", bench::to_json(bench::summarize(lengths), bench::RawSamples::kOmit)}};
  return w;
}

// Random prompts of exactly --prompt-tokens tokens (seeded by --split-seed): pure latency/memory.
Workload synthetic_workload(const RunConfig& c, const attention::AttentionSpec& spec, c10::ScalarType dtype,
                            c10::Device device, model::LoadedModel& loaded) {
  if (c.prompt_tokens < 1)
    throw UsageError(fmt::format("--prompt-tokens must be at least 1, got {}", c.prompt_tokens));
  loaded = model::load_model(c.model_dir, spec, dtype, device);
  const auto& config = loaded.model->config();
  model::check_fits_context(config, spec, c.prompt_tokens, c.max_new_tokens);
  GPTBENCH_CHECK(config.vocab_size >= 2, "{}: --dataset synthetic needs a vocab_size of at least 2 (one id besides EOS), "
                 "the model has {}", c.model_dir, config.vocab_size);
  Workload w;
  const int64_t n = c.limit.value_or(c.batch_size * 4);
  uint64_t x = c.split_seed * 0x9E3779B97F4A7C15ULL + 1;
  for (int64_t i = 0; i < n; ++i) {
    std::vector<int32_t> p;
    for (int64_t t = 0; t < c.prompt_tokens; ++t) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;  // xorshift64
      p.push_back(static_cast<int32_t>(x % static_cast<uint64_t>(config.vocab_size - 1)));  // never EOS (50256)
    }
    w.prompts.push_back(std::move(p));
    w.ids.push_back(fmt::format("synthetic-{}", i));
    w.truncated.push_back(false);
  }
  w.description = {{"name", "synthetic"}, {"n_samples", n}, {"prompt_tokens", c.prompt_tokens}};
  return w;
}

}  // namespace

c10::Device resolve_device(const std::string& name) {
  return model::parse_device(name == "auto" ? (torch::cuda::is_available() ? "cuda" : "cpu") : name);
}

nlohmann::json report_header(const RunConfig& config, c10::Device device) {
  nlohmann::json header = {{"schema_version", kSchemaVersion},
                           {"tool", bench::tool_json()},
                           {"env", bench::environment_json(device)},
                           {"config", to_json(config)}};
  header["config"]["device_resolved"] = device.str();
  return header;
}

std::string failure_message(const std::exception& error) {
  std::string message = error.what();
  if (dynamic_cast<const Error*>(&error) != nullptr) return message;
  if (auto nl = message.find('\n'); nl != std::string::npos) message.resize(nl);
  if (message.find("out of memory") != std::string::npos)
    message = "CUDA out of memory (" + message + "): try a smaller --batch-size";
  return message;
}

nlohmann::json error_report(const RunConfig& config, const std::string& message) {
  c10::Device device(c10::kCPU);
  try {
    device = resolve_device(config.device);
  } catch (const std::exception&) {
  }
  nlohmann::json report = report_header(config, device);
  report["status"] = "error";
  report["error"] = message;
  return report;
}

nlohmann::json run_summarization(const RunConfig& c) {
  validate(c);
  const attention::AttentionSpec spec = attention::parse_variant(c.variant, {c.window, c.global_tokens});
  const c10::ScalarType dtype = model::parse_dtype(c.dtype);
  const c10::Device device = resolve_device(c.device);
  // What tensors hold before this run loads anything: 0 in a fresh process; in a sweep, whatever an
  // earlier cell left behind (it would count in this run's peak).
  const int64_t resident_at_start = bench::read_peak_memory(device).allocated_now;
  // --profile: an unwritable trace fails here, and CUPTI is set up before the warm-up captures graphs.
  std::optional<bench::Profiler> profiler;
  if (!c.profile_path.empty()) profiler.emplace(c.profile_path, device);

  // Data first: a bad dataset fails before the model is loaded.
  model::LoadedModel loaded;
  const Workload work = c.dataset == "synthetic" ? synthetic_workload(c, spec, dtype, device, loaded)
                                                 : dataset_workload(c, spec, dtype, device, loaded);
  model::Gpt2Model& m = loaded.model;
  m->set_gemv_max_rows(c.linear == "aten"   ? 0
                       : c.linear == "gemv" ? kernels::kGemvKernelMaxRows
                                            : kernels::kGemvDefaultMaxRows);
  const auto& prompts = work.prompts;
  const int64_t n = static_cast<int64_t>(prompts.size());
  auto batch_ids = [&](int64_t first) {
    return std::vector<std::vector<int32_t>>(prompts.begin() + first, prompts.begin() + std::min(n, first + c.batch_size));
  };
  model::GenerationOptions gen;
  gen.max_new_tokens = c.max_new_tokens;
  gen.min_new_tokens = c.min_new_tokens;
  // Decode graphs belong to this run (a run starts from a clean model, with nothing captured).
  const std::string no_graph_reason = model::decode_graph_unsupported_reason(m);
  if (c.decode == "graph" && !no_graph_reason.empty())
    throw UsageError(fmt::format("--decode graph: {} (variant {}, device {})", no_graph_reason,
                                 attention::variant_name(spec), device.str()));
  model::DecodeGraphs graphs;
  if (c.decode != "eager" && c.num_beams == 1) gen.graphs = &graphs;
  gen.force_graph = c.decode == "graph";
  model::GenerationStats gen_stats;  // of the last greedy batch
  int64_t wasted_steps = 0, prefill_graph_batches = 0;
  model::BeamSearchOptions beam;
  beam.num_beams = c.num_beams;
  beam.max_new_tokens = c.max_new_tokens;
  beam.min_new_tokens = c.min_new_tokens;
  beam.no_repeat_ngram_size = c.no_repeat_ngram_size;
  beam.length_penalty = c.length_penalty;
  beam.early_stopping = model::parse_early_stopping(c.early_stopping);

  bench::DeviceTimer timer(device);
  auto run_batch = [&](const std::vector<std::vector<int32_t>>& ids, BatchTiming* timing) {
    timer.clear();
    std::vector<model::GeneratedSequence> out;
    if (c.timing == TimingMode::kForward) {
      c10::InferenceMode guard;
      timer.mark();
      model::PaddedBatch batch = model::left_pad(ids, model::kPadId, device);
      attention::AttentionPositions positions{batch.key_start, 0, {}, batch.left_padded};
      m->forward(batch.ids, positions, nullptr, model::LogitsMode::kAllPositions);
      timer.mark();
      out.resize(ids.size());
    } else if (c.num_beams > 1) {
      // Beam search is timed end to end only: its steps are not one token of one sequence.
      timer.mark();
      out = model::generate_beam(m, ids, beam);
      timer.mark();
    } else {
      out = model::generate_greedy(m, ids, gen, [&] { timer.mark(); }, &gen_stats);
    }
    timer.synchronize();
    if (timing != nullptr) {
      const int last = timer.marks() - 1;
      timing->e2e_ms = timer.elapsed_ms(0, last);
      timing->ttft_ms = timer.elapsed_ms(0, std::min(1, last));
      for (int k = 2; k <= last; ++k) timing->step_ms.push_back(timer.elapsed_ms(k - 1, k));
    }
    return out;
  };

  // Warm-up on the first batch: kernel selection, allocator growth, cuBLAS handles stay out of the numbers.
  for (int64_t w = 0; w < c.warmup; ++w) run_batch(batch_ids(0), nullptr);
  bench::synchronize_device(device);
  bench::reset_peak_memory(device);

  std::vector<double> e2e, ttft, tpot_batch, steps;
  std::vector<std::string> predictions(n);
  std::vector<int64_t> generated_tokens(n, 0);
  int64_t kv_bytes = 0, total_generated = 0;
  Progress progress(!c.quiet, n);
  double timed_ms = 0;
  if (profiler) profiler->start();
  for (int64_t first = 0; first < n; first += c.batch_size) {
    const auto ids = batch_ids(first);
    BatchTiming timing;
    const auto out = run_batch(ids, &timing);
    e2e.push_back(timing.e2e_ms);
    timed_ms += timing.e2e_ms;
    if (c.timing == TimingMode::kGenerate) {
      if (c.num_beams == 1) ttft.push_back(timing.ttft_ms);
      if (!timing.step_ms.empty()) {
        double sum = 0;
        for (double s : timing.step_ms) sum += s;
        tpot_batch.push_back(sum / static_cast<double>(timing.step_ms.size()));
        steps.insert(steps.end(), timing.step_ms.begin(), timing.step_ms.end());
      }
      int64_t longest = 0;
      for (const auto& p : ids) longest = std::max<int64_t>(longest, static_cast<int64_t>(p.size()));
      kv_bytes = std::max(kv_bytes, c.num_beams == 1 ? gen_stats.kv_cache_bytes
                                                     : model::kv_cache_bytes(m->config(), spec,
                                                                             static_cast<int64_t>(ids.size()),
                                                                             longest + c.max_new_tokens, dtype));
      wasted_steps += c.num_beams == 1 ? gen_stats.wasted_steps : 0;
      prefill_graph_batches += c.num_beams == 1 && gen_stats.prefill_graph ? 1 : 0;
      for (size_t r = 0; r < out.size(); ++r) {
        if (work.tokenizer) predictions[first + r] = eval::replace_invalid_utf8(work.tokenizer->decode(out[r].tokens));
        generated_tokens[first + r] = static_cast<int64_t>(out[r].tokens.size());
        total_generated += generated_tokens[first + r];
      }
    }
    progress.update(std::min(n, first + c.batch_size));
  }
  std::optional<bench::ProfileSummary> profile;
  if (profiler) {
    profile = profiler->stop();
    if (!c.quiet) fmt::print(stderr, "{}", bench::format_profile_table(*profile, bench::kProfileTableRows));
  }
  const bench::MemoryPeaks peaks = bench::read_peak_memory(device);

  nlohmann::json report = report_header(c, device);
  const bool greedy = c.timing == TimingMode::kGenerate && c.num_beams == 1;
  report["attention"] = {{"variant", attention::variant_name(spec)},
                         {"kernel", greedy && !gen_stats.decode_kernel.empty() ? gen_stats.decode_kernel
                                                                               : m->last_kernel()},
                         {"prefill_kernel", greedy ? nlohmann::json(gen_stats.prefill_kernel) : nlohmann::json(nullptr)},
                         {"decode_kernel", greedy && !gen_stats.decode_kernel.empty()
                                               ? nlohmann::json(gen_stats.decode_kernel) : nlohmann::json(nullptr)},
                         {"alibi", spec.alibi()},
                         {"learned_positions", spec.uses_learned_positions()},
                         {"window", spec.window},
                         {"global_tokens", spec.global_tokens}};
  const bool decoded = greedy && !gen_stats.decode_kernel.empty();
  report["linear"] = {{"kernel", decoded ? gen_stats.decode_linear : m->last_kernels().linear},
                      {"prefill", greedy ? nlohmann::json(gen_stats.prefill_linear) : nlohmann::json(nullptr)},
                      {"decode", decoded ? nlohmann::json(gen_stats.decode_linear) : nlohmann::json(nullptr)}};
  report["model"] = {{"config_name", m->config().name},
                     {"n_layer", m->config().n_layer},
                     {"n_head", m->config().n_head},
                     {"n_embd", m->config().n_embd},
                     {"n_positions", m->config().n_positions},
                     {"parameters", m->config().parameter_count()}};
  report["dataset"] = work.description;

  const auto t0 = Clock::now();
  if (c.timing == TimingMode::kGenerate && work.scored) {
    const eval::ScoreReport scores =
        eval::score_texts(predictions, work.references, c.stemmer ? eval::Stemming::kPorter : eval::Stemming::kNone);
    report["quality"] = eval::to_json(scores, eval::PerSample::kOmit);
    if (!c.predictions_path.empty()) {
      const nlohmann::json per_sample = eval::to_json(scores, eval::PerSample::kInclude).at("per_sample");
      std::string lines;
      for (int64_t i = 0; i < n; ++i) {
        nlohmann::json line = {{"id", work.ids[i]},
                               {"prompt_tokens", prompts[i].size()},
                               {"prompt_truncated", static_cast<bool>(work.truncated[i])},
                               {"generated_tokens", generated_tokens[i]},
                               {"prediction", predictions[i]},
                               {"reference", work.references[i]},
                               {"scores", per_sample.at(i)}};
        lines += line.dump() + "\n";
      }
      io::write_file_atomic(c.predictions_path, lines);
    }
  } else {
    report["quality"] = nullptr;  // --timing forward generates nothing; synthetic prompts have no references
  }
  const double score_ms = ms_since(t0);

  const double seconds = timed_ms / 1000.0;
  report["latency"] = {{"unit", "ms"},
                       {"timing", timing_mode_name(c.timing)},
                       {"batches", e2e.size()},
                       {"e2e", bench::to_json(bench::summarize(e2e))},
                       {"ttft", bench::to_json(bench::summarize(ttft))},
                       {"tpot", bench::to_json(bench::summarize(tpot_batch))},
                       {"decode_step", bench::to_json(bench::summarize(steps), bench::RawSamples::kOmit)},
                       {"generated_tokens", total_generated},
                       {"tokens_per_s", seconds > 0 ? static_cast<double>(total_generated) / seconds : 0.0},
                       {"samples_per_s", seconds > 0 ? static_cast<double>(n) / seconds : 0.0},
                       {"load_data_ms", work.load_data_ms},
                       {"tokenize_ms", work.tokenize_ms},
                       {"score_ms", score_ms}};
  // How greedy decode steps ran: replayed from a CUDA graph, or eagerly (and why).
  report["decode"] = {{"mode", !greedy ? "none" : gen_stats.graph_decode ? "cuda_graph" : "eager"},
                      {"requested", c.decode},
                      {"graph_unavailable_reason",
                       !greedy || gen_stats.graph_decode  ? nlohmann::json(nullptr)
                       : c.decode == "eager"              ? nlohmann::json("--decode eager")
                       : gen_stats.graph_declined.empty() ? nlohmann::json(nullptr)  // no decode step ran
                                                          : nlohmann::json(gen_stats.graph_declined)},
                      {"decode_graph_captures", graphs.stats().decode},
                      {"prefill_graph_captures", graphs.stats().prefill},
                      {"graph_capture_ms", graphs.stats().ms},
                      {"wasted_steps", wasted_steps},
                      {"prefill_graph_batches", prefill_graph_batches},
                      // The KV cache generation used (beam search builds make_kv_cache's).
                      {"kv_cache", c.timing == TimingMode::kForward ? nlohmann::json(nullptr)
                                   : greedy ? nlohmann::json(gen_stats.kv_cache)
                                            : nlohmann::json(model::uses_rolling_cache(spec) ? "rolling" : "dense")}};
  report["memory"] = {{"peak_allocated_bytes", peaks.peak_allocated},
                      {"peak_reserved_bytes", peaks.peak_reserved},
                      {"weights_bytes", loaded.weight_bytes},
                      {"kv_cache_bytes", kv_bytes},
                      {"resident_at_start_bytes", resident_at_start},
                      {"measured", device.is_cuda()}};
  // Profiled batches ran under the profiler: their latencies include its overhead.
  report["profile"] = profile ? bench::to_json(*profile) : nlohmann::json(nullptr);
  report["status"] = "ok";
  report["error"] = nullptr;
  return report;
}

}  // namespace gptbench::run
