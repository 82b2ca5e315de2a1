// gptbench init: writes a randomly initialised checkpoint of a named shape (any family) in Hugging Face layout.
#include <fmt/format.h>  // fmt::print

#include <memory>  // std::shared_ptr, std::unique_ptr
#include <string>  // std::string

#include "command.h"                       // register_init_command
#include "gptbench/model/checkpoint.h"     // save_model, check_tokenizer_files, copy_tokenizer_files
#include "gptbench/model/model_family.h"   // resolve_model_config, init_model, model_families

namespace gptbench::cli {
namespace {

// "gpt2 | distilgpt2 | ...": every family's named shapes, for --config's help.
std::string named_shapes() {
  std::string names;
  for (const model::ModelFamily& family : model::model_families())
    for (const auto& config : family.named_configs()) names += (names.empty() ? "" : " | ") + config->shape().name;
  return names;
}

}  // namespace

void register_init_command(CLI::App& app) {
  struct Options {
    std::string config = "gpt2";
    uint64_t seed = 0;
    std::string out;
    std::string tokenizer;
  };
  auto options = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("init", "Write a randomly initialised checkpoint (HF layout)");
  cmd->add_option("--config", options->config, named_shapes() + ", or a config.json path")->capture_default_str();
  cmd->add_option("--seed", options->seed, "random seed")->capture_default_str();
  cmd->add_option("--out", options->out, "output folder")->required();
  cmd->add_option("--tokenizer", options->tokenizer, "folder with vocab.json + merges.txt to copy alongside");
  cmd->callback([options] {
    const std::unique_ptr<model::ModelConfig> config = model::resolve_model_config(options->config);
    const model::ModelShape shape = config->shape();
    fmt::print(stderr, "gptbench init: {} ({} layers, {} heads, width {}, {:.1f}M parameters), seed {}\n",
               shape.name, shape.n_layer, shape.n_head, shape.hidden_size, shape.parameter_count / 1e6,
               options->seed);
    if (!options->tokenizer.empty()) model::check_tokenizer_files(options->tokenizer);  // before anything is written
    const std::shared_ptr<model::CausalLm> model = model::init_model(*config, options->seed);
    model::save_model(*model, options->out);
    if (!options->tokenizer.empty()) model::copy_tokenizer_files(options->tokenizer, options->out);
    fmt::print(stderr, "gptbench init: wrote {}\n", options->out);
  });
}

}  // namespace gptbench::cli
