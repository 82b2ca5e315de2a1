// gptbench init: writes a randomly initialised checkpoint of a named shape (any family) in Hugging Face layout.
#include <c10/core/ScalarType.h>  // c10::ScalarType
#include <fmt/format.h>           // fmt::print

#include <filesystem>    // std::filesystem::path, is_regular_file
#include <memory>        // std::shared_ptr, std::unique_ptr
#include <string>        // std::string
#include <system_error>  // std::error_code
#include <vector>        // std::vector

#include "command.h"                          // register_init_command
#include "gptbench/data/data_dir.h"           // default_data_dir
#include "gptbench/data/tokenizer_corpus.h"   // news_tokenizer_corpus
#include "gptbench/model/checkpoint.h"        // save_model, check_tokenizer_files, copy_tokenizer_files
#include "gptbench/model/model_family.h"      // resolve_model_config, init_model, model_families, find_family
#include "gptbench/text/sentencepiece_trainer.h"  // train_sentencepiece

namespace gptbench::cli {
namespace {

// "gpt2 | distilgpt2 | ...": every family's named shapes, for --config's help.
std::string named_shapes() {
  std::string names;
  for (const model::ModelFamily& family : model::model_families())
    for (const auto& config : family.named_configs()) names += (names.empty() ? "" : " | ") + config->shape().name;
  return names;
}

// DATA_DIR/gpt2_tokenizer when it holds the GPT-2 pair (data/README.md), else "".
std::string data_dir_gpt2_tokenizer(const std::string& data_dir) {
  const std::filesystem::path dir = std::filesystem::path(data_dir) / "gpt2_tokenizer";
  std::error_code ec;
  const bool pair = std::filesystem::is_regular_file(dir / "vocab.json", ec) &&
                    std::filesystem::is_regular_file(dir / "merges.txt", ec);
  return pair ? dir.string() : "";
}

}  // namespace

void register_init_command(CLI::App& app) {
  struct Options {
    std::string config = "gpt2";
    uint64_t seed = 0;
    std::string out;
    std::string tokenizer;
    std::string data_dir = data::default_data_dir();
    std::string dtype = "fp32";
  };
  auto options = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("init", "Write a randomly initialised checkpoint (HF layout)");
  cmd->add_option("--config", options->config, named_shapes() + ", or a config.json path")->capture_default_str();
  cmd->add_option("--seed", options->seed, "random seed")->capture_default_str();
  cmd->add_option("--out", options->out, "output folder")->required();
  cmd->add_option("--tokenizer", options->tokenizer,
                  "tokenizer folder to copy alongside (vocab.json + merges.txt, or tokenizer.model); without it, GPT-2 "
                  "gets --data-dir's gpt2_tokenizer (when there) and SentencePiece families (llama, mistral) a "
                  "tokenizer.model trained on the news text of --data-dir");
  cmd->add_option("--dtype", options->dtype, "dtype of the written weights: fp32 | fp16 | bf16 (initialised in fp32)")
      ->capture_default_str();
  cmd->add_option("--data-dir", options->data_dir, "shared data folder (env GPTBENCH_DATA_DIR)")->capture_default_str();
  cmd->callback([options] {
    const std::unique_ptr<model::ModelConfig> config = model::resolve_model_config(options->config);
    const model::ModelShape shape = config->shape();
    fmt::print(stderr, "gptbench init: {} ({} layers, {} heads, width {}, {:.1f}M parameters), seed {}\n",
               shape.name, shape.n_layer, shape.n_head, shape.hidden_size, shape.parameter_count / 1e6,
               options->seed);
    // Inputs are checked before anything is written.
    const c10::ScalarType dtype = model::parse_dtype(options->dtype);
    const bool train_tokenizer =
        options->tokenizer.empty() && model::find_family(shape.family, options->config).tokenizer_kind == "sentencepiece";
    // GPT-2 BPE families without --tokenizer: the GPT-2 tokenizer of the data folder, when it is there.
    std::string tokenizer = options->tokenizer;
    if (tokenizer.empty() && !train_tokenizer) tokenizer = data_dir_gpt2_tokenizer(options->data_dir);
    if (!tokenizer.empty()) model::check_tokenizer_files(tokenizer);
    std::vector<std::string> corpus;
    if (train_tokenizer) corpus = data::news_tokenizer_corpus(options->data_dir);
    const std::shared_ptr<model::CausalLm> model = model::init_model(*config, options->seed);
    if (dtype != c10::kFloat) model->to(dtype);  // rounded once from the fp32 initialisation
    model::save_model(*model, options->out);
    if (!tokenizer.empty()) {
      model::copy_tokenizer_files(tokenizer, options->out);
      fmt::print(stderr, "gptbench init: copied the tokenizer of {}\n", tokenizer);
    } else if (!train_tokenizer) {
      fmt::print(stderr, "gptbench init: no tokenizer copied: {}/gpt2_tokenizer has no vocab.json + merges.txt "
                         "(scripts/get_data.sh --only gpt2_tokenizer fetches them, or give --tokenizer DIR); until then "
                         "`gptbench run` on text needs --tokenizer DIR\n", options->data_dir);
    }
    if (train_tokenizer) {
      // Deterministic: the same tokenizer.model bytes on every machine (text/sentencepiece_trainer.h).
      fmt::print(stderr, "gptbench init: training a SentencePiece tokenizer ({} pieces) on {} news texts\n",
                 shape.vocab_size, corpus.size());
      text::SentencePieceTrainOptions train;
      train.vocab_size = static_cast<int32_t>(shape.vocab_size);
      text::train_sentencepiece(corpus, train, std::filesystem::path(options->out) / "tokenizer.model");
    }
    fmt::print(stderr, "gptbench init: wrote {}\n", options->out);
  });
}

}  // namespace gptbench::cli
