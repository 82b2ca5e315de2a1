// TrainConfig parsing helpers, validation and JSON.
#include "gptbench/train/train_config.h"

#include <fmt/format.h>  // fmt::format

#include <utility>  // std::pair

#include "gptbench/kernels/flash_arch.h"  // kFlashArchNames
#include "gptbench/util/error.h"          // UsageError

namespace gptbench::train {

std::string precision_name(Precision p) { return enum_name(kPrecisionNames, p); }

std::optional<data::DatasetKind> summarization_dataset(TrainDataset dataset) {
  switch (dataset) {
    case TrainDataset::kNewsSummary: return data::DatasetKind::kNewsSummary;
    case TrainDataset::kCnnDailymail: return data::DatasetKind::kCnnDailymail;
    case TrainDataset::kJsonl: return data::DatasetKind::kJsonl;
    case TrainDataset::kText: break;
  }
  return std::nullopt;
}

void validate(const TrainConfig& c) {
  auto positive = [](int64_t v, const char* flag) {
    if (v < 1) throw UsageError(fmt::format("{} must be at least 1, got {}", flag, v));
  };
  auto non_negative = [](int64_t v, const char* flag) {
    if (v < 0) throw UsageError(fmt::format("{} must be >= 0, got {}", flag, v));
  };
  if (!(c.lr > 0)) throw UsageError(fmt::format("--lr must be > 0, got {}", c.lr));
  if (!(c.min_lr_ratio >= 0 && c.min_lr_ratio <= 1))
    throw UsageError(fmt::format("--min-lr-ratio must be in [0, 1], got {}", c.min_lr_ratio));
  if (!(c.weight_decay >= 0)) throw UsageError(fmt::format("--weight-decay must be >= 0, got {}", c.weight_decay));
  if (!(c.grad_clip >= 0)) throw UsageError(fmt::format("--grad-clip must be >= 0, got {}", c.grad_clip));
  if (!(c.beta1 >= 0 && c.beta1 < 1) || !(c.beta2 >= 0 && c.beta2 < 1))
    throw UsageError(fmt::format("--beta1/--beta2 must be in [0, 1), got {} and {}", c.beta1, c.beta2));
  if (!(c.eps > 0)) throw UsageError(fmt::format("--eps must be > 0, got {}", c.eps));
  for (const auto& [value, flag] : {std::pair{c.steps, "--steps"}, {c.batch_size, "--batch-size"},
                                    {c.grad_accum, "--grad-accum"}, {c.log_interval, "--log-interval"},
                                    {c.max_summary_tokens, "--max-summary-tokens"}, {c.eval_samples, "--eval-samples"},
                                    {c.profile_steps, "--profile-steps"},
                                    {c.loss_chunk_rows, "--loss-chunk-rows"}})
    positive(value, flag);
  for (const auto& [value, flag] : {std::pair{c.warmup_steps, "--warmup-steps"}, {c.eval_interval, "--eval-interval"},
                                    {c.save_interval, "--save-interval"}, {c.eval_rouge, "--eval-rouge"},
                                    {c.timing_skip, "--timing-skip"}, {c.seq_len, "--seq-len"}})
    non_negative(value, flag);
  if (c.warmup_steps >= c.steps)
    throw UsageError(fmt::format("--warmup-steps ({}) must be less than --steps ({})", c.warmup_steps, c.steps));
  if (c.stop_at && (*c.stop_at < 1 || *c.stop_at > c.steps))
    throw UsageError(fmt::format("--stop-at must be in [1, --steps = {}], got {}", c.steps, *c.stop_at));
  if (!(c.val_fraction > 0 && c.val_fraction < 1))
    throw UsageError(fmt::format("--val-fraction must be in (0, 1), got {}", c.val_fraction));
  if (c.peak_tflops < 0) throw UsageError(fmt::format("--peak-tflops must be >= 0, got {}", c.peak_tflops));
  if (c.out_dir.empty()) throw UsageError("--out is required (the checkpoint and report folder)");
  if (c.model.flags.model_dir.empty() && !c.resume) throw UsageError("--model is required (or --resume with --out)");
  if (c.dataset == TrainDataset::kText && c.data_path.empty()) throw UsageError("--dataset text needs --data-path FILE");
  if (c.distill) {
    if (c.distill->teacher_dir.empty()) throw UsageError("--distill-from needs the teacher's checkpoint folder");
    if (!(c.distill->temperature > 0))
      throw UsageError(fmt::format("--distill-temperature must be > 0, got {}", c.distill->temperature));
    if (!(c.distill->alpha >= 0 && c.distill->alpha <= 1))
      throw UsageError(fmt::format("--distill-alpha must be in [0, 1], got {}", c.distill->alpha));
    if (c.loss != LossImpl::kFused)
      throw UsageError("--distill-from needs --loss fused (the KL is computed inside the fused loss's chunks)");
  }
  if (c.lora) {
    if (c.lora->rank < 1) throw UsageError(fmt::format("--lora-rank must be at least 1, got {}", c.lora->rank));
    if (!(c.lora->alpha > 0)) throw UsageError(fmt::format("--lora-alpha must be > 0, got {}", c.lora->alpha));
    if (!(c.lora->dropout >= 0 && c.lora->dropout < 1))
      throw UsageError(fmt::format("--lora-dropout must be in [0, 1), got {}", c.lora->dropout));
    if (c.model.flags.model_dir.empty())
      throw UsageError("--lora-rank needs --model (the frozen base), also with --resume");
  }
  if (c.cuda_graph) {
    if (c.grad_accum != 1)
      throw UsageError(fmt::format("--cuda-graph: one micro-batch per step (--grad-accum 1), got --grad-accum {}",
                                   c.grad_accum));
    if (c.distill) throw UsageError("--cuda-graph: not with --distill-from (the teacher's forward is not captured)");
    if (c.lora && c.lora->dropout > 0)
      throw UsageError("--cuda-graph: not with --lora-dropout (its masks are reseeded on the host every step)");
    if (c.precision == Precision::kFp16)
      throw UsageError("--cuda-graph: not with --precision fp16 (the loss scaler is not captured)");
  }
  if (c.model.quant.spec && !c.lora)
    throw UsageError(fmt::format("--quant {}: a quantized base trains only with --lora-rank (QLoRA: the adapters "
                                 "learn, the quantized weights stay frozen)", *c.model.flags.quant));
  if (c.model.quant.lm_head && c.model.quant.spec && c.lora)
    throw UsageError("--quant-lm-head: not in training (the fused loss reads the lm_head as a dense weight)");
}

nlohmann::json to_json(const model::LoraSettings& l) {
  return {{"rank", l.rank}, {"alpha", l.alpha}, {"dropout", l.dropout}, {"targets", l.targets}};
}

std::string training_mode(const TrainConfig& c) {
  if (c.lora && c.distill) return "lora+distill";
  return c.lora ? "lora" : c.distill ? "distill" : "full";
}

nlohmann::json to_json(const DistillConfig& d) {
  return {{"teacher", d.teacher_dir},
          {"variant", d.variant.empty() ? nlohmann::json(nullptr) : nlohmann::json(d.variant)},
          {"temperature", d.temperature},
          {"alpha", d.alpha}};
}

nlohmann::json resume_identity(const TrainConfig& c) {
  auto optional = [](const std::optional<int64_t>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
  nlohmann::json j = {{"variant", c.model.flags.variant},
          {"window", optional(c.model.flags.window)},
          {"global_tokens", optional(c.model.flags.global_tokens)},
          {"precision", precision_name(c.precision)},
          {"dataset", enum_name(kTrainDatasetNames, c.dataset)},
          {"data_path", c.data_path},
          {"split_seed", c.split_seed},
          {"prompt_template", c.prompt_template},
          {"loss_on", enum_name(kLossOnNames, c.loss_on)},
          {"seq_len", c.seq_len},
          {"max_summary_tokens", c.max_summary_tokens},
          {"val_fraction", c.val_fraction},
          {"steps", c.steps},
          {"batch_size", c.batch_size},
          {"grad_accum", c.grad_accum},
          {"lr", c.lr},
          {"min_lr_ratio", c.min_lr_ratio},
          {"warmup_steps", c.warmup_steps},
          {"weight_decay", c.weight_decay},
          {"beta1", c.beta1},
          {"beta2", c.beta2},
          {"eps", c.eps},
          {"grad_clip", c.grad_clip},
          {"seed", c.seed},
          {"eval_interval", c.eval_interval},
          {"eval_samples", c.eval_samples}};
  // Only when distilling, so that the state of a run older than --distill-from still resumes.
  if (c.distill) j["distill"] = to_json(*c.distill);
  if (c.lora) {  // the base is part of what is resumed: the adapters are only its difference
    j["lora"] = to_json(*c.lora);
    j["lora"]["base"] = c.model.flags.model_dir;
    j["lora"]["base_quant"] = c.model.quant.spec ? nlohmann::json(*c.model.flags.quant) : nlohmann::json(nullptr);
    j["lora"]["base_quant_group"] = c.model.quant.spec ? nlohmann::json(c.model.quant.spec->group) : nlohmann::json(nullptr);
  }
  return j;
}

nlohmann::json to_json(const TrainConfig& c) {
  nlohmann::json j = resume_identity(c);
  j["argv"] = c.argv;
  j["model"] = c.model.flags.model_dir;
  j["tokenizer"] = c.tokenizer_dir.empty() ? c.model.flags.model_dir : c.tokenizer_dir;
  j["allow_variant_change"] = c.allow_variant_change;
  j["device"] = c.model.flags.device;
  j["data_dir"] = c.model.flags.data_dir;
  j["stop_at"] = c.stop_at ? nlohmann::json(*c.stop_at) : nlohmann::json(nullptr);
  j["eval_rouge"] = c.eval_rouge;
  j["save_interval"] = c.save_interval;
  j["log_interval"] = c.log_interval;
  j["timing_skip"] = c.timing_skip;
  j["peak_tflops"] = c.peak_tflops;
  j["profile"] = c.profile_path.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.profile_path);
  j["profile_steps"] = c.profile_steps;
  j["out"] = c.out_dir;
  j["resume"] = c.resume;
  j["loss"] = enum_name(kLossImplNames, c.loss);
  j["loss_chunk_rows"] = c.loss_chunk_rows;
  j["deterministic"] = c.deterministic;
  j["cuda_graph"] = c.cuda_graph;
  j["flash_arch"] = enum_name(kernels::kFlashArchNames, c.model.flags.flash_arch);  // --flash-arch as asked
  if (!c.distill) j["distill"] = nullptr;
  if (!c.lora) j["lora"] = nullptr;
  return j;
}

}  // namespace gptbench::train
