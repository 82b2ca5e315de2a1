// Beam search, one function per step of transformers' `_beam_search` (process logits, pick the
// top 2K candidates, choose the next running beams, update the finished hypotheses, decide whether
// to go on). Each is written with the same tensor operations, in the same order and in fp32, as its
// transformers counterpart, so scores round alike and near-ties break alike.
#include "gptbench/model/beam_search.h"

#include <ATen/TensorOperators.h>    // Tensor operators (+, *, /, &, ~)
#include <ATen/ops/arange.h>         // at::arange
#include <ATen/ops/cat.h>            // at::cat
#include <ATen/ops/full.h>           // at::full
#include <ATen/ops/ones.h>           // at::ones
#include <ATen/ops/where.h>          // at::where
#include <ATen/ops/zeros.h>          // at::zeros
#include <c10/core/InferenceMode.h>  // c10::InferenceMode
#include <fmt/format.h>              // fmt::format

#include <cmath>   // std::pow, std::isfinite
#include <limits>  // std::numeric_limits
#include <tuple>   // std::get

#include "gptbench/util/error.h"  // UsageError

namespace gptbench::model {
namespace {

// transformers rules candidates out by adding this to their fp32 score (not by -inf), so ruled-out
// scores still order among themselves; using the same constant keeps every comparison the same.
constexpr double kRuledOut = -1.0e9;
constexpr float kMinusInf = -std::numeric_limits<float>::infinity();

struct Dims {
  int64_t batch;       // B prompts
  int64_t beams;       // K
  int64_t vocab;       // V
  int64_t prompt_len;  // T, the padded prompt length
  int64_t max_len;     // T + max_new_tokens
};

// The search state of every prompt, laid out (B, K, ...) as in transformers.
struct BeamState {
  at::Tensor running_sequences;  // (B, K, max_len) int64: padded prompt + tokens so far
  at::Tensor running_scores;     // (B, K) fp32: summed log-probs of the running beams
  at::Tensor sequences;          // (B, K, max_len) int64: kept finished hypotheses, best first
  at::Tensor finished_scores;    // (B, K) fp32: their length-normalised scores (kRuledOut while empty)
  at::Tensor is_finished;        // (B, K) bool: the slot holds a real finished hypothesis
  at::Tensor improvable;         // (B, 1) bool: the running beams may still beat the kept hypotheses
};

// The 2K best continuations over all beams of each prompt, best first.
struct Candidates {
  at::Tensor scores;     // (B, 2K) fp32: summed log-probs including the new token
  at::Tensor sequences;  // (B, 2K, max_len) int64: the source beam's sequence plus the new token
  at::Tensor source;     // (B, 2K) int64: the beam (0..K-1) each one continues
  at::Tensor finished;   // (B, 2K) bool: ends with EOS or reaches max_len
};

void validate(const BeamSearchOptions& o) {
  if (o.num_beams < 2)
    throw UsageError(fmt::format("--num-beams must be at least 2 for beam search (1 is greedy decoding), got {}",
                                 o.num_beams));
  if (o.max_new_tokens < 1)
    throw UsageError(fmt::format("--max-new-tokens must be at least 1, got {}", o.max_new_tokens));
  if (o.min_new_tokens < 0 || o.min_new_tokens > o.max_new_tokens)
    throw UsageError(fmt::format("--min-new-tokens must be between 0 and --max-new-tokens ({}), got {}",
                                 o.max_new_tokens, o.min_new_tokens));
  if (o.no_repeat_ngram_size < 0)
    throw UsageError(fmt::format("--no-repeat-ngram-size must be 0 (off) or positive, got {}",
                                 o.no_repeat_ngram_size));
  if (!std::isfinite(o.length_penalty))
    throw UsageError(fmt::format("--length-penalty must be finite, got {}", o.length_penalty));
}

// NoRepeatNGramLogitsProcessor: a token that would complete an n-gram already present in the row
// (prompt and padding included) gets -inf. history: (N, cur_len) int64; scores: (N, V).
at::Tensor ban_repeated_ngrams(const at::Tensor& history, const at::Tensor& scores, int64_t n) {
  const int64_t cur_len = history.size(1), vocab = scores.size(1);
  if (cur_len < n) return scores;
  at::Tensor prefix = history.narrow(1, cur_len + 1 - n, n - 1);                    // (N, n-1)
  at::Tensor windows = history.unfold(1, n, 1);                                     // (N, W, n)
  at::Tensor matches = windows.narrow(2, 0, n - 1).eq(prefix.unsqueeze(1)).all(-1);  // (N, W)
  // Unmatched windows (and ids past the vocabulary) land in a spare column that is dropped.
  at::Tensor banned = at::zeros({scores.size(0), vocab + 1}, scores.options().dtype(at::kBool));
  banned.scatter_(1, at::where(matches, windows.select(2, n - 1).clamp_max(vocab), vocab), true);
  return scores.masked_fill(banned.narrow(1, 0, vocab), kMinusInf);
}

// log_softmax in fp32, then the logits processors transformers builds for these options.
// logits: (B*K, V); history: (B*K, cur_len). Returns (B*K, V) fp32.
at::Tensor process_logits(const at::Tensor& logits, const at::Tensor& history, int64_t step,
                          const BeamSearchOptions& o, int64_t eos) {
  at::Tensor log_probs = logits.to(at::kFloat).log_softmax(-1);
  if (o.no_repeat_ngram_size > 0) log_probs = ban_repeated_ngrams(history, log_probs, o.no_repeat_ngram_size);
  if (step < o.min_new_tokens && eos >= 0 && eos < log_probs.size(1)) log_probs.select(1, eos).fill_(kMinusInf);
  return log_probs;
}

BeamState initial_state(const at::Tensor& history_prompts, const Dims& d, int64_t fill_id) {
  const auto options = history_prompts.options();
  BeamState s;
  s.running_sequences = at::full({d.batch, d.beams, d.max_len}, fill_id, options);
  s.running_sequences.narrow(2, 0, d.prompt_len).copy_(history_prompts.unsqueeze(1));
  s.sequences = s.running_sequences.clone();
  // Only beam 0 is live at first: the K copies of a prompt would otherwise yield K equal candidates.
  s.running_scores = at::zeros({d.batch, d.beams}, options.dtype(at::kFloat));
  s.running_scores.narrow(1, 1, d.beams - 1).fill_(kRuledOut);
  s.finished_scores = at::full({d.batch, d.beams}, kRuledOut, options.dtype(at::kFloat));
  s.is_finished = at::zeros({d.batch, d.beams}, options.dtype(at::kBool));
  s.improvable = at::ones({d.batch, 1}, options.dtype(at::kBool));
  return s;
}

// _get_top_k_continuations. log_probs: (B*K, V) processed log-probs of the running beams.
Candidates pick_candidates(const BeamState& s, const at::Tensor& log_probs, const Dims& d, int64_t cur_len,
                           int64_t eos) {
  at::Tensor summed = (log_probs.view({d.batch, d.beams, d.vocab}) + s.running_scores.unsqueeze(2))
                          .reshape({d.batch, d.beams * d.vocab});
  auto [scores, flat_index] = summed.topk(2 * d.beams);  // (B, 2K), best first
  Candidates c;
  c.scores = scores;
  c.source = flat_index.div(d.vocab, "floor");
  at::Tensor tokens = flat_index.remainder(d.vocab);
  c.sequences = s.running_sequences.take_along_dim(c.source.unsqueeze(-1), 1);
  c.sequences.select(2, cur_len).copy_(tokens);
  c.finished = tokens.eq(eos);
  if (cur_len + 1 >= d.max_len) c.finished.fill_(true);
  return c;
}

// _get_running_beams_for_next_iteration: the K best candidates that did not finish. Returns the
// cache rows (B*K,) int64 the new beams come from.
at::Tensor select_running(BeamState& s, const Candidates& c, const Dims& d) {
  at::Tensor live_scores = c.scores + c.finished.to(at::kFloat) * kRuledOut;
  at::Tensor best = std::get<1>(live_scores.topk(d.beams));  // (B, K)
  s.running_sequences = c.sequences.take_along_dim(best.unsqueeze(-1), 1);
  s.running_scores = live_scores.take_along_dim(best, 1);
  at::Tensor source = c.source.take_along_dim(best, 1);
  at::Tensor first_row = at::arange(d.batch, source.options()).view({-1, 1}) * d.beams;
  return (source + first_row).view({-1});
}

// _update_finished_beams: candidates among the top K that finished compete, length-normalised,
// with the kept hypotheses; the K best stay.
void update_finished(BeamState& s, const Candidates& c, const Dims& d, int64_t cur_len, const BeamSearchOptions& o) {
  at::Tensor in_top_k = at::arange(2 * d.beams, c.source.options()).lt(d.beams);  // (2K,)
  at::Tensor just_finished = c.finished & in_top_k.unsqueeze(0);
  // The length counts generated tokens, the EOS included; the prompt does not count.
  at::Tensor scores = c.scores / std::pow(static_cast<double>(cur_len + 1 - d.prompt_len), o.length_penalty);
  at::Tensor full = s.is_finished.all(-1, /*keepdim=*/true) & (o.early_stopping == EarlyStopping::kWhenFull);
  scores = scores + full.to(at::kFloat) * kRuledOut;
  scores = scores + (~s.improvable).to(at::kFloat) * kRuledOut;
  scores = scores + (~just_finished).to(at::kFloat) * kRuledOut;

  at::Tensor merged_scores = at::cat({s.finished_scores, scores}, 1);  // (B, 3K)
  at::Tensor keep = std::get<1>(merged_scores.topk(d.beams));
  s.sequences = at::cat({s.sequences, c.sequences}, 1).take_along_dim(keep.unsqueeze(-1), 1);
  s.finished_scores = merged_scores.take_along_dim(keep, 1);
  s.is_finished = at::cat({s.is_finished, just_finished}, 1).take_along_dim(keep, 1);
}

// _check_early_stop_heuristic and _beam_search_has_unfinished_sequences, after the step that made
// the sequences cur_len long. Returns whether another step is needed (one device sync per step).
bool should_continue(BeamState& s, const Candidates& c, const Dims& d, int64_t cur_len, const BeamSearchOptions& o) {
  const bool score_at_max_len = o.early_stopping == EarlyStopping::kNever && o.length_penalty > 0.0;
  const int64_t best_len = (score_at_max_len ? d.max_len : cur_len) - d.prompt_len;
  at::Tensor best_running =
      s.running_scores.narrow(1, 0, 1) / std::pow(static_cast<double>(best_len), o.length_penalty);  // (B, 1)
  at::Tensor worst_kept =
      at::where(s.is_finished, std::get<0>(s.finished_scores.min(1, /*keepdim=*/true)), kRuledOut);  // (B, K)
  s.improvable = s.improvable & (best_running > worst_kept).any(-1, /*keepdim=*/true);

  at::Tensor improvement_possible = s.improvable.any();
  at::Tensor open_beam = ~(s.is_finished.all() & (o.early_stopping == EarlyStopping::kWhenFull));
  at::Tensor can_continue = ~c.finished.all();
  return (improvement_possible & open_beam & can_continue).item<bool>();
}

std::vector<GeneratedSequence> best_hypotheses(const BeamState& s, const Dims& d, int64_t eos) {
  const at::Tensor best = s.sequences.select(1, 0).narrow(1, d.prompt_len, d.max_len - d.prompt_len)
                              .to(at::kCPU).contiguous();  // (B, max_new_tokens)
  std::vector<GeneratedSequence> out(d.batch);
  for (int64_t b = 0; b < d.batch; ++b) {
    const int64_t* tokens = best[b].data_ptr<int64_t>();
    for (int64_t t = 0; t < best.size(1); ++t) {
      if (tokens[t] == eos) {
        out[b].stopped_at_eos = true;
        break;
      }
      out[b].tokens.push_back(static_cast<int32_t>(tokens[t]));
    }
  }
  return out;
}

}  // namespace

EarlyStopping parse_early_stopping(const std::string& name) {
  if (name == "false") return EarlyStopping::kHeuristic;
  if (name == "true") return EarlyStopping::kWhenFull;
  if (name == "never") return EarlyStopping::kNever;
  throw UsageError(fmt::format("--early-stopping must be false, true or never, got '{}'", name));
}

std::string early_stopping_name(EarlyStopping mode) {
  switch (mode) {
    case EarlyStopping::kHeuristic: return "false";
    case EarlyStopping::kWhenFull: return "true";
    case EarlyStopping::kNever: return "never";
  }
  return "false";
}

std::vector<GeneratedSequence> generate_beam(CausalLm& model, const std::vector<std::vector<int32_t>>& prompts,
                                             const BeamSearchOptions& options) {
  validate(options);
  c10::InferenceMode inference_mode;
  const ModelShape& shape = model.shape();
  const c10::Device device = model.device();
  const int64_t eos = shape.eos_token_id;
  PaddedBatch batch = left_pad(prompts, kPadId, device);
  check_fits_context(shape, model.spec(), batch.length, options.max_new_tokens);
  // transformers runs with pad_token_id = EOS: its padding is part of what the n-gram ban sees.
  const int64_t history_pad = eos >= 0 ? eos : kPadId;
  const PaddedBatch history = left_pad(prompts, history_pad, device);

  const Dims d{batch.ids.size(0), options.num_beams, shape.vocab_size, batch.length,
               batch.length + options.max_new_tokens};
  BeamState state = initial_state(history.ids, d, history_pad);

  // One prefill per prompt, then fanned out to its K beams (rows b*K .. b*K+K-1).
  std::unique_ptr<KvCache> cache = model.make_cache(batch.key_start, d.max_len);
  attention::AttentionPositions positions{batch.key_start, 0, {}, batch.left_padded};
  at::Tensor logits = model.forward(batch.ids, positions, cache.get(), LogitsMode::kLastPosition).select(1, 0);
  const at::Tensor fan_out = at::arange(d.batch, batch.key_start.options()).repeat_interleave(d.beams);
  logits = logits.index_select(0, fan_out);  // (B*K, V)
  cache->reorder(fan_out);
  positions.key_start = batch.key_start.index_select(0, fan_out);

  for (int64_t cur_len = d.prompt_len;;) {
    const at::Tensor history_rows =
        state.running_sequences.reshape({d.batch * d.beams, d.max_len}).narrow(1, 0, cur_len);  // (B*K, cur_len)
    const at::Tensor log_probs = process_logits(logits, history_rows, cur_len - d.prompt_len, options, eos);
    const Candidates candidates = pick_candidates(state, log_probs, d, cur_len, eos);
    const at::Tensor rows = select_running(state, candidates, d);
    update_finished(state, candidates, d, cur_len, options);
    ++cur_len;
    if (!should_continue(state, candidates, d, cur_len, options)) break;
    cache->reorder(rows);
    positions.q_pos0 = cur_len - 1;
    const at::Tensor next = state.running_sequences.select(2, cur_len - 1).reshape({d.batch * d.beams, 1});
    logits = model.forward(next, positions, cache.get(), LogitsMode::kLastPosition).select(1, 0);
  }
  return best_hypotheses(state, d, eos);
}

}  // namespace gptbench::model
