// Everything `gptbench train` needs to reproduce a training run; echoed into the report and
// stored in train_state.json, where --resume checks that the run it continues is the same.
#pragma once

#include <nlohmann/json.hpp>  // nlohmann::json

#include <cstdint>   // int64_t, uint64_t
#include <optional>  // std::optional
#include <string>    // std::string
#include <vector>    // std::vector

#include "gptbench/bench/progress.h"       // ProgressOptions
#include "gptbench/data/dataset_kind.h"    // data::DatasetKind, dataset_kind_name
#include "gptbench/model/lora.h"           // LoraSettings
#include "gptbench/run/model_selection.h"  // ResolvedSelection
#include "gptbench/util/enum_names.h"      // EnumName

namespace gptbench::train {

// One name table per enum-valued flag: it parses the flag and writes the config block.
// --dataset: a summarization dataset of the data module, or a plain text file (--data-path) of which
// every token is a target.
enum class TrainDataset { kNewsSummary, kCnnDailymail, kJsonl, kText };
inline constexpr EnumName<TrainDataset> kTrainDatasetNames[] = {
    {TrainDataset::kNewsSummary, data::dataset_kind_name(data::DatasetKind::kNewsSummary)},
    {TrainDataset::kCnnDailymail, data::dataset_kind_name(data::DatasetKind::kCnnDailymail)},
    {TrainDataset::kJsonl, data::dataset_kind_name(data::DatasetKind::kJsonl)},
    {TrainDataset::kText, "text"}};
// The data module's dataset behind a --dataset; nullopt for text.
std::optional<data::DatasetKind> summarization_dataset(TrainDataset dataset);

enum class LossOn { kSummary, kAll };  // kSummary: summary tokens + EOS only; kAll: every next token
inline constexpr EnumName<LossOn> kLossOnNames[] = {{LossOn::kSummary, "summary"}, {LossOn::kAll, "all"}};

enum class Precision { kFp32, kBf16, kFp16 };  // autocast dtype (weights and optimizer stay fp32)
inline constexpr EnumName<Precision> kPrecisionNames[] = {
    {Precision::kFp32, "fp32"}, {Precision::kBf16, "bf16"}, {Precision::kFp16, "fp16"}};

// kFused: fused_lm_loss.h (chunked lm_head + our classifier kernel); kReference: the (B, T, V) logits,
// converted to fp32, log_softmax and nll_loss, differentiated by autograd.
enum class LossImpl { kFused, kReference };
inline constexpr EnumName<LossImpl> kLossImplNames[] = {{LossImpl::kFused, "fused"},
                                                        {LossImpl::kReference, "reference"}};

// Rows (tokens) per chunk of the fused loss: the logits scratch is this many rows of V (8192 x 50304
// bf16 = 824 MB, against 6.6 GB of fp32 logits at B 32, T 1024 on the reference path).
inline constexpr int64_t kDefaultLossChunkRows = 8192;

// --distill-from: knowledge distillation from a teacher checkpoint (distill_loss.h). The teacher
// runs in inference mode on the same batch, under its own variant, bf16 on CUDA / fp32 on the CPU.
struct DistillConfig {
  std::string teacher_dir;
  std::string variant;  // --distill-variant as given; empty: the teacher's recorded variant, else sdpa
  double temperature = 2.0;
  double alpha = 0.5;
};

struct TrainConfig {
  std::vector<std::string> argv;
  // Model: starting checkpoint (ignored by --resume, which reads out_dir), variant, device and the
  // shared data folder, resolved at the edge. The weights stay fp32 (model.dtype); `precision` is autocast's.
  run::ResolvedSelection model;
  std::string tokenizer_dir;   // empty: the model folder
  bool allow_variant_change = false;
  Precision precision = Precision::kFp32;  // fp16: with dynamic loss scaling
  // Data
  TrainDataset dataset = TrainDataset::kNewsSummary;
  std::string data_path;                 // dataset file; for text: the text file (required)
  uint64_t split_seed = 0;
  std::string prompt_template = "{source}\nTL;DR:";
  LossOn loss_on = LossOn::kSummary;
  LossImpl loss = LossImpl::kFused;
  int64_t loss_chunk_rows = kDefaultLossChunkRows;
  int64_t seq_len = 0;              // 0: the model's n_positions
  int64_t max_summary_tokens = 128;  // summary tokens kept (EOS follows only an uncut summary)
  double val_fraction = 0.05;        // text: last fraction of the chunks held out for validation
  // Optimisation
  int64_t steps = 100;
  std::optional<int64_t> stop_at;  // stop (and save) after this step, the schedule still spans --steps
  int64_t batch_size = 8;
  int64_t grad_accum = 1;
  double lr = 3e-4;
  double min_lr_ratio = 0.1;
  int64_t warmup_steps = 10;
  double weight_decay = 0.1;
  double beta1 = 0.9, beta2 = 0.95, eps = 1e-8;
  double grad_clip = 1.0;  // 0: off
  uint64_t seed = 0;
  // CUDA: deterministic algorithms only (ATen's deterministic mode, deterministic cuDNN, a fixed cuBLAS
  // workspace), so that a run repeated or resumed gives bitwise the same loss curve. Without it the
  // atomic adds of some backward kernels (cuDNN's attention backward among them) make CUDA runs differ
  // in the last bits, and the difference grows over the steps. The CPU is deterministic either way.
  bool deterministic = false;
  // CUDA: the optimizer step captured once as a CUDA graph and replayed (src/train/step_graph.h): the
  // same values (batches right-padded to the sequence length), one launch per step on the host.
  bool cuda_graph = false;
  std::optional<DistillConfig> distill;  // --distill-from
  // --lora-rank: the base (--model, also on --resume) frozen, LoRA adapters trained and saved in PEFT's
  // format in --out (model/lora.h); --lora-dropout draws from a generator seeded with (--seed, step).
  std::optional<model::LoraSettings> lora;
  // Evaluation, output, measurement
  int64_t eval_interval = 0;   // 0: only at the end
  int64_t eval_samples = 64;   // validation examples for the loss
  int64_t eval_rouge = 0;      // validation samples for ROUGE through `run` on the saved checkpoint (0: off)
  int64_t save_interval = 0;   // 0: only at the end
  int64_t log_interval = 10;   // steps between host reads of the loss (the only per-interval sync)
  int64_t timing_skip = 2;     // first steps of this invocation left out of the timing summary
  double peak_tflops = 0;      // 0: the device's table value when known (H100/H200)
  std::string profile_path;    // --profile: Chrome trace of profile_steps timed steps (empty: no profiler at all)
  int64_t profile_steps = 3;   // profiled steps, the first ones after the timing_skip steps
  std::string out_dir;
  bool resume = false;
  bool quiet = false;
  bench::ProgressOptions progress;  // --no-progress, --progress-every (off under --quiet too)
};

std::string precision_name(Precision p);  // enum_name(kPrecisionNames, p)

// Throws UsageError naming the flag for any value out of range (before anything is loaded).
void validate(const TrainConfig& config);

nlohmann::json to_json(const TrainConfig& config);
nlohmann::json to_json(const DistillConfig& distill);
nlohmann::json to_json(const model::LoraSettings& lora);
// "full", "lora", "distill" or "lora+distill": the report's training.mode.
std::string training_mode(const TrainConfig& config);
// The settings a resumed run must share with the run it continues (data, order, optimisation).
nlohmann::json resume_identity(const TrainConfig& config);

}  // namespace gptbench::train
