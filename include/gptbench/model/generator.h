// Batched greedy generation with left padding, a preallocated KV cache, and separate
// prefill and single-token decode steps.
#pragma once

#include <cstdint>     // int32_t, int64_t
#include <functional>  // std::function
#include <string>      // std::string
#include <vector>      // std::vector

#include "gptbench/attention/attention.h"  // AttentionSpec
#include "gptbench/model/causal_lm.h"      // CausalLm, ModelShape

namespace gptbench::model {

class DecodeGraphs;  // decode_graph.h

struct GenerationOptions {
  int64_t max_new_tokens = 32;  // cap on generated tokens per prompt
  int64_t min_new_tokens = 0;   // EOS is suppressed before this many tokens (HF semantics); = max fixes the length
  // When set and decode_graph_declined_reason accepts the batch, decode steps replay a
  // CUDA graph from here; otherwise each step runs eagerly.
  DecodeGraphs* graphs = nullptr;
  // With graphs: replay them wherever the model supports it (--decode graph), not only where
  // decode_graph_declined_reason accepts the batch (--decode auto).
  bool force_graph = false;
};

// What one generate call did, for reports.
struct GenerationStats {
  bool graph_decode = false;   // decode steps replayed a CUDA graph
  std::string graph_declined;  // graphs were offered but not used: why (decode_graph_declined_reason)
  bool prefill_graph = false;  // the prefill replayed a CUDA graph (its prompt length repeated)
  int64_t kv_cache_bytes = 0;  // the cache the batch used
  std::string kv_cache;        // its kind (KvCache::kind): "dense" or "rolling"
  int64_t wasted_steps = 0;    // steps run after every row had stopped (graph decode looks one step behind)
  std::string prefill_kernel;  // the attention kernels that ran (AttentionImpl::last_kernel)
  std::string decode_kernel;   // empty when no decode step ran
  std::string prefill_linear;  // the projections' implementations (CausalLm::last_kernels().linear)
  std::string decode_linear;   // empty when no decode step ran
};

struct GeneratedSequence {
  std::vector<int32_t> tokens;  // generated tokens only; the EOS that ended the sequence is not included
  bool stopped_at_eos = false;
};

// The id written into padding positions; never seen by real tokens, so any valid id works.
inline constexpr int64_t kPadId = 0;

// A left-padded batch of prompts: ids (B, T) int64 and the first real position of each row.
struct PaddedBatch {
  at::Tensor ids;        // (B, T) int64 on the model's device
  at::Tensor key_start;  // (B,) int64
  int64_t length = 0;    // T
  bool left_padded = false;  // some row is shorter than T
};
PaddedBatch left_pad(const std::vector<std::vector<int32_t>>& prompts, int64_t pad_id, c10::Device device);

// Greedy decoding of all prompts as one batch. Each row stops at EOS independently; the batch
// stops when every row has stopped or max_new_tokens is reached. Runs under inference mode.
// on_token, when set, is called once before the prefill and once after each token is chosen
// (for the whole batch), with no synchronisation: timers record device events there.
std::vector<GeneratedSequence> generate_greedy(CausalLm& model, const std::vector<std::vector<int32_t>>& prompts,
                                               const GenerationOptions& options,
                                               const std::function<void()>& on_token = {},
                                               GenerationStats* stats = nullptr);

// Checks a prompt fits the context (context_limit) with room for the new tokens; throws UsageError otherwise.
void check_fits_context(const ModelShape& shape, const attention::AttentionSpec& spec, int64_t prompt_tokens,
                        int64_t max_new_tokens);

}  // namespace gptbench::model
