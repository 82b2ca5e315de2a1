// gptbench info: config, parameter count and weight bytes of a checkpoint folder.
#include <fmt/format.h>  // fmt::print

#include <nlohmann/json.hpp>  // nlohmann::json

#include <map>     // std::map
#include <memory>  // std::unique_ptr
#include <string>  // std::string

#include "command.h"                      // register_info_command
#include "gptbench/io/safetensors.h"      // SafetensorsCheckpoint
#include "gptbench/model/model_family.h"  // read_model_config
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
    const std::unique_ptr<model::ModelConfig> config = model::read_model_config(dir / "config.json");
    const model::ModelShape shape = config->shape();
    const nlohmann::json details = config->details();
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
        {"family", shape.family},
        {"config_name", shape.name},
        {"n_layer", shape.n_layer},
        {"n_head", shape.n_head},
        {"n_kv_head", shape.n_kv_head},
        {"n_embd", shape.hidden_size},
        {"head_dim", shape.head_dim},
        {"mlp_width", shape.mlp_width},
        {"n_positions", shape.max_positions},
        {"vocab_size", shape.vocab_size},
        {"tied_lm_head", shape.tied_lm_head},
        {"parameters", shape.parameter_count},
        {"checkpoint_tensors", ckpt.tensors().size()},
        {"checkpoint_elements", stored_params},
        {"checkpoint_bytes", bytes},
        {"checkpoint_dtypes", dtypes},
    };
    j.update(details);  // the family's own settings (GPT-2: activation_function, layer_norm_epsilon)
    if (options->json) {
      fmt::print("{}\n", j.dump(2));
      return;
    }
    fmt::print("model            {}\n", dir.string());
    fmt::print("family           {}\n", shape.family);
    fmt::print("config           {} (n_layer {}, n_head {}, n_kv_head {}, n_embd {}, {} {}, vocab {})\n", shape.name,
               shape.n_layer, shape.n_head, shape.n_kv_head, shape.hidden_size, shape.max_positions_key,
               shape.max_positions, shape.vocab_size);
    std::string settings;
    for (const auto& [key, value] : details.items())
      settings += fmt::format("{}{} {}", settings.empty() ? "" : ", ", key,
                              value.is_string() ? value.get<std::string>() : value.dump());
    fmt::print("settings         {}\n", settings);
    fmt::print("parameters       {} ({:.2f}M, {})\n", shape.parameter_count, shape.parameter_count / 1e6,
               shape.tied_lm_head ? "lm_head tied to the token embedding" : "untied lm_head");
    fmt::print("checkpoint bytes {} ({:.1f} MB in {} tensors)\n", bytes, bytes / 1e6, ckpt.tensors().size());
    fmt::print("weights at fp32  {} bytes; fp16/bf16 {} bytes\n", shape.parameter_count * 4,
               shape.parameter_count * 2);
  });
}

}  // namespace gptbench::cli
