// Greedy generation: one prefill over the padded prompts, then one decode step per token.
#include "gptbench/model/generator.h"

#include <ATen/ops/argmax.h>  // at::argmax
#include <ATen/ops/full.h>    // at::full
#include <ATen/ops/tensor.h>  // at::tensor
#include <c10/core/InferenceMode.h>  // c10::InferenceMode
#include <fmt/format.h>       // fmt::format

#include <algorithm>  // std::max
#include <limits>     // std::numeric_limits

#include "gptbench/attention/variant.h"  // variant_name
#include "gptbench/model/decode_graph.h"  // DecodeGraphs, DecodeGraph, StepTokens
#include "gptbench/util/check.h"  // GPTBENCH_CHECK
#include "gptbench/util/error.h"  // UsageError

namespace gptbench::model {

PaddedBatch left_pad(const std::vector<std::vector<int32_t>>& prompts, int64_t pad_id, c10::Device device) {
  GPTBENCH_CHECK(!prompts.empty(), "no prompts to run");
  int64_t t = 0;
  for (const auto& p : prompts) {
    GPTBENCH_CHECK(!p.empty(), "a prompt encodes to zero tokens");
    t = std::max<int64_t>(t, static_cast<int64_t>(p.size()));
  }
  const int64_t b = static_cast<int64_t>(prompts.size());
  std::vector<int64_t> ids(b * t, pad_id), starts(b);
  for (int64_t r = 0; r < b; ++r) {
    starts[r] = t - static_cast<int64_t>(prompts[r].size());
    std::copy(prompts[r].begin(), prompts[r].end(), ids.begin() + r * t + starts[r]);
  }
  PaddedBatch batch;
  batch.ids = at::tensor(ids, at::kLong).view({b, t}).to(device);
  batch.key_start = at::tensor(starts, at::kLong).to(device);
  batch.length = t;
  batch.left_padded = std::any_of(starts.begin(), starts.end(), [](int64_t s) { return s > 0; });
  return batch;
}

void check_fits_context(const ModelShape& shape, const attention::AttentionSpec& spec, int64_t prompt_tokens,
                        int64_t max_new_tokens) {
  // Both comparisons subtract, so a huge --max-new-tokens cannot wrap past them.
  const int64_t context = context_limit(shape, spec);
  const std::string limit = context == shape.max_positions
                                ? fmt::format("the context of {} ({})", context, shape.max_positions_key)
                                : fmt::format("the ALiBi limit of {} tokens", context);
  if (prompt_tokens > context) throw UsageError(fmt::format("prompt is {} tokens, longer than {}", prompt_tokens, limit));
  if (max_new_tokens > context - prompt_tokens)
    throw UsageError(fmt::format("prompt of {} tokens + --max-new-tokens {} exceeds {}", prompt_tokens,
                                 max_new_tokens, limit));
}

namespace {

// Per-row stopping: appends each running row's token, or stops the row at EOS.
class RowStops {
 public:
  RowStops(int64_t batch, int64_t eos) : out_(batch), done_(batch, false), eos_(eos) {}
  // tokens: B values of one step. Returns true when every row has stopped.
  bool accept(const int64_t* tokens) {
    bool all_done = true;
    for (size_t r = 0; r < out_.size(); ++r) {
      if (!done_[r]) {
        if (tokens[r] == eos_) {
          done_[r] = true;
          out_[r].stopped_at_eos = true;
        } else {
          out_[r].tokens.push_back(static_cast<int32_t>(tokens[r]));
        }
      }
      all_done = all_done && done_[r];
    }
    return all_done;
  }
  std::vector<GeneratedSequence> take() { return std::move(out_); }

 private:
  std::vector<GeneratedSequence> out_;
  std::vector<bool> done_;
  int64_t eos_;
};

// Before min_new_tokens, EOS may not be chosen: its logit (B, 1, V) becomes -inf (HF semantics).
void suppress_eos(const ModelShape& shape, at::Tensor& logits) {
  const int64_t eos = shape.eos_token_id;
  if (eos >= 0 && eos < shape.vocab_size) logits.select(2, eos).fill_(-std::numeric_limits<float>::infinity());
}

// The first token, from the prefill's logits (B, 1, V): EOS suppressed when min_new_tokens > 0.
// Queues the work only; check_no_nan() reads the NaN flag after the caller's timing mark, so the
// mark is not delayed by a host round trip.
struct FirstToken {
  at::Tensor next;     // (B,) int64
  at::Tensor any_nan;  // () bool
};

FirstToken first_token(const CausalLm& model, at::Tensor logits, const GenerationOptions& options) {
  FirstToken first;
  first.any_nan = logits.isnan().any();
  if (options.min_new_tokens > 0) suppress_eos(model.shape(), logits);
  first.next = at::argmax(logits.select(1, 0), /*dim=*/-1);
  return first;
}

void check_no_nan(const CausalLm& model, const FirstToken& first) {
  GPTBENCH_CHECK(!first.any_nan.item<bool>(),
                 "the model produced NaN logits (variant {}, dtype {}): check the checkpoint and --dtype",
                 attention::variant_name(model.spec()), c10::toString(model.dtype()));
}

// Decode steps 1.. replayed from a CUDA graph. The host reads step s - 1's tokens while step s
// runs, so stopping at EOS costs at most one wasted step and the GPU never waits for the host.
std::vector<GeneratedSequence> decode_with_graph(CausalLm& model, const PaddedBatch& batch,
                                                 const GenerationOptions& options, DecodeGraph& graph,
                                                 const std::function<void()>& on_token, GenerationStats* stats) {
  const int64_t b = batch.ids.size(0);
  at::Tensor logits = graph.prefill(batch.ids, batch.key_start);
  if (stats != nullptr) {
    stats->prefill_kernel = graph.last_prefill_kernels().attention;
    stats->prefill_linear = graph.last_prefill_kernels().linear;
    stats->prefill_graph = graph.last_prefill_replayed();
  }
  const FirstToken first = first_token(model, logits, options);
  if (on_token) on_token();
  check_no_nan(model, first);
  const at::Tensor& next = first.next;
  RowStops rows(b, model.shape().eos_token_id);
  const at::Tensor first_cpu = next.to(at::kCPU);
  if (rows.accept(first_cpu.data_ptr<int64_t>())) return rows.take();  // (the caller ensured max_new_tokens > 1)

  graph.set_input(next, batch.length);
  if (stats != nullptr) {
    stats->decode_kernel = graph.step_kernels().attention;
    stats->decode_linear = graph.step_kernels().linear;
  }
  StepTokens tokens(options.max_new_tokens, b);
  int64_t step = 1;
  for (; step < options.max_new_tokens; ++step) {
    graph.set_eos_allowed(step >= options.min_new_tokens);
    graph.replay();
    tokens.push(step, graph.next_tokens());
    if (on_token) on_token();
    if (step >= 2 && rows.accept(tokens.wait(step - 1))) break;
  }
  if (step == options.max_new_tokens) {
    rows.accept(tokens.wait(step - 1));
  } else if (stats != nullptr) {
    stats->wasted_steps = 1;  // step `step` ran after every row had stopped
  }
  return rows.take();
}

}  // namespace

std::vector<GeneratedSequence> generate_greedy(CausalLm& model, const std::vector<std::vector<int32_t>>& prompts,
                                               const GenerationOptions& options,
                                               const std::function<void()>& on_token, GenerationStats* stats) {
  GPTBENCH_CHECK(options.max_new_tokens >= 1, "--max-new-tokens must be at least 1, got {}", options.max_new_tokens);
  GPTBENCH_CHECK(options.min_new_tokens <= options.max_new_tokens,
                 "--min-new-tokens {} is larger than --max-new-tokens {}", options.min_new_tokens,
                 options.max_new_tokens);
  c10::InferenceMode inference_mode;
  if (on_token) on_token();  // the request starts with moving its ids to the device
  const ModelShape& shape = model.shape();
  PaddedBatch batch = left_pad(prompts, kPadId, model.device());
  check_fits_context(shape, model.spec(), batch.length, options.max_new_tokens);
  const int64_t b = batch.ids.size(0);
  const int64_t max_len = batch.length + options.max_new_tokens;

  if (stats != nullptr) *stats = GenerationStats{};
  const std::string declined = options.graphs == nullptr ? std::string()
                               : options.force_graph     ? decode_graph_unsupported_reason(model)
                                                         : decode_graph_declined_reason(model, max_len);
  if (stats != nullptr) stats->graph_declined = declined;
  if (options.graphs != nullptr && options.max_new_tokens > 1 && declined.empty()) {
    DecodeGraph& graph = options.graphs->get(model, b, max_len);
    if (stats != nullptr) {
      stats->graph_decode = true;
      stats->kv_cache_bytes = graph.cache_bytes();
      stats->kv_cache = graph.cache_kind();
    }
    return decode_with_graph(model, batch, options, graph, on_token, stats);
  }

  std::unique_ptr<KvCache> cache = model.make_cache(batch.key_start, max_len);
  if (stats != nullptr) {
    stats->kv_cache_bytes = cache->bytes();
    stats->kv_cache = cache->kind();
  }
  attention::AttentionPositions positions{batch.key_start, 0, {}, batch.left_padded};
  at::Tensor logits = model.forward(batch.ids, positions, cache.get(), LogitsMode::kLastPosition);  // (B, 1, V)
  if (stats != nullptr) {
    const KernelsRan ran = model.last_kernels();
    stats->prefill_kernel = ran.attention;
    stats->prefill_linear = ran.linear;
  }
  const FirstToken first = first_token(model, logits, options);
  at::Tensor next = first.next;
  RowStops rows(b, shape.eos_token_id);
  for (int64_t step = 0;; ++step) {
    if (on_token) on_token();
    if (step == 0) check_no_nan(model, first);
    const at::Tensor next_cpu = next.to(at::kCPU);
    if (rows.accept(next_cpu.data_ptr<int64_t>()) || step + 1 == options.max_new_tokens) break;
    positions.q_pos0 = batch.length + step;
    logits = model.forward(next.view({b, 1}), positions, cache.get(), LogitsMode::kLastPosition);
    if (step + 1 < options.min_new_tokens) suppress_eos(shape, logits);
    next = at::argmax(logits.select(1, 0), /*dim=*/-1);
    if (stats != nullptr) {
      const KernelsRan ran = model.last_kernels();
      stats->decode_kernel = ran.attention;
      stats->decode_linear = ran.linear;
    }
  }
  return rows.take();
}

}  // namespace gptbench::model
