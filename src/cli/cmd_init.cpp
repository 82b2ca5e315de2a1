// gptbench init: writes a randomly initialised GPT-2-shaped checkpoint in Hugging Face layout.
#include <fmt/format.h>  // fmt::print

#include "command.h"                       // register_init_command
#include "gptbench/model/checkpoint.h"     // init_model, save_model, copy_tokenizer_files
#include "gptbench/model/gpt2_config.h"    // resolve_config

namespace gptbench::cli {

void register_init_command(CLI::App& app) {
  struct Options {
    std::string config = "gpt2";
    uint64_t seed = 0;
    std::string out;
    std::string tokenizer;
  };
  auto options = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("init", "Write a randomly initialised GPT-2 checkpoint (HF layout)");
  cmd->add_option("--config", options->config,
                  "gpt2 | distilgpt2 | gpt2-medium | gpt2-large | gpt2-xl, or a config.json path")
      ->capture_default_str();
  cmd->add_option("--seed", options->seed, "random seed")->capture_default_str();
  cmd->add_option("--out", options->out, "output folder")->required();
  cmd->add_option("--tokenizer", options->tokenizer, "folder with vocab.json + merges.txt to copy alongside");
  cmd->callback([options] {
    const model::Gpt2Config config = model::resolve_config(options->config);
    fmt::print(stderr, "gptbench init: {} ({} layers, {} heads, width {}, {:.1f}M parameters), seed {}\n",
               config.name, config.n_layer, config.n_head, config.n_embd, config.parameter_count() / 1e6,
               options->seed);
    if (!options->tokenizer.empty()) model::check_tokenizer_files(options->tokenizer);  // before anything is written
    model::Gpt2Model model = model::init_model(config, options->seed);
    model::save_model(model, options->out);
    if (!options->tokenizer.empty()) model::copy_tokenizer_files(options->tokenizer, options->out);
    fmt::print(stderr, "gptbench init: wrote {}\n", options->out);
  });
}

}  // namespace gptbench::cli
