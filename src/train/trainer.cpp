// The training loop behind `gptbench train` (trainer.h).
#include "gptbench/train/trainer.h"

#include <ATen/Context.h>                    // at::globalContext (TF32, deterministic algorithms, default generators)
#include <ATen/core/Generator.h>             // at::Generator
#include <ATen/TensorOperators.h>            // Tensor operators
#include <ATen/ops/_log_softmax.h>           // at::_log_softmax
#include <ATen/ops/nll_loss.h>               // at::nll_loss
#include <ATen/ops/stack.h>                  // at::stack
#include <ATen/ops/zeros.h>                  // at::zeros
#include <c10/core/impl/LocalDispatchKeySet.h>  // c10::impl::ExcludeDispatchKeyGuard, autocast keys
#include <c10/core/GradMode.h>               // c10::NoGradGuard
#include <fmt/format.h>                      // fmt::format, fmt::print
#include <torch/csrc/autograd/autograd.h>    // torch::autograd::backward

#include <algorithm>  // std::min, std::find
#include <chrono>     // std::chrono::steady_clock
#include <cstdio>     // stderr
#include <cstdlib>    // setenv
#include <fstream>    // std::ofstream, std::ifstream
#include <memory>     // std::shared_ptr
#include <mutex>      // std::lock_guard
#include <optional>   // std::optional
#include <sstream>    // std::istringstream

#include "gptbench/attention/flash_backward.h"  // last_flash_backward_kernel
#include "autocast_scope.h"                 // AutocastScope
#include "gptbench/attention/learned_options.h"  // recorded_options
#include "step_graph.h"                     // StepGraph, StepOutputs
#include "gptbench/attention/variant.h"     // variant_name
#include "gptbench/bench/device_memory.h"   // reset_peak_memory, read_peak_memory
#include "gptbench/bench/device_timer.h"    // DeviceTimer
#include "gptbench/bench/profile_summary.h" // ProfileSummary, to_json, format_profile_table
#include "gptbench/bench/profiler.h"        // Profiler
#include "gptbench/bench/progress.h"        // ProgressReporter
#include "gptbench/bench/stats.h"           // summarize
#include "gptbench/io/atomic_file.h"        // write_file_atomic, read_file
#include "gptbench/kernels/classifier_op.h" // classifier_kernel_compiled
#include "gptbench/model/checkpoint.h"      // load_model, save_model, copy_parameters, with_recorded_options
#include "gptbench/model/frozen_projections.h"  // hold_frozen_projections_in
#include "gptbench/model/lora.h"            // attach_lora, load_lora, save_lora, lora_parameters
#include "gptbench/model/model_quantization.h"  // quantize_model
#include "gptbench/run/run_config.h"        // kDatasetNames
#include "gptbench/model/model_family.h"    // read_model_config, build_model
#include "gptbench/run/summarization.h"     // report_header, attention_info, model_info, run_summarization
#include "gptbench/text/tokenizer.h"        // load_tokenizer
#include "gptbench/train/adamw.h"           // AdamW, LossScaler
#include "gptbench/train/distill_loss.h"    // distill_lm_loss, DistillOptions
#include "gptbench/train/flops.h"           // flops_per_token, peak_flops
#include "gptbench/train/fused_lm_loss.h"   // fused_lm_loss, fused_lm_loss_name
#include "gptbench/train/lr_schedule.h"     // learning_rate
#include "gptbench/train/train_data.h"      // load_train_data, ExampleOrder, make_batch
#include "gptbench/train/train_state.h"     // save_train_state, load_train_state
#include "gptbench/util/check.h"            // GPTBENCH_CHECK
#include "gptbench/util/enum_names.h"       // parse_enum
#include "gptbench/util/error.h"            // Error, UsageError

namespace fs = std::filesystem;

namespace gptbench::train {
namespace {

using Clock = std::chrono::steady_clock;

// --deterministic on CUDA (TrainConfig::deterministic). cuBLAS reads its workspace setting when this
// process creates its first handle, which happens after this (no matmul has run yet); an explicit
// setting in the environment wins. An op without a deterministic implementation then throws, naming
// itself, instead of silently running the non-deterministic one.
void use_deterministic_cuda_algorithms() {
  setenv("CUBLAS_WORKSPACE_CONFIG", ":4096:8", /*overwrite=*/0);
  at::globalContext().setDeterministicAlgorithms(true, /*warn_only=*/false);
  at::globalContext().setDeterministicCuDNN(true);
  at::globalContext().setBenchmarkCuDNN(false);
}

// The reference loss (--loss reference): sum of the next-token NLLs over counted targets, in fp32.
// logits (B, T, V) in bf16/fp16 under autocast, else fp32; targets (B, T) int64 with kIgnoreTarget
// elsewhere. The logits are converted to fp32 first, as autocast's cross_entropy does (ATen's fused
// half_to_float log_softmax takes fp16 only).
at::Tensor nll_sum(const at::Tensor& logits, const at::Tensor& targets) {
  const at::Tensor log_probs = at::_log_softmax(logits.flatten(0, 1).to(at::kFloat), -1, /*half_to_float=*/false);
  return at::nll_loss(log_probs, targets.flatten(), {}, at::Reduction::Sum, kIgnoreTarget);
}

attention::AttentionPositions training_positions(int64_t batch, c10::Device device) {
  // Right-padded rows start at position 0: no left padding, so SDPA may use is_causal.
  attention::AttentionPositions positions;
  positions.key_start = at::zeros({batch}, at::TensorOptions().dtype(at::kLong).device(device));
  positions.q_pos0 = 0;
  positions.left_padded = false;
  return positions;
}

// --distill-from's teacher: the checkpoint in inference mode under its own variant.
struct Teacher {
  std::shared_ptr<model::CausalLm> model;
  std::string dir, variant;
  DistillOptions options;
};

struct LossSettings {
  LossImpl impl = LossImpl::kFused;
  FusedLmLossOptions fused;
  std::optional<Teacher> teacher;  // --distill-from
};

// A batch's summed losses over its counted targets (fp32, 0-dim): `loss` is what is trained (the
// next-token NLL, or distillation's combination), differentiable under grad mode; the parts are
// detached, kl only when distilling.
struct BatchLoss {
  at::Tensor loss, cross_entropy, kl;
};

// The batch's losses, the models' forwards included: the fused loss takes the final hidden states
// and applies the lm_head itself in chunks (the teacher's too). Call it inside the AutocastScope.
BatchLoss batch_loss(model::CausalLm& m, const Batch& b, c10::Device device, const LossSettings& loss) {
  const attention::AttentionPositions positions = training_positions(b.ids.size(0), device);
  if (loss.impl == LossImpl::kReference) {
    const at::Tensor nll = nll_sum(m.forward(b.ids, positions, nullptr, model::LogitsMode::kAllPositions), b.targets);
    return {nll, nll.detach(), {}};
  }
  const at::Tensor hidden = m.forward(b.ids, positions, nullptr, model::LogitsMode::kHidden);  // (B, T, C)
  if (!loss.teacher) {
    const at::Tensor nll = fused_lm_loss(hidden, m.lm_head_weight(), b.targets, loss.fused);
    return {nll, nll.detach(), {}};
  }
  model::CausalLm& teacher = *loss.teacher->model;
  at::Tensor teacher_hidden;  // (B, T, C')
  {
    // The teacher runs in its own precision (bf16 weights on CUDA): no gradients, and outside the student's
    // autocast region, which would return fp32 from its LayerNorms into bf16 projections.
    const c10::NoGradGuard no_grad;
    const c10::impl::ExcludeDispatchKeyGuard no_autocast(c10::autocast_dispatch_keyset);
    teacher_hidden = teacher.forward(b.ids, positions, nullptr, model::LogitsMode::kHidden);
  }
  const DistillLoss d = distill_lm_loss(hidden, m.lm_head_weight(), teacher_hidden, teacher.lm_head_weight(),
                                        b.targets, loss.fused, loss.teacher->options);
  return {d.loss, d.cross_entropy, d.kl};
}

// The validation loss (the next-token NLL per counted target) and, when distilling, the mean KL to the teacher.
report::Evaluation evaluate(model::CausalLm& m, const std::vector<Example>& examples, int64_t batch_size,
                            c10::Device device, Precision precision, const LossSettings& loss) {
  c10::NoGradGuard no_grad;
  at::Tensor total = at::zeros({}, at::TensorOptions().dtype(at::kDouble).device(device));
  at::Tensor kl = at::zeros({}, total.options());
  int64_t targets = 0;
  for (size_t first = 0; first < examples.size(); first += static_cast<size_t>(batch_size)) {
    std::vector<const Example*> batch;
    for (size_t i = first; i < std::min(examples.size(), first + static_cast<size_t>(batch_size)); ++i)
      batch.push_back(&examples[i]);
    const Batch b = make_batch(batch, device);
    AutocastScope autocast(device, precision);
    const BatchLoss l = batch_loss(m, b, device, loss);
    total += l.cross_entropy.to(at::kDouble);
    if (l.kl.defined()) kl += l.kl.to(at::kDouble);
    targets += b.target_tokens;
  }
  const double n = static_cast<double>(std::max<int64_t>(1, targets));
  report::Evaluation e;
  e.val_loss = total.item<double>() / n;
  if (loss.teacher) e.val_kl = kl.item<double>() / n;
  return e;
}

// The first key whose value differs between two JSON objects (for --resume messages).
std::string first_difference(const nlohmann::json& a, const nlohmann::json& b) {
  for (const auto& [key, value] : b.items())
    if (!a.contains(key) || a.at(key) != value)
      return fmt::format("{} was {}, now {}", key, a.contains(key) ? a.at(key).dump() : "absent", value.dump());
  for (const auto& [key, value] : a.items())
    if (!b.contains(key)) return fmt::format("{} was {}, now absent", key, value.dump());
  return "";
}

// Keeps the loss-curve lines of steps <= last_step (a resumed run rewrites what followed its checkpoint).
void truncate_curve(const fs::path& path, int64_t last_step) {
  std::string kept;
  if (fs::exists(path)) {
    std::istringstream in(io::read_file(path));
    for (std::string line; std::getline(in, line);) {
      const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
      if (!j.is_discarded() && j.is_object() && j.value("step", int64_t{1} << 62) <= last_step) kept += line + "\n";
    }
  }
  io::write_file_atomic(path, kept);
}

// --lora-rank: where the adapters go (docs/train.md, LoRA) and the frozen base they are the difference to.
fs::path adapter_dir(const fs::path& out) { return out / "adapter"; }

struct Checkpointer {
  fs::path dir;
  model::CausalLm& model;
  AdamW& optimizer;
  LossScaler& scaler;
  nlohmann::json identity;
  const TrainConfig& c;
  int64_t adapter_bytes = 0;  // of the last adapter saved
  void save(int64_t step, int64_t consumed) {
    if (c.lora) {
      adapter_bytes = model::save_lora(model, *c.lora, adapter_dir(dir), c.model.flags.model_dir);
    } else {
      model::save_model(model, dir);
    }
    TrainState state;
    state.step = step;
    state.examples_consumed = consumed;
    state.identity = identity;
    state.tensors = optimizer.state();
    state.tensors["scaler.scale"] = scaler.scale().reshape({1});
    state.tensors["scaler.growth_tracker"] = scaler.growth_tracker().to(at::kFloat).reshape({1});
    save_train_state(dir, state);  // train_state.json last: it names a complete checkpoint
  }
};

// The steps this invocation runs, and which of them --profile profiles.
struct StepRange {
  int64_t first = 0, last = 0;                  // steps [first, last) of this invocation
  int64_t profile_first = 0, profile_end = 0;   // the first --profile-steps after the --timing-skip steps
};

// --resume: the saved state, checked against this invocation's settings (empty without --resume).
TrainState resume_state(const TrainConfig& c, const fs::path& out) {
  if (!c.resume) return {};
  TrainState resumed = load_train_state(out);
  const std::string diff = first_difference(resumed.identity, resume_identity(c));
  if (!diff.empty())
    throw UsageError(fmt::format("--resume: {} was trained with other settings ({}); use the same flags", out.string(), diff));
  GPTBENCH_CHECK(resumed.step < c.stop_at.value_or(c.steps), "--resume: {} is already at step {} (--steps {})",
                 out.string(), resumed.step, c.steps);
  return resumed;
}

StepRange step_range(const TrainConfig& c, const TrainState& resumed, bool profiling) {
  StepRange r;
  r.first = resumed.step;
  r.last = c.stop_at.value_or(c.steps);
  r.profile_first = r.first + c.timing_skip;
  r.profile_end = std::min(r.profile_first + c.profile_steps, r.last);
  if (profiling && r.profile_first >= r.last)
    throw UsageError(fmt::format("--profile: no step left to profile: --timing-skip {} skips all {} steps of this run",
                                 c.timing_skip, r.last - r.first));
  return r;
}

// The model to train: the checkpoint's config with the trained variant recorded, and the loss.
struct ModelSetup {
  fs::path weights_dir;
  std::shared_ptr<model::ModelConfig> config;  // the family's config
  attention::AttentionSpec spec;  // the flags' spec with the options the checkpoint records (with_recorded_options)
  int64_t seq_len = 0;
  LossSettings loss;
  std::string loss_impl;  // the report's training.loss_impl
};

ModelSetup check_model_setup(const TrainConfig& c, const attention::AttentionSpec& spec, Precision precision,
                             c10::Device device, const fs::path& out) {
  ModelSetup s;
  // LoRA resumes from the base (--model) plus the adapters in --out; full training from --out.
  s.weights_dir = c.resume && !c.lora ? out : fs::path(c.model.flags.model_dir);
  s.config = model::read_model_config(s.weights_dir / "config.json");
  s.spec = model::with_recorded_options(*s.config, spec, (s.weights_dir / "config.json").string());
  const model::ModelShape shape = s.config->shape();
  const std::string variant = attention::variant_name(spec);
  const std::string& trained = s.config->trained_variant;
  if (!c.resume && !trained.empty() && trained != variant && !c.allow_variant_change)
    throw UsageError(fmt::format("--variant {}: {} was trained with variant {} (add --allow-variant-change to train it "
                                 "under another variant)", variant, s.weights_dir.string(), trained));
  s.seq_len = c.seq_len > 0 ? c.seq_len : shape.max_positions;
  if (s.seq_len > shape.max_positions)
    throw UsageError(fmt::format("--seq-len {} does not fit the model's context ({} {})", s.seq_len,
                                 shape.max_positions_key, shape.max_positions));
  const c10::ScalarType compute = precision == Precision::kBf16   ? at::kBFloat16
                                  : precision == Precision::kFp16 ? at::kHalf
                                                                  : at::kFloat;
  model::check_attention_supported(shape, s.spec, compute, device);
  s.loss.impl = c.loss;
  s.loss.fused.compute_dtype = compute;
  s.loss.fused.chunk_rows = c.loss_chunk_rows;
  if (s.loss.impl == LossImpl::kFused && device.is_cuda() && !kernels::classifier_kernel_compiled())
    throw UsageError("--loss fused needs the CUDA classifier kernel, which this build lacks (configured without "
                     "nvcc); use --loss reference");
  s.loss_impl = s.loss.impl == LossImpl::kFused ? fused_lm_loss_name(s.loss.fused, device)
                                                : "reference:fp32-logits+log_softmax+nll_loss(autograd)";
  s.config->trained_variant = variant;
  s.config->trained_options = attention::recorded_options(s.spec.learned);
  return s;
}

// --distill-from: the teacher in bf16 on CUDA (fp32 on the CPU), eval mode, under --distill-variant
// (default: the variant it was trained with, else sdpa). Its vocabulary must be the student's.
std::optional<Teacher> load_teacher(const TrainConfig& c, const model::ModelShape& student, c10::Device device) {
  if (!c.distill) return std::nullopt;
  const DistillConfig& d = *c.distill;
  const fs::path dir = d.teacher_dir;
  if (!fs::is_regular_file(dir / "config.json"))
    throw UsageError(fmt::format("--distill-from {}: no config.json there (a checkpoint folder is expected)", d.teacher_dir));
  const std::unique_ptr<model::ModelConfig> config = model::read_model_config(dir / "config.json");
  const model::ModelShape& shape = config->shape();
  if (shape.vocab_size != student.vocab_size)
    throw UsageError(fmt::format("--distill-from {}: the teacher's vocabulary has {} tokens, the student's {}: "
                                 "distillation needs the same tokenizer", d.teacher_dir, shape.vocab_size,
                                 student.vocab_size));
  const std::string variant = !d.variant.empty()                 ? d.variant
                              : !config->trained_variant.empty() ? config->trained_variant
                                                                 : std::string("sdpa");
  attention::AttentionSpec spec;
  try {
    spec = attention::parse_variant(variant);
  } catch (const UsageError& e) {
    const std::string message = e.what();  // "--variant x: ...": the same rule, another flag
    throw UsageError(message.rfind("--variant", 0) == 0 ? "--distill-variant" + message.substr(9) : message);
  }
  const c10::ScalarType dtype = device.is_cuda() ? at::kBFloat16 : at::kFloat;
  model::check_attention_supported(shape, spec, dtype, device);
  Teacher t;
  t.model = model::load_model(dir, spec, dtype, device).model;
  t.model->eval();
  for (const at::Tensor& p : t.model->parameters()) p.set_requires_grad(false);
  t.dir = d.teacher_dir;
  t.variant = attention::variant_name(spec);
  t.options = {d.temperature, d.alpha};
  return t;
}

// Weights: fp32 master copy. Loaded under the standard kernel (flash refuses fp32 weights; it
// runs on autocast's bf16/fp16 activations), then moved into the model of the trained variant.
// --lora-rank: the base frozen (and quantized under --quant: QLoRA), its projections held in the
// compute dtype under bf16/fp16 (model/frozen_projections.h: what autocast would cast them to, bit for
// bit), then adapters attached fresh from --seed (fp32) or, on --resume, read back from --out's adapter
// folder.
std::shared_ptr<model::CausalLm> load_trainable_model(const TrainConfig& c, const ModelSetup& s,
                                                      const attention::AttentionSpec& spec, c10::Device device) {
  attention::AttentionSpec load_spec = spec;
  load_spec.kernel = attention::Kernel::kStandard;
  model::LoadedModel loaded = model::load_model(s.weights_dir, load_spec, at::kFloat, device);
  std::shared_ptr<model::CausalLm> m = model::build_model(*s.config, spec);  // the config names the trained variant
  m->to(device, at::kFloat);
  model::copy_parameters(*loaded.model, *m);
  m->train();
  if (!c.lora) return m;
  for (const at::Tensor& p : m->parameters()) p.set_requires_grad(false);
  if (c.model.quant.spec) model::quantize_model(*m, *c.model.quant.spec, c.model.quant.lm_head);
  model::hold_frozen_projections_in(*m, s.loss.fused.compute_dtype);  // fp32 (CPU, --precision fp32): no change
  if (c.resume) {
    model::load_lora(*m, adapter_dir(c.out_dir), model::LoraApply::kUnmerged);
  } else {
    model::attach_lora(*m, *c.lora, c.seed);
  }
  return m;
}

// --lora-dropout: the default generator of the device reseeded from (--seed, step) before each step, so
// that a resumed run draws the masks a straight one does (nothing else in training draws from it).
void seed_dropout(c10::Device device, uint64_t seed, int64_t step) {
  at::Generator gen = at::globalContext().defaultGenerator(device);
  const std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_current_seed(seed * 1000003ULL + static_cast<uint64_t>(step));
}

// The optimised parameters. Those the forward does not read under the variant (GPT-2's wpe under
// ALiBi: CausalLm::unused_parameters) are frozen, kept in the checkpoint unchanged.
std::vector<NamedParameter> trained_parameters(model::CausalLm& m, bool lora) {
  std::vector<NamedParameter> params;
  if (lora) {  // only the adapters (the base was frozen when it loaded)
    for (const auto& [name, p] : model::lora_parameters(m)) params.push_back({name, p});
    return params;
  }
  const std::vector<std::string> unused = m.unused_parameters();
  for (const auto& item : m.named_parameters(/*recurse=*/true)) {
    at::Tensor p = item.value();
    if (std::find(unused.begin(), unused.end(), item.key()) != unused.end()) {
      p.set_requires_grad(false);
      continue;
    }
    params.push_back({item.key(), p});
  }
  return params;
}

void restore_optimizer(const TrainState& resumed, const fs::path& out, c10::Device device, AdamW& optimizer,
                       LossScaler& scaler) {
  const std::string source = (out / "train_state.safetensors").string();
  optimizer.load_state(resumed.tensors, source);
  GPTBENCH_CHECK(resumed.tensors.count("scaler.scale") && resumed.tensors.count("scaler.growth_tracker"),
                 "{}: loss-scaler state missing", source);
  scaler.load(resumed.tensors.at("scaler.scale").to(device),
              resumed.tensors.at("scaler.growth_tracker").to(device, at::kInt));
}

// What the loop measured, for the report.
struct LoopResults {
  int64_t step = 0, consumed = 0;  // the step reached, examples consumed
  std::vector<double> step_ms;     // timed steps (after --timing-skip)
  int64_t timed_tokens = 0, timed_samples = 0;
  double timed_ms = 0, last_loss = 0;
  std::optional<double> last_cross_entropy, last_kl;  // distillation
  std::vector<report::Evaluation> evaluations;
  std::string forward_kernel;
  std::optional<bench::ProfileSummary> profile;
};

// The optimizer steps, with the loss curve (read back from the device every --log-interval
// steps), evaluations, checkpoints and the --profile window.
class TrainLoop {
 public:
  struct Parts {
    const TrainConfig& c;
    model::CausalLm& m;
    const TrainData& data;
    AdamW& optimizer;
    LossScaler& scaler;
    Checkpointer& checkpointer;
    const LossSettings& loss;
    Precision precision;
    c10::Device device;
    const StepRange& steps;
    int64_t seq_len;  // the static batch length of --cuda-graph
    std::optional<bench::Profiler>& profiler;
    bench::ProgressReporter& progress;  // the step lines (quiet: none)
  };

  TrainLoop(Parts parts, std::ofstream& curve, int64_t consumed)
      : p_(parts), curve_(curve), timer_(parts.device), order_(static_cast<int64_t>(parts.data.train.size()), parts.c.seed) {
    r_.step = p_.steps.first;
    r_.consumed = consumed;
    if (p_.c.cuda_graph) graph_ = std::make_unique<StepGraph>(p_.device, p_.c.batch_size, p_.seq_len);
  }

  LoopResults run() {
    const TrainConfig& c = p_.c;
    const LrSchedule schedule{c.lr, c.min_lr_ratio, c.warmup_steps, c.steps};
    bench::synchronize_device(p_.device);
    bench::reset_peak_memory(p_.device);
    wall0_ = Clock::now();
    p_.progress.start(p_.steps.last - p_.steps.first);
    for (; r_.step < p_.steps.last; ++r_.step) {
      if (p_.profiler && r_.step == p_.steps.profile_first) p_.profiler->start();
      timer_.mark();
      step(learning_rate(schedule, r_.step));
      const int64_t done = r_.step + 1;
      if (done % c.log_interval == 0 || done == p_.steps.last) flush();
      if ((c.eval_interval > 0 && done % c.eval_interval == 0 && done != c.steps) || done == c.steps) {
        if (!pending_.empty()) flush();
        evaluate_at(done);
      }
      if (c.save_interval > 0 && done % c.save_interval == 0 && done != p_.steps.last)
        p_.checkpointer.save(done, r_.consumed);
    }
    return std::move(r_);
  }

 private:
  struct Pending {
    int64_t step;
    double lr;
    int64_t tokens, targets, samples;
    at::Tensor loss, grad_norm;
    at::Tensor cross_entropy, kl;  // distillation's parts (means per counted target)
  };

  // One optimizer step over --grad-accum micro-batches, timed between device-event marks.
  void step(double lr) {
    const TrainConfig& c = p_.c;
    if (c.lora && c.lora->dropout > 0) seed_dropout(p_.device, c.seed, r_.step);
    std::vector<Batch> micro;
    int64_t step_targets = 0, step_tokens = 0;
    for (int64_t a = 0; a < c.grad_accum; ++a) {
      std::vector<const Example*> examples;
      for (int64_t i = 0; i < c.batch_size; ++i) examples.push_back(&p_.data.train[order_.at(r_.consumed++)]);
      micro.push_back(make_batch(examples, p_.device));
      step_targets += micro.back().target_tokens;
      step_tokens += micro.back().input_tokens;
    }
    const double denominator = static_cast<double>(std::max<int64_t>(1, step_targets));
    const auto f32 = at::TensorOptions().dtype(at::kFloat).device(p_.device);
    at::Tensor step_loss = at::zeros({}, f32), step_ce = at::zeros({}, f32), step_kl = at::zeros({}, f32);
    at::Tensor grad_norm;
    if (graph_) {
      const StepOutputs out = graph_step(micro.front(), denominator, lr);
      step_loss = out.loss;
      grad_norm = out.grad_norm;
    } else {
      grad_norm = eager_step(micro, denominator, lr, step_loss, step_ce, step_kl);
    }
    if (r_.forward_kernel.empty()) r_.forward_kernel = p_.m.last_kernel();
    timer_.mark();
    if (p_.profiler && r_.step + 1 == p_.steps.profile_end) {
      r_.profile = p_.profiler->stop();
      if (!c.quiet) fmt::print(stderr, "{}", bench::format_profile_table(*r_.profile, bench::kProfileTableRows));
    }
    pending_.push_back(
        {r_.step, lr, step_tokens, step_targets, c.batch_size * c.grad_accum, step_loss, grad_norm, step_ce, step_kl});
  }

  // The eager step's device work: each micro-batch's forward and backward (the losses summed into
  // step_loss, and the distillation parts into step_ce and step_kl), then clipping, AdamW, the loss scaler.
  // Returns the gradient norm before clipping.
  at::Tensor eager_step(const std::vector<Batch>& micro, double denominator, double lr, at::Tensor& step_loss,
                        at::Tensor& step_ce, at::Tensor& step_kl) {
    for (const Batch& b : micro) {
      at::Tensor loss;
      BatchLoss parts;
      {
        AutocastScope autocast(p_.device, p_.precision);
        // the step's mean over all its counted targets
        parts = batch_loss(p_.m, b, p_.device, p_.loss);
        loss = parts.loss / denominator;
      }
      (p_.scaler.enabled() ? loss * p_.scaler.scale() : loss).backward();
      step_loss += loss.detach().to(at::kFloat);
      if (parts.kl.defined()) {
        step_ce += (parts.cross_entropy / denominator).to(at::kFloat);
        step_kl += (parts.kl / denominator).to(at::kFloat);
      }
    }
    const at::Tensor found_inf = p_.scaler.enabled() ? p_.scaler.unscale(p_.optimizer.grads()) : at::Tensor();
    const at::Tensor grad_norm = p_.optimizer.clip_grad_norm(p_.c.grad_clip);
    p_.optimizer.step(lr, found_inf);
    if (p_.scaler.enabled()) p_.scaler.update(found_inf);
    p_.optimizer.zero_grad();
    return grad_norm;
  }

  // --cuda-graph: the step through the captured graph. The first runs eagerly on the capture stream and is
  // then captured; the later ones replay it. The gradients stay the graph's buffers (no zero_grad).
  StepOutputs graph_step(const Batch& b, double denominator, double lr) {
    graph_->load(b, denominator, lr);
    if (graph_->captured()) return graph_->replay();
    return graph_->warm_up_and_capture([this] { return graph_body(); }, [this] { p_.optimizer.zero_grad(); });
  }

  // What the graph captures: eager_step's device work for one micro-batch, with the batch, the denominator
  // and the learning rate read from the graph's buffers (no dropout, teacher or loss scaler: validate()).
  StepOutputs graph_body() {
    at::Tensor loss;
    {
      AutocastScope autocast(p_.device, p_.precision);
      loss = batch_loss(p_.m, graph_->batch(), p_.device, p_.loss).loss / graph_->denominator();
    }
    loss.backward();
    StepOutputs out{loss.detach().to(at::kFloat), p_.optimizer.clip_grad_norm(p_.c.grad_clip)};
    p_.optimizer.step(graph_->lr());
    return out;
  }

  // The pending steps' losses to the host and the loss curve (the loop's only synchronisation).
  void flush() {
    timer_.synchronize();
    std::vector<at::Tensor> losses, norms;
    for (const auto& p : pending_) {
      losses.push_back(at::stack({p.loss, p.cross_entropy, p.kl}));
      norms.push_back(p.grad_norm);
    }
    const at::Tensor loss_host = at::stack(losses).to(at::kCPU, at::kDouble).contiguous();  // (n, 3)
    const at::Tensor norm_host = at::stack(norms).to(at::kCPU, at::kDouble).reshape({-1}).contiguous();
    for (size_t i = 0; i < pending_.size(); ++i) {
      const Pending& p = pending_[i];
      const double ms = timer_.elapsed_ms(static_cast<int>(2 * i), static_cast<int>(2 * i + 1));
      const at::Tensor row = loss_host[static_cast<int64_t>(i)];
      r_.last_loss = row[0].item<double>();
      nlohmann::json line{{"type", "train"},
                          {"step", p.step + 1},
                          {"loss", r_.last_loss},
                          {"lr", p.lr},
                          {"grad_norm", norm_host[static_cast<int64_t>(i)].item<double>()},
                          {"tokens", p.tokens},
                          {"target_tokens", p.targets},
                          {"step_ms", ms}};
      if (p_.loss.teacher) {  // the objective's parts: the KL curve beside the loss curve
        r_.last_cross_entropy = row[1].item<double>();
        r_.last_kl = row[2].item<double>();
        line["cross_entropy"] = *r_.last_cross_entropy;
        line["kl"] = *r_.last_kl;
      }
      curve_ << line.dump() << "\n";
      if (p.step - p_.steps.first >= p_.c.timing_skip) {
        r_.step_ms.push_back(ms);
        r_.timed_ms += ms;
        r_.timed_tokens += p.tokens;
        r_.timed_samples += p.samples;
      }
    }
    curve_.flush();
    if (!pending_.empty()) {
      const Pending& p = pending_.back();
      p_.progress.announce(fmt::format("step {}/{}  loss {:.4f}  lr {:.3g}  {:.1f} s", p.step + 1, p_.c.steps,
                                       r_.last_loss, p.lr, std::chrono::duration<double>(Clock::now() - wall0_).count()));
      p_.progress.update(p.step + 1 - p_.steps.first);
    }
    pending_.clear();
    timer_.clear();
  }

  void evaluate_at(int64_t at_step) {
    p_.m.eval();
    report::Evaluation e = evaluate(p_.m, p_.data.validation, p_.c.batch_size, p_.device, p_.precision, p_.loss);
    p_.m.train();
    e.step = at_step;
    nlohmann::json line{{"type", "eval"}, {"step", at_step}, {"val_loss", e.val_loss}};
    if (e.val_kl) line["val_kl"] = *e.val_kl;
    curve_ << line.dump() << "\n";
    curve_.flush();
    r_.evaluations.push_back(e);
    p_.progress.announce(fmt::format("step {}  validation loss {:.4f}{}", at_step, e.val_loss,
                                     e.val_kl ? fmt::format("  KL to the teacher {:.4f}", *e.val_kl) : ""));
  }

  Parts p_;
  std::ofstream& curve_;
  bench::DeviceTimer timer_;
  ExampleOrder order_;
  std::vector<Pending> pending_;
  LoopResults r_;
  Clock::time_point wall0_;
  std::unique_ptr<StepGraph> graph_;  // --cuda-graph
};

int64_t parameter_count(const model::CausalLm& m) {
  int64_t n = 0;
  for (const at::Tensor& p : m.parameters()) n += p.numel();
  return n;
}

report::ThroughputInfo throughput(const TrainConfig& c, const LoopResults& l, const StepRange& steps) {
  const double seconds = l.timed_ms / 1000.0;
  report::ThroughputInfo t;
  t.step_ms = bench::summarize(l.step_ms);
  t.timed_steps = static_cast<int64_t>(l.step_ms.size());
  t.skipped_steps = std::min<int64_t>(c.timing_skip, l.step - steps.first);
  t.tokens_per_s = seconds > 0 ? static_cast<double>(l.timed_tokens) / seconds : 0.0;
  t.samples_per_s = seconds > 0 ? static_cast<double>(l.timed_samples) / seconds : 0.0;
  t.mean_sequence_tokens =
      l.timed_samples > 0 ? static_cast<double>(l.timed_tokens) / static_cast<double>(l.timed_samples) : 0.0;
  t.tokens_counted = "real (non-padding) input positions";
  return t;
}

report::MfuInfo mfu(const TrainConfig& c, const model::ModelShape& shape, const attention::AttentionSpec& spec,
                    Precision precision, const report::ThroughputInfo& t, const nlohmann::json& env) {
  const double fpt = flops_per_token(shape, spec, t.mean_sequence_tokens);
  const PeakFlops peak = peak_flops(env.value("gpu", std::string("cpu")), precision, c.peak_tflops);
  report::MfuInfo m;
  m.formula = "6*N + 12*L*C*T_attn FLOPs per token (N without lookup-only tables: wpe, an untied input embedding; "
              "C = n_head * head_dim; T_attn = T, or min(T, W) for a window)";
  m.flops_per_token = fpt;
  m.model_flops_per_s = fpt * t.tokens_per_s;
  m.peak_flops_per_s = peak.flops;
  m.peak_source = peak.source;
  if (peak.flops) m.mfu = fpt * t.tokens_per_s / *peak.flops;
  return m;
}

// --eval-rouge N: `gptbench run`'s quality on N validation samples of the saved checkpoint.
report::RougeEval rouge_eval(const TrainConfig& c, Precision precision, c10::Device device, const fs::path& out) {
  run::RunConfig rc;
  rc.argv = {"(gptbench train --eval-rouge)"};
  run::ModelSelection trained = c.model.flags;  // the saved checkpoint, in the training's precision
  trained.model_dir = out.string();
  if (c.lora) {  // the base with the adapters saved; unmerged on a quantized base
    trained.model_dir = c.model.flags.model_dir;
    trained.adapter = adapter_dir(out).string();
    trained.adapter_unmerged = c.model.quant.spec.has_value();
  }
  trained.dtype = precision_name(precision);
  trained.device = device.str();
  rc.model = run::resolve_selection(trained);
  rc.dataset = parse_enum(run::kDatasetNames, "--dataset", enum_name(kTrainDatasetNames, c.dataset));
  rc.data_path = c.data_path;
  rc.split = data::Split::kValidation;
  rc.limit = c.eval_rouge;
  rc.split_seed = c.split_seed;
  rc.prompt_template = c.prompt_template;
  rc.batch_size = std::min<int64_t>(16, c.eval_rouge);
  rc.quiet = true;
  const report::RunReport run_report = run::run_summarization(rc);
  return {"validation", c.eval_rouge, std::get<report::SummarizationResults>(run_report.results).quality};
}

}  // namespace

report::TrainReport train_error_report(const TrainConfig& config, const std::string& message) {
  report::TrainReport r;
  r.header = run::report_header(to_json(config), config.model.device, report::kTrainSchemaVersion);
  r.header.config.erase("device_resolved");  // train's error report has only the flags as given
  r.status = "error";
  r.error = message;
  return r;
}

report::TrainReport run_training(const TrainConfig& c) {
  validate(c);
  const Precision precision = c.precision;
  const c10::Device device = c.model.device;
  if (precision != Precision::kFp32 && !device.is_cuda())
    throw UsageError(fmt::format("--precision {} needs a CUDA device (CPU training runs fp32)", precision_name(precision)));
  if (c.cuda_graph && !device.is_cuda())
    throw UsageError(fmt::format("--cuda-graph needs a CUDA device, got --device {}", device.str()));
  if (c.eval_rouge > 0 && c.dataset == TrainDataset::kText)
    throw UsageError("--eval-rouge needs a summarization dataset (--dataset text has no references)");
  // --profile: an unwritable trace fails here, and CUPTI is set up before any CUDA work.
  std::optional<bench::Profiler> profiler;
  if (!c.profile_path.empty()) profiler.emplace(c.profile_path, device);
  const fs::path out = c.out_dir;
  std::error_code ec;
  fs::create_directories(out, ec);
  GPTBENCH_CHECK(!ec && fs::is_directory(out), "--out {}: cannot create directory: {}", out.string(), ec.message());

  const TrainState resumed = resume_state(c, out);
  const StepRange steps = step_range(c, resumed, profiler.has_value());
  ModelSetup setup = check_model_setup(c, c.model.attention, precision, device, out);
  const attention::AttentionSpec& spec = setup.spec;
  if (device.is_cuda()) at::globalContext().setAllowTF32CuBLAS(precision == Precision::kFp32);
  if (device.is_cuda() && c.deterministic) use_deterministic_cuda_algorithms();
  setup.loss.teacher = load_teacher(c, setup.config->shape(), device);  // its errors before the student loads
  bench::ProgressOptions progress_options = c.progress;
  progress_options.enabled = progress_options.enabled && !c.quiet;
  bench::ProgressReporter progress("train", "steps", progress_options);
  progress.announce(fmt::format("loading {} ({}, {})", setup.weights_dir.string(), attention::variant_name(spec),
                                device.str()));
  std::shared_ptr<model::CausalLm> m = load_trainable_model(c, setup, spec, device);

  const fs::path tokenizer_dir = !c.tokenizer_dir.empty() ? fs::path(c.tokenizer_dir) : setup.weights_dir;
  const auto tokenizer = text::load_tokenizer(tokenizer_dir);
  if (fs::weakly_canonical(tokenizer_dir) != fs::weakly_canonical(out)) model::copy_tokenizer_files(tokenizer_dir, out);
  const auto t0 = Clock::now();
  const TrainData data = load_train_data(c, *tokenizer, setup.seq_len, static_cast<int32_t>(setup.config->shape().eos_token_id));
  const double data_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();

  AdamW optimizer(trained_parameters(*m, c.lora.has_value()), {c.beta1, c.beta2, c.eps, c.weight_decay});
  LossScaler scaler(device, precision == Precision::kFp16);
  if (c.resume) restore_optimizer(resumed, out, device, optimizer, scaler);
  Checkpointer checkpointer{out, *m, optimizer, scaler, resume_identity(c), c};

  const fs::path curve_path = out / "loss_curve.jsonl";
  truncate_curve(curve_path, c.resume ? resumed.step : -1);
  std::ofstream curve(curve_path, std::ios::app);
  GPTBENCH_CHECK(curve.good(), "{}: cannot open for appending", curve_path.string());
  TrainLoop loop({c, *m, data, optimizer, scaler, checkpointer, setup.loss, precision, device, steps, setup.seq_len,
                  profiler, progress},
                 curve,
                 resumed.examples_consumed);
  const LoopResults done = loop.run();
  const bench::MemoryPeaks peaks = bench::read_peak_memory(device);
  checkpointer.save(done.step, done.consumed);
  curve.close();

  report::TrainReport r;
  r.header = run::report_header(to_json(c), device, report::kTrainSchemaVersion);
  report::TrainResults& t = r.results.emplace();
  const bool flash = spec.kernel == attention::Kernel::kFlash;
  t.attention = run::attention_info(spec, done.forward_kernel);
  t.attention.backward = flash ? attention::last_flash_backward_kernel() : "autograd:" + done.forward_kernel;
  // LoRA: every base parameter is frozen (a quantized weight is no parameter, so the shape counts them).
  const int64_t frozen = c.lora ? setup.config->shape().parameter_count : parameter_count(*m) - optimizer.parameter_count();
  t.model = {run::model_info(setup.config->shape()), optimizer.parameter_count(), optimizer.decayed_parameter_count(),
             frozen, c.resume && !c.lora ? out.string() : c.model.flags.model_dir};
  t.dataset = data.description;
  t.dataset["load_ms"] = data_ms;
  t.dataset["seq_len"] = setup.seq_len;
  t.training = {steps.first, done.step, c.steps, done.consumed,
                static_cast<double>(done.consumed) / static_cast<double>(data.train.size()), done.last_loss,
                done.evaluations, curve_path.string(), precision_name(precision), setup.loss_impl,
                device.is_cuda() && precision == Precision::kFp32, !device.is_cuda() || c.deterministic,
                c.lora ? "AdamW (at::_fused_adamw_) over the LoRA A and B matrices only, --weight-decay on both (it "
                         "pulls the update B*A toward 0, i.e. toward the base)"
                       : "AdamW (at::_fused_adamw_), decay on 2-D weight tensors, none on biases, LayerNorm and maskmix "
                         "logits",
                scaler.enabled() ? std::optional<double>(scaler.scale().item<double>()) : std::nullopt,
                training_mode(c)};
  if (const std::optional<Teacher>& teacher = setup.loss.teacher) {
    t.distill = report::DistillInfo{teacher->dir, teacher->variant, teacher->model->last_kernel(),
                                    teacher->options.temperature, teacher->options.alpha,
                                    "alpha*T^2*KL(softmax(teacher/T) || softmax(student/T)) + (1-alpha)*CE, per "
                                    "counted target; loss_curve.jsonl: cross_entropy and kl (without T^2) per step, "
                                    "val_kl per evaluation",
                                    done.last_kl, done.last_cross_entropy};
  }
  if (c.lora) {
    const std::vector<std::string> targets = model::lora_peft_targets(*m, c.lora->targets);
    std::string joined;
    for (const std::string& x : targets) joined += (joined.empty() ? "" : ",") + x;
    t.lora = report::LoraInfo{c.lora->rank,
                              c.lora->alpha,
                              c.lora->dropout,
                              joined,
                              static_cast<int64_t>(model::lora_sites(*m, c.lora->targets, "--lora-targets").size()),
                              model::lora_parameter_count(*m),
                              checkpointer.adapter_bytes,
                              adapter_dir(out).string(),
                              c.model.flags.model_dir,
                              c.model.quant.spec ? c.model.flags.quant : std::nullopt,
                              precision_name(precision)};
  }
  t.throughput = throughput(c, done, steps);
  t.mfu = mfu(c, setup.config->shape(), spec, precision, t.throughput, r.header.env);
  t.memory = {peaks.peak_allocated, peaks.peak_reserved, std::nullopt, std::nullopt, std::nullopt, device.is_cuda()};
  t.checkpoint = {out.string(), done.step};
  if (done.profile) {
    // Profiled steps ran under the profiler: their step_ms include its overhead.
    t.profile = bench::to_json(*done.profile);
    t.profile["steps"] = {{"first", steps.profile_first + 1}, {"last", steps.profile_end}};  // loss-curve step numbers
  }
  if (c.eval_rouge > 0) {
    m.reset();  // frees the training copy before the benchmark loads the checkpoint
    t.rouge_eval = rouge_eval(c, precision, device, out);
  }
  return r;
}

}  // namespace gptbench::train
