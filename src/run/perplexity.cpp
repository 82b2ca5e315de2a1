// Strided sliding-window perplexity and per-token KL between variants.
#include "gptbench/run/perplexity.h"

#include <ATen/TensorOperators.h>    // Tensor operators
#include <ATen/ops/log_softmax.h>    // at::log_softmax
#include <ATen/ops/tensor.h>         // at::tensor
#include <ATen/ops/zeros.h>          // at::zeros
#include <c10/core/InferenceMode.h>  // c10::InferenceMode
#include <fmt/format.h>              // fmt::format

#include <chrono>  // std::chrono
#include <cmath>   // std::exp

#include "gptbench/attention/variant.h"    // variant_name
#include "gptbench/bench/device_memory.h"  // reset_peak_memory, read_peak_memory
#include "gptbench/bench/progress.h"       // ProgressReporter
#include "gptbench/data/data_dir.h"        // wikitext2_test_path, require_data_file
#include "gptbench/io/atomic_file.h"       // read_file
#include "gptbench/model/checkpoint.h"     // load_model
#include "gptbench/model/model_family.h"   // with_attention
#include "gptbench/run/quant_report.h"     // quant_info
#include "gptbench/run/adapter_report.h"   // adapter_info
#include "gptbench/run/summarization.h"    // report_header, attention_info
#include "gptbench/text/tokenizer.h"       // load_tokenizer
#include "gptbench/util/error.h"           // UsageError

namespace gptbench::run {
namespace {

// Full-sequence logits of one window (1, T, V) as fp32 log-probabilities.
at::Tensor window_log_probs(model::CausalLm& m, const at::Tensor& ids) {
  const auto device = ids.device();
  attention::AttentionPositions positions{at::zeros({1}, at::TensorOptions().dtype(at::kLong).device(device)), 0, {},
                                          false};
  return at::log_softmax(m.forward(ids, positions, nullptr, model::LogitsMode::kAllPositions).to(at::kFloat), -1);
}

// --kl-against none | int8 | int4 | nf4: the same checkpoint and variant under that --quant (the group of
// --quant-group when the format is --quant's, else the format's default).
std::shared_ptr<model::CausalLm> load_quantized_otherwise(const RunConfig& c, const model::LoadedModel& loaded) {
  ModelSelection flags = c.model.flags;
  const std::string& name = *c.kl_against->quant;
  if (flags.quant != name) flags.quant_group.reset();
  flags.quant = name;
  flags.quant_lm_head = flags.quant_lm_head && name != "none";
  const model::QuantRequest request = resolve_quant(flags);
  if (!request.spec && loaded.quant && loaded.quant->from_checkpoint) {
    throw UsageError(fmt::format("--kl-against none: {} is a quantized checkpoint; its unquantized weights are not in "
                                 "it (give the checkpoint it was quantized from)",
                                 flags.model_dir));
  }
  return model::load_model(flags.model_dir, c.model.attention, c.model.dtype, c.model.device, request).model;
}

}  // namespace

at::Tensor token_kl(const at::Tensor& log_p, const at::Tensor& log_q) { return (log_p.exp() * (log_p - log_q)).sum(-1); }

report::RunReport run_perplexity(const RunConfig& c) {
  if (c.stride < 1) throw UsageError(fmt::format("--stride must be at least 1, got {}", c.stride));
  if (c.kl_against && c.model.flags.adapter)
    throw UsageError("--kl-against: not with --adapter (the model compared against would load without the adapter)");
  const attention::AttentionSpec& spec = c.model.attention;
  const c10::ScalarType dtype = c.model.dtype;
  const c10::Device device = c.model.device;
  const std::string path =
      c.data_path.empty() ? data::wikitext2_test_path(c.model.flags.data_dir).string() : c.data_path;
  if (c.data_path.empty())
    data::require_data_file(path, "WikiText-2 test, the default --data", data::DataGroup::kWikitext2,
                            c.model.flags.data_dir);
  const std::string text = io::read_file(path);

  bench::ProgressReporter progress("run", "windows", progress_options(c));
  progress.announce(fmt::format("loading {} ({}, {}, {})", c.model.flags.model_dir, attention::variant_name(spec),
                                c.model.flags.dtype, device.str()));
  model::LoadedModel loaded = load_selected_model(c.model);  // c.model's spec, dtype and device, --quant, --adapter
  model::CausalLm& m = *loaded.model;
  std::shared_ptr<model::CausalLm> other;  // the same weights under --kl-against's variant
  std::optional<attention::AttentionSpec> other_spec;
  if (c.kl_against && c.kl_against->quant) {
    other_spec = spec;
    other = load_quantized_otherwise(c, loaded);
  } else if (c.kl_against) {
    other_spec = c.kl_against->spec;
    model::check_attention_supported(m.shape(), *other_spec, dtype, device);
    other = model::with_attention(m, *other_spec);
  }
  const auto tokenizer = text::load_tokenizer(c.tokenizer_dir.empty() ? c.model.flags.model_dir : c.tokenizer_dir);
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<int32_t> ids = tokenizer->prompt_ids(text, text::SpecialTokens::kAsText);  // BOS first if any
  const double tokenize_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  if (c.limit) ids.resize(std::min<size_t>(ids.size(), static_cast<size_t>(*c.limit)));
  if (ids.size() < 2) throw Error(fmt::format("{}: needs at least 2 tokens, got {}", path, ids.size()));

  const int64_t n = static_cast<int64_t>(ids.size());
  const int64_t max_len = m.shape().max_positions;
  const int64_t stride = std::min(c.stride, max_len);
  c10::InferenceMode guard;
  bench::reset_peak_memory(device);
  double nll_sum = 0, kl_sum = 0, kl_max = 0;
  int64_t scored = 0, windows = 0, prev_end = 0;
  const auto t1 = std::chrono::steady_clock::now();
  progress.start(n <= max_len ? 1 : (n - max_len + stride - 1) / stride + 1);  // the loop's window count
  for (int64_t begin = 0; prev_end < n; begin += stride) {
    const int64_t end = std::min(begin + max_len, n);
    std::vector<int64_t> window(ids.begin() + begin, ids.begin() + end);
    at::Tensor input = at::tensor(window, at::kLong).view({1, -1}).to(device);
    at::Tensor log_probs = window_log_probs(m, input)[0];  // (T, V)
    // Position t predicts token t + 1; score the targets [max(prev_end, begin + 1), end).
    const int64_t first_target = std::max(prev_end, begin + 1);
    const int64_t count = end - first_target;
    if (count > 0) {
      at::Tensor rows = log_probs.narrow(0, first_target - begin - 1, count);                      // (count, V)
      at::Tensor targets = input[0].narrow(0, first_target - begin, count).view({-1, 1});          // (count, 1)
      nll_sum -= rows.gather(1, targets).sum().item<double>();
      if (other) {
        at::Tensor other_rows = window_log_probs(*other, input)[0].narrow(0, first_target - begin - 1, count);
        at::Tensor kl = token_kl(rows, other_rows);  // KL(this || other) per token
        kl_sum += kl.sum().item<double>();
        kl_max = std::max(kl_max, kl.max().item<double>());
      }
      scored += count;
    }
    prev_end = end;
    progress.update(++windows);
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
  const bench::MemoryPeaks peaks = bench::read_peak_memory(device);

  report::RunReport r;
  r.header = report_header(to_json(c), device, report::kRunSchemaVersion);
  r.attention = attention_info(spec, m.last_kernel());
  report::PerplexityResults& p = r.results.emplace<report::PerplexityResults>();
  p.dataset = {"text", path, n};
  p.quality.perplexity = std::exp(nll_sum / static_cast<double>(scored));
  p.quality.mean_nll = nll_sum / static_cast<double>(scored);
  p.quality.scored_tokens = scored;
  p.quality.windows = windows;
  p.quality.method = fmt::format("strided sliding window: length {} ({}), stride {}; every token but the "
                                 "first scored once with the rest of its window as context",
                                 max_len, m.shape().max_positions_key, stride);
  if (other) {
    const bool quant = c.kl_against->quant.has_value();
    p.quality.kl_against = report::KlAgainst{
        attention::variant_name(*other_spec) + (quant ? " --quant " + *c.kl_against->quant : ""),
        other->last_kernel(), kl_sum / static_cast<double>(scored), kl_max,
        quant ? "KL(this model || the same checkpoint and variant under the kl_against quantization), nats per token"
              : "KL(this variant || kl_against variant), nats per token"};
  }
  p.latency = {tokenize_ms, seconds, scored / seconds};
  p.memory.peak_allocated_bytes = peaks.peak_allocated;
  p.memory.peak_reserved_bytes = peaks.peak_reserved;
  p.memory.weights_bytes = loaded.weight_bytes;
  p.quant = quant_info(loaded.quant);
  p.adapter = adapter_info(c.model, loaded);
  p.memory.measured = device.is_cuda();
  return r;
}

}  // namespace gptbench::run
