// `gptbench score`: ROUGE and BLEU of a predictions file against a references file.
// Parsing only; reading, scoring and formatting live in gptbench_eval.
#include <fmt/format.h>  // fmt::print

#include <memory>  // std::make_shared
#include <string>  // std::string
#include <vector>  // std::vector

#include "command.h"                  // register_score_command
#include "gptbench/eval/score.h"      // score_texts, to_json, format_table
#include "gptbench/eval/text_file.h"  // read_texts
#include "gptbench/util/error.h"      // gptbench::Error

namespace gptbench::cli {

namespace {

struct ScoreOptions {
  std::string predictions;
  std::string references;
  bool json = false;
  bool per_sample = false;
  bool no_stemmer = false;
};

void run_score(const ScoreOptions& options) {
  if (options.per_sample && !options.json) throw UsageError("--per-sample needs --json");
  const std::vector<std::string> predictions = eval::read_texts(options.predictions);
  const std::vector<std::string> references = eval::read_texts(options.references);
  if (predictions.size() != references.size()) {
    throw Error(fmt::format("{} has {} texts but {} has {}; they must pair up line by line",
                            options.predictions, predictions.size(), options.references,
                            references.size()));
  }
  if (predictions.empty()) throw Error(fmt::format("{}: no texts to score", options.predictions));
  const eval::ScoreReport report =
      eval::score_texts(predictions, references,
                        options.no_stemmer ? eval::Stemming::kNone : eval::Stemming::kPorter);
  if (options.json) {
    const auto per_sample = options.per_sample ? eval::PerSample::kInclude : eval::PerSample::kOmit;
    fmt::print("{}\n", eval::to_json(report, per_sample).dump());
  } else {
    fmt::print("{}", eval::format_table(report));
  }
}

}  // namespace

void register_score_command(CLI::App& app) {
  auto options = std::make_shared<ScoreOptions>();
  CLI::App* cmd = app.add_subcommand(
      "score",
      "ROUGE-1/2/L/Lsum (as rouge-score 0.1.2) and BLEU (as sacreBLEU 2.6.0) of predictions "
      "against references. Files hold one text a line; *.jsonl files hold one JSON string, or "
      "object with a string \"text\", a line (texts with newlines: ROUGE-Lsum splits sentences "
      "on them).");
  cmd->add_option("--predictions", options->predictions, "predictions file (.txt or .jsonl)")
      ->required();
  cmd->add_option("--references", options->references,
                  "references file (.txt or .jsonl), same count")
      ->required();
  cmd->add_flag("--json", options->json, "print one JSON object instead of a table");
  cmd->add_flag("--per-sample", options->per_sample,
                "with --json: also list every sample's ROUGE and sentence BLEU");
  cmd->add_flag("--no-stemmer", options->no_stemmer,
                "ROUGE without the Porter stemmer (default: stemmer on, like use_stemmer=True)");
  cmd->callback([options] { run_score(*options); });
}

}  // namespace gptbench::cli
