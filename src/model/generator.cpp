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

void check_fits_context(const Gpt2Config& config, const attention::AttentionSpec& spec, int64_t prompt_tokens,
                        int64_t max_new_tokens) {
  if (!spec.uses_learned_positions()) return;  // ALiBi: no position table bounds the length
  if (prompt_tokens > config.n_positions)
    throw UsageError(fmt::format("prompt is {} tokens, longer than the model's context of {} (n_positions)",
                                 prompt_tokens, config.n_positions));
  if (prompt_tokens + max_new_tokens > config.n_positions)
    throw UsageError(fmt::format("prompt of {} tokens + --max-new-tokens {} exceeds the context of {} (n_positions)",
                                 prompt_tokens, max_new_tokens, config.n_positions));
}

std::vector<GeneratedSequence> generate_greedy(Gpt2Model& model, const std::vector<std::vector<int32_t>>& prompts,
                                               const GenerationOptions& options,
                                               const std::function<void()>& on_token) {
  GPTBENCH_CHECK(options.max_new_tokens >= 1, "--max-new-tokens must be at least 1, got {}", options.max_new_tokens);
  GPTBENCH_CHECK(options.min_new_tokens <= options.max_new_tokens,
                 "--min-new-tokens {} is larger than --max-new-tokens {}", options.min_new_tokens,
                 options.max_new_tokens);
  c10::InferenceMode inference_mode;
  if (on_token) on_token();  // the request starts with moving its ids to the device
  const Gpt2Config& config = model->config();
  const c10::Device device = model->wte->weight.device();
  const int64_t eos = config.eos_token_id;
  PaddedBatch batch = left_pad(prompts, kPadId, device);
  check_fits_context(config, model->spec(), batch.length, options.max_new_tokens);

  const int64_t b = batch.ids.size(0);
  std::unique_ptr<KvCache> cache = model->make_cache(batch.key_start, batch.length + options.max_new_tokens);
  attention::AttentionPositions positions{batch.key_start, 0, {}, batch.left_padded};
  at::Tensor logits = model->forward(batch.ids, positions, cache.get(), LogitsMode::kLastPosition);  // (B, 1, V)

  std::vector<GeneratedSequence> out(b);
  std::vector<bool> done(b, false);
  for (int64_t step = 0; step < options.max_new_tokens; ++step) {
    if (step < options.min_new_tokens && eos >= 0 && eos < config.vocab_size)
      logits.select(2, eos).fill_(-std::numeric_limits<float>::infinity());
    at::Tensor next = at::argmax(logits.select(1, 0), /*dim=*/-1);  // (B,)
    if (on_token) on_token();
    const at::Tensor next_cpu = next.to(at::kCPU);
    const int64_t* next_ids = next_cpu.data_ptr<int64_t>();
    if (step == 0) {
      GPTBENCH_CHECK(!logits.isnan().any().item<bool>(),
                     "the model produced NaN logits (variant {}, dtype {}): check the checkpoint and --dtype",
                     attention::variant_name(model->spec()), c10::toString(logits.scalar_type()));
    }
    bool all_done = true;
    for (int64_t r = 0; r < b; ++r) {
      if (done[r]) continue;
      if (next_ids[r] == eos) {
        done[r] = true;
        out[r].stopped_at_eos = true;
      } else {
        out[r].tokens.push_back(static_cast<int32_t>(next_ids[r]));
      }
      all_done = all_done && done[r];
    }
    if (all_done || step + 1 == options.max_new_tokens) break;
    positions.q_pos0 = batch.length + step;
    logits = model->forward(next.view({b, 1}), positions, cache.get(), LogitsMode::kLastPosition);
  }
  return out;
}

}  // namespace gptbench::model
