// The test driver of the Llama/Mistral parity proof (llama_parity_hf.py): runs LlamaModel on token ids
// directly through the model interface (causal_lm.h, model_family.h), independent of the command line.
//   llama_tool init --config NAME|config.json --seed S --out DIR
//   llama_tool save --model DIR --out DIR2                       (load, then save: the HF layout round trip)
//   llama_tool logits --model DIR --ids IDS.json --out F.safetensors [--variant V] [--dtype D] [--device X]
//   llama_tool generate --model DIR --ids IDS.json --new-tokens N --out F.json [--variant V] [--dtype D] [--device X]
// IDS.json is a list of prompts, each a list of token ids; the batch is left-padded. logits: (B, T, V) fp32
// at every padded position. generate: greedy tokens of each row up to its EOS (excluded), with a KV cache.
// --variant reference runs the brute-force reference attention (attention::make_reference_attention).
#include <ATen/ops/argmax.h>  // at::argmax
#include <c10/core/InferenceMode.h>  // c10::InferenceMode
#include <CLI/CLI.hpp>        // CLI::App

#include <cstdint>    // int32_t, int64_t
#include <exception>  // std::exception
#include <iostream>   // std::cerr
#include <memory>     // std::make_shared
#include <string>     // std::string
#include <vector>     // std::vector

#include "gptbench/attention/variant.h"        // parse_variant
#include "gptbench/io/json_input.h"            // read_json_file
#include "gptbench/io/json_output.h"           // write_json_atomic
#include "gptbench/io/safetensors.h"           // write_safetensors
#include "gptbench/model/checkpoint.h"         // load_model, save_model, parse_dtype, parse_device
#include "gptbench/model/generator.h"          // left_pad, kPadId
#include "gptbench/model/llama_config.h"       // LlamaConfig
#include "gptbench/model/llama_model.h"        // llama_attention_spec
#include "gptbench/model/model_family.h"       // resolve_model_config, init_model, with_attention

namespace {

using namespace gptbench;
using Model = std::shared_ptr<model::CausalLm>;

struct Options {
  std::string model, ids, out, config, variant = "standard", dtype = "fp32", device = "cpu";
  uint64_t seed = 0;
  int64_t new_tokens = 16;
};

std::vector<std::vector<int32_t>> read_ids(const std::string& path) {
  return io::read_json_file(path).get<std::vector<std::vector<int32_t>>>();
}

// The checkpoint through the family table, with the reference attention when --variant reference.
Model load(const Options& o) {
  const bool reference = o.variant == "reference";
  const attention::AttentionSpec spec = reference ? attention::AttentionSpec{} : attention::parse_variant(o.variant);
  Model m = model::load_model(o.model, spec, model::parse_dtype(o.dtype), model::parse_device(o.device)).model;
  if (!reference) return m;
  const auto& config = model::config_as<model::LlamaConfig>(m->config(), "llama or mistral");
  const attention::AttentionSpec with_window = model::llama_attention_spec(config, spec);
  return model::with_attention(*m, with_window, attention::make_reference_attention(with_window));
}

void logits(const Options& o) {
  Model m = load(o);
  c10::InferenceMode guard;
  const model::PaddedBatch batch = model::left_pad(read_ids(o.ids), model::kPadId, m->device());
  const attention::AttentionPositions positions{batch.key_start, 0, {}, batch.left_padded};
  const at::Tensor out = m->forward(batch.ids, positions, nullptr, model::LogitsMode::kAllPositions)
                             .to(at::kCPU, at::kFloat)
                             .contiguous();  // (B, T, V)
  io::write_safetensors(o.out, {{"logits", io::DType::kF32, out.sizes().vec(), out.data_ptr(),
                                 static_cast<size_t>(out.nbytes())}});
}

void generate(const Options& o) {
  Model m = load(o);
  c10::InferenceMode guard;
  const model::PaddedBatch batch = model::left_pad(read_ids(o.ids), model::kPadId, m->device());
  const int64_t rows = batch.ids.size(0), eos = m->shape().eos_token_id;
  auto cache = m->make_cache(batch.key_start, batch.length + o.new_tokens);
  attention::AttentionPositions positions{batch.key_start, 0, {}, batch.left_padded};
  at::Tensor step_logits = m->forward(batch.ids, positions, cache.get(), model::LogitsMode::kLastPosition);
  std::vector<std::vector<int64_t>> tokens(rows);
  std::vector<bool> done(rows, false);
  for (int64_t step = 0; step < o.new_tokens; ++step) {
    const at::Tensor next = at::argmax(step_logits, -1);  // (B, 1)
    const at::Tensor host = next.to(at::kCPU);
    bool all_done = true;
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t id = host[r][0].item<int64_t>();
      if (!done[r] && id == eos) done[r] = true;
      if (!done[r]) tokens[r].push_back(id);
      all_done = all_done && done[r];
    }
    if (all_done || step + 1 == o.new_tokens) break;
    positions.q_pos0 = batch.length + step;
    step_logits = m->forward(next, positions, cache.get(), model::LogitsMode::kLastPosition);
  }
  io::write_json_atomic(o.out, nlohmann::json{{"tokens", tokens}, {"kernels", m->last_kernels().attention}});
}

void init(const Options& o) {
  const Model m = model::init_model(*model::resolve_model_config(o.config), o.seed);
  model::save_model(*m, o.out);
}

void save(const Options& o) {
  Model m = load(o);
  model::save_model(*m, o.out);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Llama/Mistral test driver"};
  app.require_subcommand(1);
  Options o;
  auto add_model_flags = [&o](CLI::App* c, bool with_ids) {
    c->add_option("--model", o.model)->required();
    c->add_option("--out", o.out)->required();
    c->add_option("--variant", o.variant);
    c->add_option("--dtype", o.dtype);
    c->add_option("--device", o.device);
    if (with_ids) c->add_option("--ids", o.ids)->required();
  };
  CLI::App* logits_cmd = app.add_subcommand("logits");
  add_model_flags(logits_cmd, true);
  CLI::App* generate_cmd = app.add_subcommand("generate");
  add_model_flags(generate_cmd, true);
  generate_cmd->add_option("--new-tokens", o.new_tokens);
  CLI::App* save_cmd = app.add_subcommand("save");
  add_model_flags(save_cmd, false);
  CLI::App* init_cmd = app.add_subcommand("init");
  init_cmd->add_option("--config", o.config)->required();
  init_cmd->add_option("--seed", o.seed);
  init_cmd->add_option("--out", o.out)->required();
  CLI11_PARSE(app, argc, argv);
  try {
    if (*logits_cmd) logits(o);
    if (*generate_cmd) generate(o);
    if (*save_cmd) save(o);
    if (*init_cmd) init(o);
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
