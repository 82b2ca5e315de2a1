// The training loop behind `gptbench train` (trainer.h).
#include "gptbench/train/trainer.h"

#include <ATen/Context.h>                    // at::globalContext (TF32, deterministic algorithms)
#include <ATen/TensorOperators.h>            // Tensor operators
#include <ATen/ops/_log_softmax.h>           // at::_log_softmax
#include <ATen/ops/nll_loss.h>               // at::nll_loss
#include <ATen/ops/stack.h>                  // at::stack
#include <ATen/ops/zeros.h>                  // at::zeros
#include <c10/core/GradMode.h>               // c10::NoGradGuard
#include <fmt/format.h>                      // fmt::format, fmt::print
#include <torch/csrc/autograd/autograd.h>    // torch::autograd::backward

#include <algorithm>  // std::min
#include <chrono>     // std::chrono::steady_clock
#include <cstdio>     // stderr
#include <cstdlib>    // setenv
#include <fstream>    // std::ofstream, std::ifstream
#include <optional>   // std::optional
#include <sstream>    // std::istringstream

#include "../attention/flash_autograd.h"    // last_flash_backward_kernel
#include "autocast_scope.h"                 // AutocastScope
#include "gptbench/attention/variant.h"     // variant_name
#include "gptbench/bench/device_memory.h"   // reset_peak_memory, read_peak_memory
#include "gptbench/bench/device_timer.h"    // DeviceTimer
#include "gptbench/bench/environment.h"     // tool_json, environment_json
#include "gptbench/bench/profile_summary.h" // ProfileSummary, to_json, format_profile_table
#include "gptbench/bench/profiler.h"        // Profiler
#include "gptbench/bench/stats.h"           // summarize, to_json
#include "gptbench/io/atomic_file.h"        // write_file_atomic, read_file
#include "gptbench/kernels/classifier_op.h" // classifier_kernel_compiled
#include "gptbench/model/checkpoint.h"      // load_model, save_model, copy_parameters, copy_tokenizer_files
#include "gptbench/run/summarization.h"     // run_summarization
#include "gptbench/text/gpt2_tokenizer.h"   // Gpt2Tokenizer
#include "gptbench/train/adamw.h"           // AdamW, LossScaler
#include "gptbench/train/flops.h"           // flops_per_token, peak_flops
#include "gptbench/train/fused_lm_loss.h"   // fused_lm_loss, fused_lm_loss_name
#include "gptbench/train/lr_schedule.h"     // learning_rate
#include "gptbench/train/train_data.h"      // load_train_data, ExampleOrder, make_batch
#include "gptbench/train/train_state.h"     // save_train_state, load_train_state
#include "gptbench/util/check.h"            // GPTBENCH_CHECK
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

struct LossSettings {
  LossImpl impl = LossImpl::kFused;
  FusedLmLossOptions fused;
};

// The batch's summed next-token NLL over its counted targets (fp32, 0-dim), the model's forward
// included: the fused loss takes ln_f's hidden states and applies the tied lm_head itself in chunks.
// Differentiable under grad mode; loss only under NoGradGuard. Call it inside the AutocastScope.
at::Tensor batch_nll_sum(model::Gpt2Model& m, const Batch& b, c10::Device device, const LossSettings& loss) {
  const attention::AttentionPositions positions = training_positions(b.ids.size(0), device);
  if (loss.impl == LossImpl::kReference)
    return nll_sum(m->forward(b.ids, positions, nullptr, model::LogitsMode::kAllPositions), b.targets);
  const at::Tensor hidden = m->forward(b.ids, positions, nullptr, model::LogitsMode::kHidden);  // (B, T, C)
  return fused_lm_loss(hidden, m->wte->weight, b.targets, loss.fused);
}

double evaluate(model::Gpt2Model& m, const std::vector<Example>& examples, int64_t batch_size, c10::Device device,
                Precision precision, const LossSettings& loss) {
  c10::NoGradGuard no_grad;
  at::Tensor total = at::zeros({}, at::TensorOptions().dtype(at::kDouble).device(device));
  int64_t targets = 0;
  for (size_t first = 0; first < examples.size(); first += static_cast<size_t>(batch_size)) {
    std::vector<const Example*> batch;
    for (size_t i = first; i < std::min(examples.size(), first + static_cast<size_t>(batch_size)); ++i)
      batch.push_back(&examples[i]);
    const Batch b = make_batch(batch, device);
    AutocastScope autocast(device, precision);
    total += batch_nll_sum(m, b, device, loss).to(at::kDouble);
    targets += b.target_tokens;
  }
  return total.item<double>() / static_cast<double>(std::max<int64_t>(1, targets));
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

struct Checkpointer {
  fs::path dir;
  model::Gpt2Model& model;
  AdamW& optimizer;
  LossScaler& scaler;
  nlohmann::json identity;
  void save(int64_t step, int64_t consumed) {
    model::save_model(model, dir);
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

}  // namespace

nlohmann::json train_error_report(const TrainConfig& config, const std::string& message) {
  nlohmann::json r = {{"schema_version", kTrainSchemaVersion},
                      {"tool", bench::tool_json()},
                      {"env", bench::environment_json(config.model.device)},
                      {"config", to_json(config)}};
  r["status"] = "error";
  r["error"] = message;
  return r;
}

nlohmann::json run_training(const TrainConfig& c) {
  validate(c);
  const Precision precision = c.precision;
  const attention::AttentionSpec& spec = c.model.attention;
  const c10::Device device = c.model.device;
  if (precision != Precision::kFp32 && !device.is_cuda())
    throw UsageError(fmt::format("--precision {} needs a CUDA device (CPU training runs fp32)", precision_name(precision)));
  if (c.eval_rouge > 0 && c.dataset == "text")
    throw UsageError("--eval-rouge needs a summarization dataset (--dataset text has no references)");
  // --profile: an unwritable trace fails here, and CUPTI is set up before any CUDA work.
  std::optional<bench::Profiler> profiler;
  if (!c.profile_path.empty()) profiler.emplace(c.profile_path, device);
  const fs::path out = c.out_dir;
  std::error_code ec;
  fs::create_directories(out, ec);
  GPTBENCH_CHECK(!ec && fs::is_directory(out), "--out {}: cannot create directory: {}", out.string(), ec.message());

  TrainState resumed;
  if (c.resume) {
    resumed = load_train_state(out);
    const std::string diff = first_difference(resumed.identity, resume_identity(c));
    if (!diff.empty())
      throw UsageError(fmt::format("--resume: {} was trained with other settings ({}); use the same flags", out.string(), diff));
    GPTBENCH_CHECK(resumed.step < c.stop_at.value_or(c.steps), "--resume: {} is already at step {} (--steps {})",
                   out.string(), resumed.step, c.steps);
  }
  // The profiled steps: the first --profile-steps after the --timing-skip steps of this invocation.
  const int64_t first_step = resumed.step, last_step = c.stop_at.value_or(c.steps);
  const int64_t profile_first = first_step + c.timing_skip;
  const int64_t profile_end = std::min(profile_first + c.profile_steps, last_step);
  if (profiler && profile_first >= last_step)
    throw UsageError(fmt::format("--profile: no step left to profile: --timing-skip {} skips all {} steps of this run",
                                 c.timing_skip, last_step - first_step));
  const fs::path weights_dir = c.resume ? out : fs::path(c.model.flags.model_dir);
  model::Gpt2Config config = model::read_config_json(weights_dir / "config.json");
  const std::string variant = attention::variant_name(spec);
  if (!c.resume && !config.trained_variant.empty() && config.trained_variant != variant && !c.allow_variant_change)
    throw UsageError(fmt::format("--variant {}: {} was trained with variant {} (add --allow-variant-change to train it "
                                 "under another variant)", variant, weights_dir.string(), config.trained_variant));
  const int64_t seq_len = c.seq_len > 0 ? c.seq_len : config.n_positions;
  if (seq_len > config.n_positions)
    throw UsageError(fmt::format("--seq-len {} does not fit the model's context (n_positions {})", seq_len,
                                 config.n_positions));
  const c10::ScalarType compute = precision == Precision::kBf16   ? at::kBFloat16
                                  : precision == Precision::kFp16 ? at::kHalf
                                                                  : at::kFloat;
  attention::check_supported(spec, config.n_head, config.head_dim(), compute, device);
  LossSettings loss_settings;
  loss_settings.impl = c.loss;
  loss_settings.fused.compute_dtype = compute;
  loss_settings.fused.chunk_rows = c.loss_chunk_rows;
  if (loss_settings.impl == LossImpl::kFused && device.is_cuda() && !kernels::classifier_kernel_compiled())
    throw UsageError("--loss fused needs the CUDA classifier kernel, which this build lacks (configured without "
                     "nvcc); use --loss reference");
  const std::string loss_impl = loss_settings.impl == LossImpl::kFused
                                    ? fused_lm_loss_name(loss_settings.fused, device)
                                    : "reference:fp32-logits+log_softmax+nll_loss(autograd)";
  if (device.is_cuda()) at::globalContext().setAllowTF32CuBLAS(precision == Precision::kFp32);
  if (device.is_cuda() && c.deterministic) use_deterministic_cuda_algorithms();

  // Weights: fp32 master copy. Loaded under the standard kernel (flash refuses fp32 weights; it
  // runs on autocast's bf16/fp16 activations), then moved into the model of the trained variant.
  attention::AttentionSpec load_spec = spec;
  load_spec.kernel = attention::Kernel::kStandard;
  model::LoadedModel loaded = model::load_model(weights_dir, load_spec, at::kFloat, device);
  config.trained_variant = variant;
  model::Gpt2Model m(config, spec);
  m->to(device, at::kFloat);
  model::copy_parameters(loaded.model, m);
  loaded.model = nullptr;
  m->train();

  const fs::path tokenizer_dir = !c.tokenizer_dir.empty() ? fs::path(c.tokenizer_dir) : weights_dir;
  const text::Gpt2Tokenizer tokenizer = text::Gpt2Tokenizer::from_dir(tokenizer_dir);
  if (fs::weakly_canonical(tokenizer_dir) != fs::weakly_canonical(out)) model::copy_tokenizer_files(tokenizer_dir, out);

  auto t0 = Clock::now();
  const TrainData data = load_train_data(c, tokenizer, seq_len, static_cast<int32_t>(config.eos_token_id));
  const double data_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();

  std::vector<NamedParameter> params;
  for (const auto& item : m->named_parameters(/*recurse=*/true)) {
    at::Tensor p = item.value();
    // wpe takes no part in the forward under ALiBi: frozen, kept in the checkpoint unchanged.
    if (item.key() == "wpe.weight" && !spec.uses_learned_positions()) {
      p.set_requires_grad(false);
      continue;
    }
    params.push_back({item.key(), p});
  }
  AdamW optimizer(params, {c.beta1, c.beta2, c.eps, c.weight_decay});
  LossScaler scaler(device, precision == Precision::kFp16);
  if (c.resume) {
    const std::string source = (out / "train_state.safetensors").string();
    optimizer.load_state(resumed.tensors, source);
    GPTBENCH_CHECK(resumed.tensors.count("scaler.scale") && resumed.tensors.count("scaler.growth_tracker"),
                   "{}: loss-scaler state missing", source);
    scaler.load(resumed.tensors.at("scaler.scale").to(device),
                resumed.tensors.at("scaler.growth_tracker").to(device, at::kInt));
  }
  Checkpointer checkpointer{out, m, optimizer, scaler, resume_identity(c)};

  const fs::path curve_path = out / "loss_curve.jsonl";
  truncate_curve(curve_path, c.resume ? resumed.step : -1);
  std::ofstream curve(curve_path, std::ios::app);
  GPTBENCH_CHECK(curve.good(), "{}: cannot open for appending", curve_path.string());

  const LrSchedule schedule{c.lr, c.min_lr_ratio, c.warmup_steps, c.steps};
  ExampleOrder order(static_cast<int64_t>(data.train.size()), c.seed);
  int64_t step = first_step, consumed = resumed.examples_consumed;
  bench::DeviceTimer timer(device);
  bench::synchronize_device(device);
  bench::reset_peak_memory(device);

  struct Pending {
    int64_t step;
    double lr;
    int64_t tokens, targets, samples;
    at::Tensor loss, grad_norm;
  };
  std::vector<Pending> pending;
  std::vector<double> step_ms;
  int64_t timed_tokens = 0, timed_samples = 0;
  double timed_ms = 0, last_loss = 0;
  nlohmann::json evals = nlohmann::json::array();
  std::string forward_kernel;
  const auto wall0 = Clock::now();

  auto flush = [&] {
    timer.synchronize();
    std::vector<at::Tensor> losses, norms;
    for (const auto& p : pending) {
      losses.push_back(p.loss);
      norms.push_back(p.grad_norm);
    }
    const at::Tensor loss_host = at::stack(losses).to(at::kCPU, at::kDouble).contiguous();
    const at::Tensor norm_host = at::stack(norms).to(at::kCPU, at::kDouble).reshape({-1}).contiguous();
    for (size_t i = 0; i < pending.size(); ++i) {
      const Pending& p = pending[i];
      const double ms = timer.elapsed_ms(static_cast<int>(2 * i), static_cast<int>(2 * i + 1));
      last_loss = loss_host[static_cast<int64_t>(i)].item<double>();
      curve << nlohmann::json{{"type", "train"},
                              {"step", p.step + 1},
                              {"loss", last_loss},
                              {"lr", p.lr},
                              {"grad_norm", norm_host[static_cast<int64_t>(i)].item<double>()},
                              {"tokens", p.tokens},
                              {"target_tokens", p.targets},
                              {"step_ms", ms}}
                   .dump()
            << "\n";
      if (p.step - first_step >= c.timing_skip) {
        step_ms.push_back(ms);
        timed_ms += ms;
        timed_tokens += p.tokens;
        timed_samples += p.samples;
      }
    }
    curve.flush();
    if (!c.quiet && !pending.empty()) {
      const Pending& p = pending.back();
      fmt::print(stderr, "[train] step {}/{}  loss {:.4f}  lr {:.3g}  {:.1f} s\n", p.step + 1, c.steps, last_loss, p.lr,
                 std::chrono::duration<double>(Clock::now() - wall0).count());
    }
    pending.clear();
    timer.clear();
  };

  auto run_eval = [&](int64_t at_step) {
    m->eval();
    const double val = evaluate(m, data.validation, c.batch_size, device, precision, loss_settings);
    m->train();
    nlohmann::json line = {{"type", "eval"}, {"step", at_step}, {"val_loss", val}};
    curve << line.dump() << "\n";
    curve.flush();
    evals.push_back(line);
    if (!c.quiet) fmt::print(stderr, "[train] step {}  validation loss {:.4f}\n", at_step, val);
  };

  std::optional<bench::ProfileSummary> profile;
  for (; step < last_step; ++step) {
    if (profiler && step == profile_first) profiler->start();
    timer.mark();
    std::vector<Batch> micro;
    int64_t step_targets = 0, step_tokens = 0;
    for (int64_t a = 0; a < c.grad_accum; ++a) {
      std::vector<const Example*> examples;
      for (int64_t i = 0; i < c.batch_size; ++i) examples.push_back(&data.train[order.at(consumed++)]);
      micro.push_back(make_batch(examples, device));
      step_targets += micro.back().target_tokens;
      step_tokens += micro.back().input_tokens;
    }
    const double denominator = static_cast<double>(std::max<int64_t>(1, step_targets));
    at::Tensor step_loss = at::zeros({}, at::TensorOptions().dtype(at::kFloat).device(device));
    for (const Batch& b : micro) {
      at::Tensor loss;
      {
        AutocastScope autocast(device, precision);
        // the step's mean over all its counted targets
        loss = batch_nll_sum(m, b, device, loss_settings) / denominator;
      }
      (scaler.enabled() ? loss * scaler.scale() : loss).backward();
      step_loss += loss.detach().to(at::kFloat);
    }
    if (forward_kernel.empty()) forward_kernel = m->last_kernel();
    const at::Tensor found_inf = scaler.enabled() ? scaler.unscale(optimizer.grads()) : at::Tensor();
    const at::Tensor grad_norm = optimizer.clip_grad_norm(c.grad_clip);
    const double lr = learning_rate(schedule, step);
    optimizer.step(lr, found_inf);
    if (scaler.enabled()) scaler.update(found_inf);
    optimizer.zero_grad();
    timer.mark();
    if (profiler && step + 1 == profile_end) {
      profile = profiler->stop();
      if (!c.quiet) fmt::print(stderr, "{}", bench::format_profile_table(*profile, bench::kProfileTableRows));
    }
    pending.push_back({step, lr, step_tokens, step_targets, c.batch_size * c.grad_accum, step_loss, grad_norm});
    const int64_t done = step + 1;
    if (done % c.log_interval == 0 || done == last_step) flush();
    if ((c.eval_interval > 0 && done % c.eval_interval == 0 && done != c.steps) || done == c.steps) {
      if (!pending.empty()) flush();
      run_eval(done);
    }
    if (c.save_interval > 0 && done % c.save_interval == 0 && done != last_step) checkpointer.save(done, consumed);
  }
  const bench::MemoryPeaks peaks = bench::read_peak_memory(device);
  checkpointer.save(step, consumed);
  curve.close();

  // Report.
  nlohmann::json r = {{"schema_version", kTrainSchemaVersion},
                      {"tool", bench::tool_json()},
                      {"env", bench::environment_json(device)},
                      {"config", to_json(c)}};
  r["config"]["device_resolved"] = device.str();
  const bool flash = spec.kernel == attention::Kernel::kFlash;
  r["attention"] = {{"variant", variant},
                    {"kernel", forward_kernel},
                    {"backward", flash ? attention::last_flash_backward_kernel() : "autograd:" + forward_kernel},
                    {"alibi", spec.alibi()},
                    {"learned_positions", spec.uses_learned_positions()},
                    {"window", spec.window},
                    {"global_tokens", spec.global_tokens}};
  r["model"] = {{"config_name", config.name},
                {"n_layer", config.n_layer},
                {"n_head", config.n_head},
                {"n_embd", config.n_embd},
                {"n_positions", config.n_positions},
                {"parameters", config.parameter_count()},
                {"trained_parameters", optimizer.parameter_count()},
                {"weight_decayed_parameters", optimizer.decayed_parameter_count()},
                {"started_from", c.resume ? out.string() : c.model.flags.model_dir}};
  r["dataset"] = data.description;
  r["dataset"]["load_ms"] = data_ms;
  r["dataset"]["seq_len"] = seq_len;
  const double seconds = timed_ms / 1000.0;
  const double tokens_per_s = seconds > 0 ? static_cast<double>(timed_tokens) / seconds : 0.0;
  const double mean_len = timed_samples > 0 ? static_cast<double>(timed_tokens) / static_cast<double>(timed_samples) : 0.0;
  const double fpt = flops_per_token(config, spec, mean_len);
  const nlohmann::json env = r["env"];
  const PeakFlops peak = peak_flops(env.value("gpu", std::string("cpu")), precision, c.peak_tflops);
  r["training"] = {{"first_step", first_step},
                   {"last_step", step},
                   {"total_steps", c.steps},
                   {"examples_consumed", consumed},
                   {"epochs", static_cast<double>(consumed) / static_cast<double>(data.train.size())},
                   {"final_train_loss", last_loss},
                   {"evaluations", evals},
                   {"loss_curve", curve_path.string()},
                   {"precision", precision_name(precision)},
                   {"loss_impl", loss_impl},
                   {"tf32", device.is_cuda() && precision == Precision::kFp32},
                   {"deterministic", !device.is_cuda() || c.deterministic},
                   {"optimizer", "AdamW (at::_fused_adamw_), decay on 2-D tensors, none on biases and LayerNorm"},
                   {"loss_scale", scaler.enabled() ? nlohmann::json(scaler.scale().item<double>()) : nlohmann::json(nullptr)}};
  r["throughput"] = {{"step_ms", bench::to_json(bench::summarize(step_ms))},
                     {"timed_steps", step_ms.size()},
                     {"skipped_steps", std::min<int64_t>(c.timing_skip, step - first_step)},
                     {"tokens_per_s", tokens_per_s},
                     {"samples_per_s", seconds > 0 ? static_cast<double>(timed_samples) / seconds : 0.0},
                     {"mean_sequence_tokens", mean_len},
                     {"tokens_counted", "real (non-padding) input positions"}};
  r["mfu"] = {{"formula", "6*N + 12*L*C*T_attn FLOPs per token (N without wpe; T_attn = T, or min(T, W) for a window)"},
              {"flops_per_token", fpt},
              {"model_flops_per_s", fpt * tokens_per_s},
              {"peak_flops_per_s", peak.flops ? nlohmann::json(*peak.flops) : nlohmann::json(nullptr)},
              {"peak_source", peak.source},
              {"mfu", peak.flops ? nlohmann::json(fpt * tokens_per_s / *peak.flops) : nlohmann::json(nullptr)}};
  r["memory"] = {{"peak_allocated_bytes", peaks.peak_allocated},
                 {"peak_reserved_bytes", peaks.peak_reserved},
                 {"measured", device.is_cuda()}};
  r["checkpoint"] = {{"dir", out.string()}, {"step", step}};
  r["profile"] = nullptr;
  if (profile) {
    // Profiled steps ran under the profiler: their step_ms include its overhead.
    r["profile"] = bench::to_json(*profile);
    r["profile"]["steps"] = {{"first", profile_first + 1}, {"last", profile_end}};  // loss-curve step numbers
  }
  if (c.eval_rouge > 0) {
    run::RunConfig rc;
    rc.argv = {"(gptbench train --eval-rouge)"};
    run::ModelSelection trained = c.model.flags;  // the saved checkpoint, in the training's precision
    trained.model_dir = out.string();
    trained.dtype = precision_name(precision);
    trained.device = device.str();
    rc.model = run::resolve_selection(trained);
    rc.dataset = c.dataset;
    rc.data_path = c.data_path;
    rc.split = "validation";
    rc.limit = c.eval_rouge;
    rc.split_seed = c.split_seed;
    rc.prompt_template = c.prompt_template;
    rc.batch_size = std::min<int64_t>(16, c.eval_rouge);
    rc.quiet = true;
    m = nullptr;  // frees the training copy before the benchmark loads the checkpoint
    const nlohmann::json run_report = run::run_summarization(rc);
    r["rouge_eval"] = {{"split", "validation"}, {"n_samples", c.eval_rouge}, {"quality", run_report.at("quality")}};
  }
  r["status"] = "ok";
  r["error"] = nullptr;
  return r;
}

}  // namespace gptbench::train
