// Training examples and their order. An example is a token sequence and the index of its first
// target token: the model reads tokens[0 .. n-2] and predicts tokens[1 .. n-1]; the loss counts
// the prediction of tokens[i] only for i >= first_target.
//   summarization: tokens = prompt (data::build_prompt, as `run` builds it) ++ enc(" " + reference)
//                  [cut to --max-summary-tokens] ++ <|endoftext|> (only after an uncut summary);
//                  first_target = prompt length (--loss-on summary) or 1 (--loss-on all).
//   text:          contiguous chunks tokens[k*T .. k*T + T] (T + 1 tokens) of [BOS] ++ enc(file), first_target = 1.
// Order: each epoch is a Fisher-Yates shuffle of the example indices driven by a splitmix64
// stream seeded with (seed, epoch); the position in the stream is the number of examples
// consumed, so a resumed run sees exactly the examples a straight run would.
#pragma once

#include <ATen/core/Tensor.h>  // at::Tensor
#include <c10/core/Device.h>   // c10::Device

#include <nlohmann/json.hpp>  // nlohmann::json

#include <cstdint>  // int32_t, int64_t, uint64_t
#include <string>   // std::string
#include <vector>   // std::vector

#include "gptbench/text/tokenizer.h"       // text::Tokenizer
#include "gptbench/train/train_config.h"   // TrainConfig, LossOn

namespace gptbench::train {

inline constexpr int64_t kIgnoreTarget = -100;  // cross-entropy's ignore_index

struct Example {
  std::vector<int32_t> tokens;
  int64_t first_target = 1;
  int64_t targets() const { return static_cast<int64_t>(tokens.size()) - first_target; }
};

struct TrainData {
  std::vector<Example> train, validation;
  nlohmann::json description;  // dataset name, path, stats, counts, rule
};

// Reads the dataset of `config` (train and validation splits, or the text file's chunks),
// with sequences of at most seq_len + 1 tokens. eos: the end-of-text id (GPT-2's <|endoftext|>).
TrainData load_train_data(const TrainConfig& config, const text::Tokenizer& tokenizer, int64_t seq_len,
                          int32_t eos);

// One summarization example (exposed for tests).
Example summary_example(const std::string& source, const std::string& reference, const text::Tokenizer& tokenizer,
                        const std::string& prompt_template, int64_t seq_len, int64_t max_summary_tokens, LossOn loss_on,
                        int32_t eos);

// The index of the `position`-th example consumed in training order (position counts across epochs).
class ExampleOrder {
 public:
  ExampleOrder(int64_t n_examples, uint64_t seed) : n_(n_examples), seed_(seed) {}
  int64_t at(int64_t position);

 private:
  void shuffle(int64_t epoch);
  int64_t n_;
  uint64_t seed_;
  int64_t epoch_ = -1;
  std::vector<int64_t> perm_;
};

struct Batch {
  at::Tensor ids;      // (B, T) int64 inputs, right-padded with 0
  at::Tensor targets;  // (B, T) int64 next tokens, kIgnoreTarget where not counted or padding
  int64_t input_tokens = 0;   // real (non-padding) input positions
  int64_t target_tokens = 0;  // counted targets
};

// Right-pads `examples` to the longest and builds inputs and targets on `device`.
Batch make_batch(const std::vector<const Example*>& examples, c10::Device device);

}  // namespace gptbench::train
