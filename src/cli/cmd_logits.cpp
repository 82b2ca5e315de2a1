// gptbench logits: the full-sequence logits of a left-padded batch of token ids, written as a
// safetensors file. It is the golden-file interface the parity tests compare with transformers.
#include <ATen/ops/empty.h>  // at::empty
#include <c10/core/InferenceMode.h>  // c10::InferenceMode
#include <fmt/format.h>  // fmt::print, fmt::format

#include <nlohmann/json.hpp>  // nlohmann::json

#include "command.h"                   // register_logits_command
#include "gptbench/io/json_input.h"    // read_json_file
#include "gptbench/io/json_integer.h"  // json_integer
#include "gptbench/io/output_path.h"   // check_output_path
#include "gptbench/io/safetensors.h"   // write_safetensors
#include "gptbench/model/generator.h"  // left_pad, check_fits_context
#include "gptbench/run/model_selection.h"  // ModelSelection, resolve_selection, load_selected_model
#include "gptbench/util/check.h"       // GPTBENCH_CHECK
#include "model_options.h"             // add_model_options

namespace gptbench::cli {
namespace {

std::vector<std::vector<int32_t>> read_id_batch(const std::string& path) {
  const nlohmann::json j = io::read_json_file(path);
  GPTBENCH_CHECK(j.is_array() && !j.empty(), "{}: expected a JSON array of id arrays", path);
  std::vector<std::vector<int32_t>> batch;
  for (size_t r = 0; r < j.size(); ++r) {
    GPTBENCH_CHECK(j[r].is_array() && !j[r].empty(), "{}: row {} is not a non-empty array of ids", path, r);
    std::vector<int32_t> row;
    for (const auto& id : j[r]) {
      row.push_back(io::json_integer<int32_t>(id, fmt::format("{}: row {}: id", path, r), 0));
    }
    batch.push_back(std::move(row));
  }
  return batch;
}

}  // namespace

void register_logits_command(CLI::App& app) {
  struct Options {
    run::ModelSelection model;
    std::string ids_file;
    std::string out;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("logits", "Write the fp32 logits (B, T, V) of a left-padded batch of ids");
  add_model_options(cmd, o->model);
  cmd->add_option("--ids", o->ids_file, "JSON file: [[id, ...], ...], one row per prompt")->required();
  cmd->add_option("--out", o->out, "output .safetensors file (tensor \"logits\")")->required();
  cmd->callback([o] {
    io::check_output_path(o->out, "--out", {o->ids_file, o->model.model_dir + "/model.safetensors"});
    const run::ResolvedSelection m = run::resolve_selection(o->model);
    const auto prompts = read_id_batch(o->ids_file);
    model::LoadedModel loaded = run::load_selected_model(m);
    const model::ModelShape& shape = loaded.model->shape();
    for (const auto& p : prompts)
      for (int32_t id : p)
        GPTBENCH_CHECK(id >= 0 && id < shape.vocab_size, "{}: id {} outside the vocabulary of {}", o->ids_file, id,
                       shape.vocab_size);
    c10::InferenceMode inference_mode;
    model::PaddedBatch batch = model::left_pad(prompts, model::kPadId, m.device);
    model::check_fits_context(shape, m.attention, batch.length, 0);
    attention::AttentionPositions positions{batch.key_start, 0, {}, batch.left_padded};
    at::Tensor logits = loaded.model->forward(batch.ids, positions, nullptr, model::LogitsMode::kAllPositions)
                            .to(at::kFloat)
                            .to(at::kCPU)
                            .contiguous();
    io::write_safetensors(o->out, {{"logits", io::DType::kF32,
                                    std::vector<int64_t>(logits.sizes().begin(), logits.sizes().end()),
                                    logits.data_ptr(), static_cast<size_t>(logits.nbytes())}},
                          {{"kernel", loaded.model->last_kernel()}});
    fmt::print(stderr, "gptbench logits: wrote {} ({} x {} x {})\n", o->out, logits.size(0), logits.size(1),
               logits.size(2));
  });
}

}  // namespace gptbench::cli
