// gptbench run: the summarization benchmark. Writes the JSON report atomically (also on failure,
// with "status": "error"), prints a short table on stdout.
#include <fmt/format.h>  // fmt::print, fmt::format

#include <optional>  // std::optional
#include <variant>   // std::get_if

#include "command_line.h"                  // command_line
#include "command.h"                       // register_run_command
#include "enum_option.h"                   // add_enum_option
#include "gptbench/compare/report_table.h"  // make_report_table, format_report_markdown, format_report_csv
#include "gptbench/attention/variant.h"    // parse_variant
#include "gptbench/io/json_output.h"       // write_json_atomic
#include "gptbench/io/output_path.h"       // check_output_path
#include "gptbench/kernels/fused_linear.h"  // kGemvDefaultMaxRows, kGemvKernelMaxRows
#include "gptbench/quant/quant_format.h"    // kQuantFormatNames
#include "gptbench/report/run_report.h"    // RunReport, to_json
#include "gptbench/run/perplexity.h"      // run_perplexity
#include "gptbench/run/summarization.h"    // run_summarization, error_report, failure_message
#include "gptbench/util/error.h"           // Error, UsageError
#include "model_options.h"                 // add_model_options, add_data_dir_option
#include "progress_options.h"              // add_progress_options
#include "written_files.h"                 // print_written_files

namespace gptbench::cli {
namespace {

void print_summarization(const report::RunReport& r, const report::SummarizationResults& s) {
  const report::LatencyInfo& lat = s.latency;
  fmt::print("variant {} | kernel {} | {} samples | dtype {} | device {}\n", r.attention->variant, r.attention->kernel,
             s.dataset.n_samples, r.header.config.value("dtype", ""), r.header.config.value("device_resolved", ""));
  if (s.quality) {
    const report::QualityScores& q = *s.quality;
    fmt::print("ROUGE-1 {:.4f}  ROUGE-2 {:.4f}  ROUGE-L {:.4f}  ROUGE-Lsum {:.4f}  BLEU {:.2f}  (F1 means)\n",
               q.rouge1.fmeasure, q.rouge2.fmeasure, q.rouge_l.fmeasure, q.rouge_lsum.fmeasure, q.bleu.score);
  }
  fmt::print("e2e p50 {:.2f} ms  ttft p50 {:.2f} ms  tpot p50 {:.3f} ms  {:.1f} tokens/s  {:.2f} samples/s\n",
             lat.e2e.p50, lat.ttft.p50, lat.tpot.p50, lat.tokens_per_s, lat.samples_per_s);
  if (lat.stopping && r.header.config.contains("stopping")) {
    const report::StoppingInfo& st = *lat.stopping;
    fmt::print("stopping rule: {} batches ({} samples) in {:.1f} s, e2e noise {:.2f} %, stopped by {}\n", st.batches,
               st.samples, st.elapsed_s, st.noise * 100, st.reason);
  }
  const report::MemoryInfo& mem = s.memory;
  if (mem.measured) {
    auto mib = [](std::optional<int64_t> bytes) { return static_cast<double>(bytes.value_or(0)) / 1048576.0; };
    fmt::print("peak allocated {:.1f} MiB  peak reserved {:.1f} MiB  weights {:.1f} MiB  KV cache {:.1f} MiB\n",
               mib(mem.peak_allocated_bytes), mib(mem.peak_reserved_bytes), mib(mem.weights_bytes),
               mib(mem.kv_cache_bytes));
  }
}

void print_perplexity(const report::RunReport& r, const report::PerplexityResults& p,
                      const std::optional<run::KlAgainstVariant>& kl_against) {
  fmt::print("variant {} | perplexity {:.4f} over {} tokens ({} windows)\n", r.attention->variant, p.quality.perplexity,
             p.quality.scored_tokens, p.quality.windows);
  if (p.quality.kl_against && kl_against)
    fmt::print("mean KL against {}: {:.3e} nats/token\n", kl_against->name, p.quality.kl_against->mean_kl);
}

// The finished report on stdout as --format asks: text (the lines above), json (the report), jsonl (the
// report on one line), md or csv (`gptbench report`'s one-row table).
void print_result(const report::RunReport& r, const std::string& format, const std::string& out_path,
                  const std::optional<run::KlAgainstVariant>& kl_against) {
  constexpr auto kReplace = nlohmann::json::error_handler_t::replace;  // the text may hold invalid UTF-8
  if (format == "json" || format == "jsonl") {
    fmt::print("{}\n", report::to_json(r).dump(format == "json" ? 2 : -1, ' ', false, kReplace));
  } else if (format == "md" || format == "csv") {
    const compare::ReportTable table = compare::make_report_table({{out_path.empty() ? "-" : out_path, r}});
    fmt::print("{}", format == "md" ? compare::format_report_markdown(table) : compare::format_report_csv(table));
  } else if (const auto* p = std::get_if<report::PerplexityResults>(&r.results)) {
    print_perplexity(r, *p, kl_against);
  } else if (const auto* s = std::get_if<report::SummarizationResults>(&r.results)) {
    print_summarization(r, *s);
  }
}

// --kl-against's variant, parsed as --variant is (without --window and --global-tokens), or a --quant value.
run::KlAgainstVariant parse_kl_against(const std::string& name) {
  if (name == "none") return {name, {}, name};
  for (const auto& row : quant::kQuantFormatNames)
    if (name == row.name) return {name, {}, name};
  try {
    return {name, attention::parse_variant(name)};
  } catch (const UsageError& e) {
    const std::string message = e.what();  // "--variant x: ...": the same rule, another flag
    throw UsageError(message.rfind("--variant", 0) == 0 ? "--kl-against" + message.substr(9) : message);
  }
}

}  // namespace

void register_run_command(CLI::App& app) {
  auto c = std::make_shared<run::RunConfig>();
  auto selection = std::make_shared<run::ModelSelection>();
  auto no_stemmer = std::make_shared<bool>(false);
  auto format = std::make_shared<std::string>("text");
  CLI::App* cmd = app.add_subcommand("run", "Summarization benchmark: ROUGE/BLEU, latency, peak memory as JSON");
  add_enum_option(cmd, "--task", run::kTaskNames, c->task, "summarization | perplexity");
  cmd->add_option("--stride", c->stride, "perplexity: sliding-window stride in tokens")->capture_default_str();
  cmd->add_option_function<std::string>(
      "--kl-against", [c](const std::string& name) { c->kl_against = parse_kl_against(name); },
      "perplexity: also the mean per-token KL(this || VARIANT) on the same text; or KL against the same model "
      "quantized otherwise (none | int8 | int4 | nf4; none: unquantized)");
  add_model_options(cmd, *selection);
  cmd->add_option("--tokenizer", c->tokenizer_dir, "tokenizer folder (default: the model folder)");
  add_enum_option(cmd, "--dataset", run::kDatasetNames, c->dataset,
                  "news_summary | cnn_dailymail | jsonl | synthetic (random prompts of --prompt-tokens)");
  cmd->add_option("--prompt-tokens", c->prompt_tokens, "synthetic dataset: prompt length in tokens")->capture_default_str();
  cmd->add_option("--max-prompt-tokens", c->max_prompt_tokens,
                  "other datasets: cut each source so its prompt has at most this many tokens");
  cmd->add_option("--data", c->data_path, "dataset file or folder (default: the dataset's file under --data-dir)");
  add_data_dir_option(cmd, *selection);
  add_enum_option(cmd, "--split", data::kSplitNames, c->split, "train | validation | test | all");
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
  add_enum_option(cmd, "--early-stopping", model::kEarlyStoppingNames, c->early_stopping,
                  "beam search: false | true | never");
  add_enum_option(cmd, "--decode", run::kDecodeModeNames, c->decode,
                  "greedy decode steps: auto | graph (CUDA graph, flash variants; sliding windows then keep a dense "
                  "cache) | eager");
  add_enum_option(cmd, "--linear", run::kLinearModeNames, c->linear,
                  fmt::format("projections: auto (decode batches of <= {} rows on gptbench's fused GEMV kernel) | aten "
                              "(cuBLAS via ATen) | gemv (the GEMV up to its {} rows, for A/B runs)",
                              kernels::kGemvDefaultMaxRows, kernels::kGemvKernelMaxRows));
  cmd->add_option("--warmup", c->warmup, "untimed warm-up runs of the first batch")->capture_default_str();
  // The stopping rule (run/run_stopping.h), nvbench's: off by default (one pass over the prompts).
  cmd->add_option("--min-batches", c->stopping.min_batches,
                  "stopping rule: time at least this many batches (default: one pass over the prompts; more repeat them)");
  cmd->add_option("--min-time", c->stopping.min_time_s, "stopping rule: at least this many seconds of timed batches");
  cmd->add_option("--max-noise", c->stopping.max_noise,
                  "stopping rule: past the minimums, go on until the per-batch e2e latency's std/mean is at most this "
                  "(0.02 = 2 %; 0: off)");
  cmd->add_option("--max-time", c->stopping.max_time_s, "stopping rule: stop after this many seconds of timing (0: none)");
  cmd->add_option("--max-batches", c->stopping.max_batches, "stopping rule: stop after this many batches");
  add_enum_option(cmd, "--timing", run::kTimingModeNames, c->timing,
                  "generate | forward: forward times one forward pass per padded batch instead of generation "
                  "(the student projects' 'inference time')");
  cmd->add_flag("--no-stemmer", *no_stemmer, "ROUGE without the Porter stemmer");
  cmd->add_option("--out", c->out_path, "JSON report (written atomically)");
  cmd->add_option("--format", *format,
                  "stdout: text (a summary), json (the report), jsonl (the report on one line), md or csv (a one-row "
                  "table as `gptbench report` writes it)")
      ->check(CLI::IsMember({"text", "json", "jsonl", "md", "csv"}))
      ->capture_default_str();
  cmd->add_option("--predictions", c->predictions_path, "JSONL: id, prompt length, generated text, scores per sample");
  cmd->add_option("--profile", c->profile_path,
                  "Chrome trace of the timed batches (Kineto: CUDA kernels, or CPU ops on the CPU); the report "
                  "gets the top kernels/ops in `profile`");
  cmd->add_flag("--quiet", c->quiet, "no progress on stderr");
  add_progress_options(cmd, c->progress);
  cmd->callback([c, selection, no_stemmer, format] {
    c->model.flags = *selection;  // the report echoes the flags even when they do not resolve
    c->argv = command_line();
    c->stemmer = !*no_stemmer;
    if (c->kl_against && c->task != run::Task::kPerplexity)
      throw UsageError("--kl-against needs --task perplexity (it compares next-token distributions on a text)");
    if (c->stopping.given() && c->task != run::Task::kSummarization)
      throw UsageError("--min-batches, --min-time, --max-noise, --max-time and --max-batches need --task summarization "
                       "(they stop its timed batches)");
    if (!c->profile_path.empty() && c->task != run::Task::kSummarization)
      throw UsageError("--profile needs --task summarization (it profiles the timed batches)");
    const std::vector<std::filesystem::path> inputs = {c->data_path, selection->model_dir + "/model.safetensors", selection->model_dir + "/config.json"};
    io::check_output_path(c->out_path, "--out", inputs);
    io::check_output_path(c->predictions_path, "--predictions", inputs);
    io::check_output_path(c->profile_path, "--profile", inputs);
    auto write_report = [&](const report::RunReport& r) {
      if (!c->out_path.empty()) io::write_json_atomic(c->out_path, report::to_json(r));
    };
    report::RunReport result;
    try {
      c->model = run::resolve_selection(*selection);
      result = c->task == run::Task::kPerplexity ? run::run_perplexity(*c) : run::run_summarization(*c);
    } catch (const Error& e) {
      write_report(run::error_report(*c, e.what()));
      throw;
    } catch (const std::exception& e) {
      const std::string message = run::failure_message(e);
      write_report(run::error_report(*c, message));
      throw Error(message);
    }
    write_report(result);
    if (!c->quiet)
      print_written_files({{"--out", c->out_path}, {"--predictions", c->predictions_path}, {"--profile", c->profile_path}});
    print_result(result, *format, c->out_path, c->kl_against);
  });
}

}  // namespace gptbench::cli
