// Batched beam search with the semantics of Hugging Face transformers' generate(num_beams=N,
// do_sample=False, ...) for decoder-only models (transformers 5.17-5.23 `_beam_search`), so a
// result can be compared token for token with the Python oracle.
#pragma once

#include <cstdint>  // int32_t, int64_t
#include <string>   // std::string
#include <vector>   // std::vector

#include "gptbench/model/generator.h"   // GeneratedSequence
#include "gptbench/model/causal_lm.h"   // CausalLm

namespace gptbench::model {

// transformers' `early_stopping`: when a prompt's search is over.
enum class EarlyStopping {
  kHeuristic,  // False: once the best running beam, scored at its current length, cannot beat the worst kept hypothesis
  kWhenFull,   // True: as soon as num_beams hypotheses have finished
  kNever,      // "never": as kHeuristic, but a positive length penalty scores the running beam at the maximum length
};

EarlyStopping parse_early_stopping(const std::string& name);  // "false" | "true" | "never"; UsageError otherwise
std::string early_stopping_name(EarlyStopping mode);

struct BeamSearchOptions {
  int64_t num_beams = 5;             // >= 2; one beam is greedy decoding (generate_greedy)
  int64_t max_new_tokens = 100;
  int64_t min_new_tokens = 0;        // EOS is suppressed before this many tokens
  int64_t no_repeat_ngram_size = 0;  // 0 = off; n-grams of the prompt count too, as in transformers
  double length_penalty = 1.0;       // a finished hypothesis scores sum(log p) / (generated tokens incl. EOS)^this
  EarlyStopping early_stopping = EarlyStopping::kHeuristic;
};

// The best hypothesis of each prompt (generated tokens only, EOS excluded, stopped_at_eos set), as
// generate_greedy returns. All prompts run as one left-padded batch of B * num_beams rows with a
// KV cache that follows the beams; a prompt's result does not depend on its batch mates.
// Runs under inference mode. Throws UsageError for options transformers would reject.
std::vector<GeneratedSequence> generate_beam(CausalLm& model, const std::vector<std::vector<int32_t>>& prompts,
                                             const BeamSearchOptions& options);

}  // namespace gptbench::model
