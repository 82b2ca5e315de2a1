// gptbench run: the summarization benchmark. Writes the JSON report atomically (also on failure,
// with "status": "error"), prints a short table on stdout.
#include <fmt/format.h>  // fmt::print, fmt::format

#include <cstdlib>  // std::getenv

#include "command.h"                       // register_run_command
#include "gptbench/io/json_output.h"       // write_json_atomic
#include "gptbench/io/output_path.h"       // check_output_path
#include "gptbench/kernels/fused_linear.h"  // kGemvDefaultMaxRows, kGemvKernelMaxRows
#include "gptbench/run/perplexity.h"      // run_perplexity
#include "gptbench/run/summarization.h"    // run_summarization, error_report, failure_message
#include "gptbench/util/error.h"           // Error, UsageError

namespace gptbench::cli {
namespace {

std::string default_data_dir() {
  const char* env = std::getenv("GPTBENCH_DATA_DIR");
  return env != nullptr && *env != '\0' ? env : "../shared/data";
}

void print_table(const nlohmann::json& r) {
  const auto& lat = r.at("latency");
  fmt::print("variant {} | kernel {} | {} samples | dtype {} | device {}\n", r["attention"]["variant"].get<std::string>(),
             r["attention"]["kernel"].get<std::string>(), r["dataset"]["n_samples"].get<int64_t>(),
             r["config"]["dtype"].get<std::string>(), r["config"]["device_resolved"].get<std::string>());
  if (!r.at("quality").is_null()) {
    const auto& q = r.at("quality");
    fmt::print("ROUGE-1 {:.4f}  ROUGE-2 {:.4f}  ROUGE-L {:.4f}  ROUGE-Lsum {:.4f}  BLEU {:.2f}  (F1 means)\n",
               q["rouge1"]["fmeasure"].get<double>(), q["rouge2"]["fmeasure"].get<double>(),
               q["rougeL"]["fmeasure"].get<double>(), q["rougeLsum"]["fmeasure"].get<double>(),
               q["bleu"]["score"].get<double>());
  }
  fmt::print("e2e p50 {:.2f} ms  ttft p50 {:.2f} ms  tpot p50 {:.3f} ms  {:.1f} tokens/s  {:.2f} samples/s\n",
             lat["e2e"]["p50"].get<double>(), lat["ttft"]["p50"].get<double>(), lat["tpot"]["p50"].get<double>(),
             lat["tokens_per_s"].get<double>(), lat["samples_per_s"].get<double>());
  const auto& mem = r.at("memory");
  if (mem["measured"].get<bool>()) {
    fmt::print("peak allocated {:.1f} MiB  peak reserved {:.1f} MiB  weights {:.1f} MiB  KV cache {:.1f} MiB\n",
               mem["peak_allocated_bytes"].get<double>() / 1048576.0, mem["peak_reserved_bytes"].get<double>() / 1048576.0,
               mem["weights_bytes"].get<double>() / 1048576.0, mem["kv_cache_bytes"].get<double>() / 1048576.0);
  }
}

}  // namespace

void register_run_command(CLI::App& app) {
  auto c = std::make_shared<run::RunConfig>();
  auto timing = std::make_shared<std::string>("generate");
  auto no_stemmer = std::make_shared<bool>(false);
  auto task = std::make_shared<std::string>("summarization");
  CLI::App* cmd = app.add_subcommand("run", "Summarization benchmark: ROUGE/BLEU, latency, peak memory as JSON");
  cmd->add_option("--task", *task, "summarization | perplexity")->capture_default_str();
  cmd->add_option("--stride", c->stride, "perplexity: sliding-window stride in tokens")->capture_default_str();
  cmd->add_option("--kl-against", c->kl_against,
                  "perplexity: also the mean per-token KL(this || VARIANT) on the same text");
  cmd->add_option("--model", c->model_dir, "checkpoint folder (config.json, model.safetensors)")->required();
  cmd->add_option("--tokenizer", c->tokenizer_dir, "tokenizer folder (default: the model folder)");
  cmd->add_option("--variant", c->variant, "attention variant (see `gptbench variants`)")->capture_default_str();
  cmd->add_option("--window", c->window, "sliding window W for sparse variants (default 256)");
  cmd->add_option("--global-tokens", c->global_tokens, "sink tokens for sparse variants");
  cmd->add_option("--dtype", c->dtype, "fp32 | fp16 | bf16")->capture_default_str();
  cmd->add_option("--device", c->device, "auto | cpu | cuda | cuda:N")->capture_default_str();
  cmd->add_option("--dataset", c->dataset, "news_summary | cnn_dailymail | jsonl | synthetic (random prompts of --prompt-tokens)")->capture_default_str();
  cmd->add_option("--prompt-tokens", c->prompt_tokens, "synthetic dataset: prompt length in tokens")->capture_default_str();
  cmd->add_option("--max-prompt-tokens", c->max_prompt_tokens,
                  "other datasets: cut each source so its prompt has at most this many tokens");
  cmd->add_option("--data", c->data_path, "dataset file or folder (default: the dataset's file under --data-dir)");
  c->data_dir = default_data_dir();
  cmd->add_option("--data-dir", c->data_dir, "shared data folder (env GPTBENCH_DATA_DIR)")->capture_default_str();
  cmd->add_option("--split", c->split, "train | validation | test | all")->capture_default_str();
  cmd->add_option("--limit", c->limit, "use the first N samples of the split");
  cmd->add_option("--split-seed", c->split_seed, "seed of the split hash")->capture_default_str();
  cmd->add_option("--prompt-template", c->prompt_template, "prompt template with {source}")->capture_default_str();
  cmd->add_option("--batch-size", c->batch_size, "prompts per batch (left padding)")->capture_default_str();
  cmd->add_option("--max-new-tokens", c->max_new_tokens, "cap on generated tokens")->capture_default_str();
  cmd->add_option("--min-new-tokens", c->min_new_tokens, "EOS suppressed before this many")->capture_default_str();
  cmd->add_option("--num-beams", c->num_beams, "beam search width (1 = greedy)")->capture_default_str();
  cmd->add_option("--no-repeat-ngram-size", c->no_repeat_ngram_size, "beam search: ban repeated n-grams")
      ->capture_default_str();
  cmd->add_option("--length-penalty", c->length_penalty, "beam search length penalty")->capture_default_str();
  cmd->add_option("--early-stopping", c->early_stopping, "beam search: false | true | never")->capture_default_str();
  cmd->add_option("--decode", c->decode, "greedy decode steps: auto | graph (CUDA graph, flash variants; sliding windows then keep a dense cache) | eager")
      ->capture_default_str();
  cmd->add_option("--linear", c->linear,
                  fmt::format("projections: auto (decode batches of <= {} rows on gptbench's fused GEMV kernel) | aten "
                              "(cuBLAS via ATen) | gemv (the GEMV up to its {} rows, for A/B runs)",
                              kernels::kGemvDefaultMaxRows, kernels::kGemvKernelMaxRows))
      ->capture_default_str();
  cmd->add_option("--warmup", c->warmup, "untimed warm-up runs of the first batch")->capture_default_str();
  cmd->add_option("--timing", *timing,
                  "generate | forward: forward times one forward pass per padded batch instead of generation "
                  "(the student projects' 'inference time')")
      ->capture_default_str();
  cmd->add_flag("--no-stemmer", *no_stemmer, "ROUGE without the Porter stemmer");
  cmd->add_option("--out", c->out_path, "JSON report (written atomically)");
  cmd->add_option("--predictions", c->predictions_path, "JSONL: id, prompt length, generated text, scores per sample");
  cmd->add_option("--profile", c->profile_path,
                  "Chrome trace of the timed batches (Kineto: CUDA kernels, or CPU ops on the CPU); the report "
                  "gets the top kernels/ops in `profile`");
  cmd->add_flag("--quiet", c->quiet, "no progress on stderr");
  cmd->callback([c, timing, no_stemmer, task] {
    if (*timing != "generate" && *timing != "forward")
      throw UsageError(fmt::format("--timing: unknown mode \"{}\" (generate, forward)", *timing));
    c->timing = *timing == "forward" ? run::TimingMode::kForward : run::TimingMode::kGenerate;
    c->stemmer = !*no_stemmer;
    if (*task == "perplexity") {
      c->task = run::Task::kPerplexity;
    } else if (*task != "summarization") {
      throw UsageError(fmt::format("--task: unknown task \"{}\" (summarization, perplexity)", *task));
    }
    if (!c->kl_against.empty() && c->task != run::Task::kPerplexity)
      throw UsageError("--kl-against needs --task perplexity (it compares next-token distributions on a text)");
    if (!c->profile_path.empty() && c->task != run::Task::kSummarization)
      throw UsageError("--profile needs --task summarization (it profiles the timed batches)");
    const std::vector<std::filesystem::path> inputs = {c->data_path, c->model_dir + "/model.safetensors", c->model_dir + "/config.json"};
    io::check_output_path(c->out_path, "--out", inputs);
    io::check_output_path(c->predictions_path, "--predictions", inputs);
    nlohmann::json report;
    try {
      report = c->task == run::Task::kPerplexity ? run::run_perplexity(*c) : run::run_summarization(*c);
    } catch (const Error& e) {
      if (!c->out_path.empty()) io::write_json_atomic(c->out_path, run::error_report(*c, e.what()));
      throw;
    } catch (const std::exception& e) {
      const std::string message = run::failure_message(e);
      if (!c->out_path.empty()) io::write_json_atomic(c->out_path, run::error_report(*c, message));
      throw Error(message);
    }
    if (!c->out_path.empty()) io::write_json_atomic(c->out_path, report);
    if (c->task == run::Task::kPerplexity) {
      fmt::print("variant {} | perplexity {:.4f} over {} tokens ({} windows)\n", report["attention"]["variant"].get<std::string>(),
                 report["quality"]["perplexity"].get<double>(), report["quality"]["scored_tokens"].get<int64_t>(),
                 report["quality"]["windows"].get<int64_t>());
      if (report["quality"].contains("kl_against"))
        fmt::print("mean KL against {}: {:.3e} nats/token\n", c->kl_against,
                   report["quality"]["kl_against"]["mean_kl"].get<double>());
      return;
    }
    print_table(report);
  });
}

}  // namespace gptbench::cli
