// gptbench train: causal-LM training / fine-tuning. Writes the JSON report atomically (also on
// failure, with "status": "error"), the loss curve as it goes, and checkpoints in --out.
#include <fmt/format.h>  // fmt::print

#include <filesystem>  // std::filesystem::create_directories
#include <vector>      // std::vector

#include "command_line.h"                 // command_line
#include "command.h"                      // register_train_command
#include "enum_option.h"                  // add_enum_option
#include "gptbench/report/train_report.h"  // TrainReport, to_json
#include "gptbench/io/json_output.h"      // write_json_atomic
#include "gptbench/io/output_path.h"      // check_output_path
#include "gptbench/train/trainer.h"       // run_training, train_error_report
#include "gptbench/util/error.h"          // Error, UsageError
#include "model_options.h"                // add_model_dir_option, add_variant_options, add_device_option, ...
#include "progress_options.h"             // add_progress_options
#include "written_files.h"                // print_written_files

namespace gptbench::cli {
namespace {

void print_summary(const report::TrainReport& r) {
  const report::TrainResults& t = *r.results;
  fmt::print("variant {} | forward {} | backward {} | device {}\n", t.attention.variant, t.attention.kernel,
             t.attention.backward.value_or("-"), r.header.config.value("device_resolved", ""));
  fmt::print("steps {}..{} | final train loss {:.4f}", t.training.first_step, t.training.last_step,
             t.training.final_train_loss);
  if (!t.training.evaluations.empty()) fmt::print(" | validation loss {:.4f}", t.training.evaluations.back().val_loss);
  fmt::print("\nstep p50 {:.2f} ms | {:.0f} tokens/s | {:.2f} samples/s", t.throughput.step_ms.p50,
             t.throughput.tokens_per_s, t.throughput.samples_per_s);
  if (t.mfu.mfu) fmt::print(" | MFU {:.1f}%", 100.0 * *t.mfu.mfu);
  if (t.memory.measured)
    fmt::print(" | peak allocated {:.0f} MiB", static_cast<double>(t.memory.peak_allocated_bytes) / 1048576.0);
  fmt::print("\n");
}

}  // namespace

void register_train_command(CLI::App& app) {
  auto c = std::make_shared<train::TrainConfig>();
  auto selection = std::make_shared<run::ModelSelection>();
  auto report_path = std::make_shared<std::string>();
  auto distill = std::make_shared<train::DistillConfig>();
  auto lora = std::make_shared<model::LoraSettings>();
  CLI::App* cmd = app.add_subcommand("train", "Train or fine-tune a GPT-2 checkpoint under any attention variant");
  add_model_dir_option(cmd, *selection, ModelFlag::kOptional);  // --resume reads it from --out
  cmd->add_option("--tokenizer", c->tokenizer_dir, "tokenizer folder (default: the model folder)");
  add_variant_options(cmd, *selection);
  cmd->add_flag("--allow-variant-change", c->allow_variant_change,
                "train a checkpoint recorded with another variant under --variant");
  add_device_option(cmd, *selection);
  add_quant_options(cmd, *selection);  // QLoRA: the frozen base quantized (with --lora-rank only)
  add_enum_option(cmd, "--precision", train::kPrecisionNames, c->precision,
                  "fp32 | bf16 | fp16 (autocast; fp16 with dynamic loss scaling)");
  add_enum_option(cmd, "--dataset", train::kTrainDatasetNames, c->dataset, "training data");
  cmd->add_option("--data-path", c->data_path, "dataset file (required for text)");
  add_data_dir_option(cmd, *selection);
  cmd->add_option("--split-seed", c->split_seed, "seed of the train/validation/test split hash")->capture_default_str();
  cmd->add_option("--prompt-template", c->prompt_template, "prompt template with {source}")->capture_default_str();
  add_enum_option(cmd, "--loss-on", train::kLossOnNames, c->loss_on,
                  "summary (summary tokens + EOS) | all (every next token)");
  add_enum_option(cmd, "--loss", train::kLossImplNames, c->loss,
                  "fused (chunked lm_head + our classifier kernel) | reference (fp32 logits)");
  cmd->add_option("--loss-chunk-rows", c->loss_chunk_rows, "tokens per chunk of the fused loss")
      ->capture_default_str();
  CLI::Option* distill_from =
      cmd->add_option("--distill-from", distill->teacher_dir,
                      "distil from this teacher checkpoint (same tokenizer): loss = a*T^2*KL(teacher || student at "
                      "temperature T) + (1-a)*CE");
  const std::vector<CLI::Option*> distill_settings = {
      cmd->add_option("--distill-variant", distill->variant,
                      "the teacher's attention variant (default: its recorded variant, else sdpa)"),
      cmd->add_option("--distill-temperature", distill->temperature, "distillation temperature T")
          ->capture_default_str(),
      cmd->add_option("--distill-alpha", distill->alpha, "weight a of the KL term")->capture_default_str()};
  CLI::Option* lora_rank =
      cmd->add_option("--lora-rank", lora->rank, "train LoRA adapters of this rank on the frozen base (PEFT format)");
  const std::vector<CLI::Option*> lora_settings = {
      cmd->add_option("--lora-alpha", lora->alpha, "LoRA alpha (scaling alpha / rank)")->capture_default_str(),
      cmd->add_option("--lora-dropout", lora->dropout, "dropout on the adapters' input")->capture_default_str(),
      cmd->add_option("--lora-targets", lora->targets,
                      "modules to adapt, PEFT's target_modules (gpt2: c_attn, c_proj (attn's and mlp's), c_fc, or the aliases "
                      "qkv, proj, fc, fc_proj; "
                      "llama/mistral: q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj; default all)")
          ->delimiter(',')};
  cmd->add_option("--seq-len", c->seq_len, "training sequence length T (default: the model's context)");
  cmd->add_option("--max-summary-tokens", c->max_summary_tokens, "summary tokens kept per example")
      ->capture_default_str();
  cmd->add_option("--val-fraction", c->val_fraction, "text: fraction of chunks held out")->capture_default_str();
  cmd->add_option("--steps", c->steps, "optimizer steps (the schedule's length)")->capture_default_str();
  cmd->add_option("--stop-at", c->stop_at, "stop and save after this step (continue with --resume)");
  cmd->add_option("--batch-size", c->batch_size, "sequences per micro-batch")->capture_default_str();
  cmd->add_option("--grad-accum", c->grad_accum, "micro-batches per optimizer step")->capture_default_str();
  cmd->add_option("--lr", c->lr, "peak learning rate")->capture_default_str();
  cmd->add_option("--min-lr-ratio", c->min_lr_ratio, "final learning rate / peak")->capture_default_str();
  cmd->add_option("--warmup-steps", c->warmup_steps, "linear warm-up steps")->capture_default_str();
  cmd->add_option("--weight-decay", c->weight_decay, "AdamW decay on 2-D weights")->capture_default_str();
  cmd->add_option("--beta1", c->beta1, "AdamW beta1")->capture_default_str();
  cmd->add_option("--beta2", c->beta2, "AdamW beta2")->capture_default_str();
  cmd->add_option("--eps", c->eps, "AdamW epsilon")->capture_default_str();
  cmd->add_option("--grad-clip", c->grad_clip, "global gradient-norm clip (0: off)")->capture_default_str();
  cmd->add_option("--seed", c->seed, "seed of the data order")->capture_default_str();
  cmd->add_option("--eval-interval", c->eval_interval, "steps between validation losses (0: at the end)")
      ->capture_default_str();
  cmd->add_option("--eval-samples", c->eval_samples, "validation examples")->capture_default_str();
  cmd->add_option("--eval-rouge", c->eval_rouge, "ROUGE on N validation samples through `run` at the end (0: off)")
      ->capture_default_str();
  cmd->add_option("--save-interval", c->save_interval, "steps between checkpoints (0: at the end)")
      ->capture_default_str();
  cmd->add_option("--log-interval", c->log_interval, "steps between loss-curve writes")->capture_default_str();
  cmd->add_option("--timing-skip", c->timing_skip, "first steps left out of the timing")->capture_default_str();
  cmd->add_option("--peak-tflops", c->peak_tflops, "device peak for MFU (default: H100/H200 table)");
  cmd->add_option("--profile", c->profile_path,
                  "Chrome trace of --profile-steps timed steps (Kineto: CUDA kernels, or CPU ops on the CPU); the "
                  "report gets the top kernels/ops in `profile`");
  cmd->add_option("--profile-steps", c->profile_steps, "steps profiled, the first after --timing-skip")
      ->capture_default_str();
  cmd->add_option("--out", c->out_dir, "output folder: checkpoint, train state, loss_curve.jsonl, train_report.json")
      ->required();
  cmd->add_option("--report", *report_path, "JSON report (default: OUT/train_report.json)");
  cmd->add_flag("--resume", c->resume, "continue the run saved in --out");
  cmd->add_flag("--deterministic", c->deterministic,
                "CUDA: deterministic algorithms only, so that repeated and resumed runs give bitwise the same "
                "loss curve (slower; the report's attention.backward names the backend that remains)");
  cmd->add_flag("--cuda-graph", c->cuda_graph,
                "CUDA: capture one optimizer step as a CUDA graph and replay it for the later steps (the host "
                "then launches one graph per step; one micro-batch per step, no --lora-dropout, no "
                "--distill-from, no --precision fp16)");
  cmd->add_flag("--quiet", c->quiet, "no progress on stderr");
  add_progress_options(cmd, c->progress);
  cmd->callback([c, selection, report_path, distill, distill_from, distill_settings, lora, lora_rank, lora_settings] {
    c->model.flags = *selection;  // the report echoes the flags even when they do not resolve
    c->argv = command_line();
    if (distill_from->count() > 0) c->distill = *distill;
    for (const CLI::Option* o : distill_settings)
      if (o->count() > 0 && !c->distill) throw UsageError(o->get_name() + " needs --distill-from TEACHER_DIR");
    if (lora_rank->count() > 0) c->lora = *lora;
    for (const CLI::Option* o : lora_settings)
      if (o->count() > 0 && !c->lora) throw UsageError(o->get_name() + " needs --lora-rank R");
    const std::string path = report_path->empty() ? c->out_dir + "/train_report.json" : *report_path;
    io::check_output_path(*report_path, "--report");  // the default one lands in --out, created below
    io::check_output_path(c->profile_path, "--profile");
    auto write_error = [&](const std::string& message) {
      // The report says why the run failed; a failure to write it must not hide the original error.
      try {
        const std::filesystem::path parent = std::filesystem::path(path).parent_path();
        if (!parent.empty()) std::filesystem::create_directories(parent);
        io::write_json_atomic(path, report::to_json(train::train_error_report(*c, message)));
      } catch (const std::exception&) {
      }
    };
    report::TrainReport result;
    try {
      c->model = run::resolve_selection(*selection);
      result = train::run_training(*c);
    } catch (const Error& e) {
      write_error(e.what());
      throw;
    } catch (const std::exception& e) {
      std::string message = e.what();
      if (auto nl = message.find('\n'); nl != std::string::npos) message.resize(nl);
      if (message.find("out of memory") != std::string::npos)
        message = fmt::format("CUDA out of memory at --batch-size {} ({}): try a smaller --batch-size with a larger "
                              "--grad-accum", c->batch_size, message);
      write_error(message);
      throw Error(message);
    }
    io::write_json_atomic(path, report::to_json(result));
    if (!c->quiet) {
      print_summary(result);
      print_written_files({{"--out", c->out_dir}, {"--report", path}, {"--profile", c->profile_path}});
    }
  });
}

}  // namespace gptbench::cli
