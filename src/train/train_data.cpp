// Training examples (summaries, text chunks), their seeded order and batching (train_data.h).
#include "gptbench/train/train_data.h"

#include <ATen/ops/empty.h>  // at::empty
#include <fmt/format.h>          // fmt::format

#include <algorithm>  // std::max, std::min

#include "gptbench/data/dataset.h"    // load_dataset
#include "gptbench/data/prompt.h"     // build_prompt
#include "gptbench/io/atomic_file.h"  // read_file
#include "gptbench/util/check.h"      // GPTBENCH_CHECK
#include "gptbench/util/error.h"      // Error

namespace gptbench::train {
namespace {

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

std::vector<Example> summary_examples(const data::Dataset& dataset, const TrainConfig& c,
                                      const text::Tokenizer& tokenizer, int64_t seq_len, int32_t eos) {
  std::vector<Example> out;
  out.reserve(dataset.samples.size());
  for (const auto& s : dataset.samples)
    out.push_back(summary_example(s.source, s.reference, tokenizer, c.prompt_template, seq_len, c.max_summary_tokens,
                                  c.loss_on, eos));
  return out;
}

nlohmann::json token_counts(const std::vector<Example>& examples) {
  int64_t tokens = 0, targets = 0;
  for (const auto& e : examples) {
    tokens += static_cast<int64_t>(e.tokens.size()) - 1;
    targets += e.targets();
  }
  return {{"examples", examples.size()}, {"input_tokens", tokens}, {"target_tokens", targets}};
}

TrainData summarization_data(const TrainConfig& c, const text::Tokenizer& tokenizer, int64_t seq_len, int32_t eos) {
  data::DatasetOptions options;
  options.kind = *summarization_dataset(c.dataset);
  options.path = c.data_path;
  options.data_dir = c.model.flags.data_dir;
  options.split_seed = c.split_seed;
  options.split = data::Split::kTrain;
  const data::Dataset train = data::load_dataset(options);
  options.split = data::Split::kValidation;
  options.limit = c.eval_samples;
  const data::Dataset validation = data::load_dataset(options);
  TrainData d;
  d.train = summary_examples(train, c, tokenizer, seq_len, eos);
  d.validation = summary_examples(validation, c, tokenizer, seq_len, eos);
  d.description = {{"name", train.name},
                   {"path", train.path},
                   {"train_stats", data::to_json(train.stats)},
                   {"validation_stats", data::to_json(validation.stats)},
                   {"loss_on", enum_name(kLossOnNames, c.loss_on)},
                   {"rule", "prompt (as `gptbench run` builds it) + \" \" + reference [cut to --max-summary-tokens] + "
                            "<|endoftext|>; loss on " +
                                std::string(c.loss_on == LossOn::kAll ? "every next token" : "the summary tokens and EOS")}};
  return d;
}

TrainData text_data(const TrainConfig& c, const text::Tokenizer& tokenizer, int64_t seq_len) {
  const std::string content = io::read_file(c.data_path);
  const std::vector<int32_t> ids = tokenizer.prompt_ids(content, text::SpecialTokens::kRecognize);  // BOS first if any
  const int64_t n = static_cast<int64_t>(ids.size());
  const int64_t chunks = n > 1 ? (n - 1) / seq_len : 0;
  GPTBENCH_CHECK(chunks >= 2, "{}: {} tokens make {} chunk(s) of --seq-len {} + 1; need at least 2 (train and validation)",
                 c.data_path, n, chunks, seq_len);
  const int64_t n_val = std::max<int64_t>(1, static_cast<int64_t>(static_cast<double>(chunks) * c.val_fraction));
  TrainData d;
  for (int64_t k = 0; k < chunks; ++k) {
    Example e;
    e.tokens.assign(ids.begin() + k * seq_len, ids.begin() + k * seq_len + seq_len + 1);
    e.first_target = 1;
    if (k < chunks - n_val) {
      d.train.push_back(std::move(e));
    } else if (static_cast<int64_t>(d.validation.size()) < c.eval_samples) {
      d.validation.push_back(std::move(e));
    }
  }
  d.description = {{"name", "text"},
                   {"path", c.data_path},
                   {"file_tokens", n},
                   {"loss_on", "all"},
                   {"rule", fmt::format("contiguous chunks of {} + 1 tokens; the last {} of {} chunks (--val-fraction {}) "
                                        "are the validation set", seq_len, n_val, chunks, c.val_fraction)}};
  return d;
}

}  // namespace

Example summary_example(const std::string& source, const std::string& reference, const text::Tokenizer& tokenizer,
                        const std::string& prompt_template, int64_t seq_len, int64_t max_summary_tokens, LossOn loss_on,
                        int32_t eos) {
  // The summary never takes more than half the sequence, so every prompt keeps room for its source.
  const int64_t cap = std::min(max_summary_tokens, seq_len / 2);
  std::vector<int32_t> target = tokenizer.encode(" " + reference, text::SpecialTokens::kAsText);
  if (static_cast<int64_t>(target.size()) >= cap) {
    target.resize(static_cast<size_t>(cap));
  } else {
    target.push_back(eos);
  }
  data::PromptOptions options;
  options.templ = prompt_template;
  options.context = seq_len + 1;  // the last token is only a target
  options.max_new_tokens = static_cast<int64_t>(target.size());
  data::Prompt prompt = data::build_prompt(source, tokenizer, options);
  Example e;
  e.tokens = std::move(prompt.ids);
  e.first_target = loss_on == LossOn::kAll ? 1 : static_cast<int64_t>(e.tokens.size());
  e.tokens.insert(e.tokens.end(), target.begin(), target.end());
  return e;
}

TrainData load_train_data(const TrainConfig& c, const text::Tokenizer& tokenizer, int64_t seq_len, int32_t eos) {
  TrainData d = c.dataset == TrainDataset::kText ? text_data(c, tokenizer, seq_len) : summarization_data(c, tokenizer, seq_len, eos);
  d.description["train"] = token_counts(d.train);
  d.description["validation"] = token_counts(d.validation);
  d.description["order"] = "per-epoch Fisher-Yates shuffle, splitmix64 stream seeded with (--seed, epoch)";
  const int64_t per_step = c.batch_size * c.grad_accum;
  if (static_cast<int64_t>(d.train.size()) < per_step)
    throw Error(fmt::format("dataset {}: {} training example(s), fewer than one step needs (--batch-size {} x --grad-accum {})",
                            d.description.value("path", enum_name(kTrainDatasetNames, c.dataset)), d.train.size(), c.batch_size, c.grad_accum));
  GPTBENCH_CHECK(!d.validation.empty(), "dataset {}: no validation examples", d.description.value("path", enum_name(kTrainDatasetNames, c.dataset)));
  return d;
}

void ExampleOrder::shuffle(int64_t epoch) {
  perm_.resize(static_cast<size_t>(n_));
  for (int64_t i = 0; i < n_; ++i) perm_[i] = i;
  uint64_t state = seed_ ^ (0xD1B54A32D192ED03ULL * static_cast<uint64_t>(epoch + 1));
  for (int64_t i = n_ - 1; i > 0; --i) {
    const int64_t j = static_cast<int64_t>(splitmix64(state) % static_cast<uint64_t>(i + 1));
    std::swap(perm_[i], perm_[j]);
  }
  epoch_ = epoch;
}

int64_t ExampleOrder::at(int64_t position) {
  const int64_t epoch = position / n_;
  if (epoch != epoch_) shuffle(epoch);
  return perm_[position % n_];
}

Batch make_batch(const std::vector<const Example*>& examples, c10::Device device) {
  const int64_t b = static_cast<int64_t>(examples.size());
  int64_t t = 0;
  for (const Example* e : examples) t = std::max<int64_t>(t, static_cast<int64_t>(e->tokens.size()) - 1);
  std::vector<int64_t> ids(static_cast<size_t>(b * t), 0), targets(static_cast<size_t>(b * t), kIgnoreTarget);
  Batch batch;
  for (int64_t r = 0; r < b; ++r) {
    const auto& tok = examples[r]->tokens;
    const int64_t n = static_cast<int64_t>(tok.size()) - 1;
    for (int64_t i = 0; i < n; ++i) {
      ids[r * t + i] = tok[i];
      if (i + 1 >= examples[r]->first_target) {
        targets[r * t + i] = tok[i + 1];
        ++batch.target_tokens;
      }
    }
    batch.input_tokens += n;
  }
  // Pinned host memory and an asynchronous copy on CUDA: a pageable copy would block the host
  // until the GPU drains its queue, exposing the next step's launch overhead. The pinned buffer
  // is kept alive by the copy's caching-allocator record until the copy has run.
  const auto options = at::TensorOptions().dtype(at::kLong).pinned_memory(device.is_cuda());
  at::Tensor host = at::empty({2, b, t}, options);
  std::copy(ids.begin(), ids.end(), host.data_ptr<int64_t>());
  std::copy(targets.begin(), targets.end(), host.data_ptr<int64_t>() + b * t);
  const at::Tensor on_device = device.is_cuda() ? host.to(device, /*non_blocking=*/true) : host;
  batch.ids = on_device[0];
  batch.targets = on_device[1];
  return batch;
}

}  // namespace gptbench::train
