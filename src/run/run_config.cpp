// RunConfig -> JSON, and the data module's dataset behind a --dataset.
#include "gptbench/run/run_config.h"

#include "gptbench/kernels/flash_arch.h"  // kFlashArchNames
#include "gptbench/util/error.h"          // gptbench::Error

namespace gptbench::run {

data::DatasetKind file_dataset(DatasetKind kind) {
  switch (kind) {
    case DatasetKind::kNewsSummary: return data::DatasetKind::kNewsSummary;
    case DatasetKind::kCnnDailymail: return data::DatasetKind::kCnnDailymail;
    case DatasetKind::kJsonl: return data::DatasetKind::kJsonl;
    case DatasetKind::kSynthetic: break;
  }
  throw Error("--dataset synthetic has no file (a bug: the caller asked for its data set)");
}

std::string task_name(Task task) { return enum_name(kTaskNames, task); }

std::string timing_mode_name(TimingMode mode) { return enum_name(kTimingModeNames, mode); }

nlohmann::json to_json(const RunConfig& c) {
  const ModelSelection& m = c.model.flags;
  auto optional = [](const std::optional<int64_t>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
  nlohmann::json j = {
      {"argv", c.argv},
      {"task", task_name(c.task)},
      {"stride", c.stride},
      {"kl_against", c.kl_against ? nlohmann::json(c.kl_against->name) : nlohmann::json(nullptr)},
      {"model", m.model_dir},
      {"tokenizer", c.tokenizer_dir.empty() ? m.model_dir : c.tokenizer_dir},
      {"variant", m.variant},
      {"window", optional(m.window)},
      {"global_tokens", optional(m.global_tokens)},
      {"dtype", m.dtype},
      {"device", m.device},
      {"quant", m.quant ? nlohmann::json(*m.quant) : nlohmann::json(nullptr)},
      {"quant_group", optional(m.quant_group)},
      {"quant_lm_head", m.quant_lm_head},
      {"dataset", enum_name(kDatasetNames, c.dataset)},
      {"data_path", c.data_path},
      {"data_dir", m.data_dir},
      {"split", enum_name(data::kSplitNames, c.split)},
      {"limit", optional(c.limit)},
      {"split_seed", c.split_seed},
      {"decode", enum_name(kDecodeModeNames, c.decode)},
      {"linear", enum_name(kLinearModeNames, c.linear)},
      {"prompt_template", c.prompt_template},
      {"prompt_tokens", c.prompt_tokens},
      {"max_prompt_tokens", optional(c.max_prompt_tokens)},
      {"batch_size", c.batch_size},
      {"max_new_tokens", c.max_new_tokens},
      {"min_new_tokens", c.min_new_tokens},
      {"num_beams", c.num_beams},
      {"no_repeat_ngram_size", c.no_repeat_ngram_size},
      {"length_penalty", c.length_penalty},
      {"early_stopping", enum_name(model::kEarlyStoppingNames, c.early_stopping)},
      {"warmup", c.warmup},
      {"timing", timing_mode_name(c.timing)},
      {"rouge_stemmer", c.stemmer},
      {"profile", c.profile_path.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.profile_path)},
      {"flash_arch", enum_name(kernels::kFlashArchNames, m.flash_arch)},  // asked; attention.prefill_kernel: what ran
  };
  // The stopping flags only when given, so that the config of a plain run stays as it was (compare
  // diffs configs); latency.stopping records the rule that ran either way.
  if (c.stopping.given()) {
    const RunStoppingFlags& s = c.stopping;
    j["stopping"] = {{"min_batches", optional(s.min_batches)}, {"min_time_s", s.min_time_s},
                     {"max_noise", s.max_noise},               {"max_time_s", s.max_time_s},
                     {"max_batches", optional(s.max_batches)}};
  }
  return j;
}

bench::ProgressOptions progress_options(const RunConfig& c) {
  bench::ProgressOptions options = c.progress;
  options.enabled = options.enabled && !c.quiet;
  return options;
}

}  // namespace gptbench::run
