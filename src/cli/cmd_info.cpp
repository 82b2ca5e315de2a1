// gptbench info: config, parameter count and weight bytes of a checkpoint folder.
#include <fmt/format.h>  // fmt::print

#include <nlohmann/json.hpp>  // nlohmann::json

#include "command.h"                      // register_info_command
#include "gptbench/io/safetensors.h"      // SafetensorsCheckpoint
#include "gptbench/model/gpt2_config.h"   // read_config_json
#include "gptbench/util/check.h"          // GPTBENCH_CHECK
#include "model_options.h"                // add_model_dir_option

namespace gptbench::cli {

void register_info_command(CLI::App& app) {
  struct Options {
    run::ModelSelection model;  // --model only: info reads the files, it builds no model
    bool json = false;
  };
  auto options = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("info", "Print a checkpoint's config, parameter count and weight bytes");
  add_model_dir_option(cmd, options->model);
  cmd->add_flag("--json", options->json, "print one JSON object");
  cmd->callback([options] {
    const std::filesystem::path dir = options->model.model_dir;
    GPTBENCH_CHECK(std::filesystem::is_directory(dir), "{}: no such directory", dir.string());
    const model::Gpt2Config config = model::read_config_json(dir / "config.json");
    const io::SafetensorsCheckpoint ckpt = io::SafetensorsCheckpoint::open_dir(dir);
    int64_t bytes = 0, stored_params = 0;
    std::map<std::string, int64_t> dtypes;
    for (const io::TensorView* t : ckpt.tensors()) {
      bytes += static_cast<int64_t>(t->nbytes);
      stored_params += t->numel();
      dtypes[std::string(io::dtype_name(t->dtype))] += 1;
    }
    nlohmann::json j = {
        {"model", dir.string()},
        {"config_name", config.name},
        {"n_layer", config.n_layer},
        {"n_head", config.n_head},
        {"n_embd", config.n_embd},
        {"head_dim", config.head_dim()},
        {"mlp_width", config.mlp_width()},
        {"n_positions", config.n_positions},
        {"vocab_size", config.vocab_size},
        {"layer_norm_epsilon", config.layer_norm_epsilon},
        {"activation_function", config.activation_name},
        {"parameters", config.parameter_count()},
        {"checkpoint_tensors", ckpt.tensors().size()},
        {"checkpoint_elements", stored_params},
        {"checkpoint_bytes", bytes},
        {"checkpoint_dtypes", dtypes},
    };
    if (options->json) {
      fmt::print("{}\n", j.dump(2));
      return;
    }
    fmt::print("model            {}\n", dir.string());
    fmt::print("config           {} (n_layer {}, n_head {}, n_embd {}, n_positions {}, vocab {})\n", config.name,
               config.n_layer, config.n_head, config.n_embd, config.n_positions, config.vocab_size);
    fmt::print("activation       {}, layer_norm_epsilon {}\n", config.activation_name, config.layer_norm_epsilon);
    fmt::print("parameters       {} ({:.2f}M, lm_head tied to wte)\n", config.parameter_count(),
               config.parameter_count() / 1e6);
    fmt::print("checkpoint bytes {} ({:.1f} MB in {} tensors)\n", bytes, bytes / 1e6, ckpt.tensors().size());
    fmt::print("weights at fp32  {} bytes; fp16/bf16 {} bytes\n", config.parameter_count() * 4,
               config.parameter_count() * 2);
  });
}

}  // namespace gptbench::cli
