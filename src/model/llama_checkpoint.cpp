// Loading, initialising and saving Llama/Mistral checkpoints in Hugging Face layout.
#include "gptbench/model/llama_checkpoint.h"

#include <ATen/CPUGeneratorImpl.h>  // at::CPUGeneratorImpl, at::make_generator
#include <ATen/ops/cat.h>           // at::cat
#include <ATen/ops/from_blob.h>     // at::from_blob
#include <c10/core/GradMode.h>      // c10::AutoGradMode
#include <fmt/format.h>             // fmt::format
#include <fmt/ranges.h>             // fmt::join

#include <map>            // std::map
#include <set>            // std::set
#include <string>         // std::string
#include <unordered_map>  // std::unordered_map
#include <vector>         // std::vector

#include "gptbench/io/json_output.h"         // write_json_atomic
#include "gptbench/io/safetensors.h"         // SafetensorsCheckpoint, write_safetensors
#include "gptbench/model/llama_weight_map.h" // llama_weight_map, is_ignored_llama_checkpoint_key
#include "gptbench/util/check.h"             // GPTBENCH_CHECK
#include "gptbench/util/error.h"             // Error

namespace fs = std::filesystem;

namespace gptbench::model {
namespace {

constexpr io::DType kFileDtypes[] = {io::DType::kF32, io::DType::kF16, io::DType::kBF16};
c10::ScalarType scalar_type_of(io::DType d) {
  return d == io::DType::kF32 ? at::kFloat : d == io::DType::kF16 ? at::kHalf : at::kBFloat16;
}

io::DType file_dtype_of(c10::ScalarType t) {
  for (io::DType d : kFileDtypes)
    if (scalar_type_of(d) == t) return d;
  throw Error(fmt::format("cannot save tensors of dtype {}", c10::toString(t)));
}

std::unordered_map<std::string, at::Tensor> parameters_by_name(LlamaModel& model) {
  std::unordered_map<std::string, at::Tensor> params;
  for (const auto& item : model->named_parameters(/*recurse=*/true)) params.emplace(item.key(), item.value());
  return params;
}

// The shape a part of `param` has in the checkpoint: its rows, and the parameter's other dims.
std::vector<int64_t> part_shape(const at::Tensor& param, int64_t rows) {
  std::vector<int64_t> shape(param.sizes().begin(), param.sizes().end());
  shape[0] = rows;
  return shape;
}

// The checkpoint tensor of each expected key. Errors on missing and unexpected tensors, naming the first.
std::map<std::string, const io::TensorView*> match_tensors(const io::SafetensorsCheckpoint& ckpt,
                                                           const std::vector<LlamaWeightEntry>& entries,
                                                           const LlamaConfig& config, const std::string& dir) {
  std::set<std::string> expected;
  for (const auto& e : entries)
    for (const auto& part : e.parts) expected.insert(part.hf_name);
  std::map<std::string, const io::TensorView*> by_key;
  std::vector<std::string> unexpected;
  for (const io::TensorView* t : ckpt.tensors()) {
    if (expected.count(t->name)) {
      by_key[t->name] = t;
    } else if (!is_ignored_llama_checkpoint_key(t->name, config)) {
      unexpected.push_back(t->name);
    }
  }
  GPTBENCH_CHECK(unexpected.empty(), "{}: {} unexpected tensor(s) for a {} with this config.json, first: {}", dir,
                 unexpected.size(), config.model_type, unexpected.empty() ? "" : unexpected.front());
  std::vector<std::string> missing;
  for (const std::string& key : expected)
    if (!by_key.count(key)) missing.push_back(key);
  GPTBENCH_CHECK(missing.empty(), "{}: {} tensor(s) missing from the checkpoint, first: {}", dir, missing.size(),
                 missing.empty() ? "" : missing.front());
  return by_key;
}

}  // namespace

LoadedLlama load_llama_model(const fs::path& dir, const attention::AttentionSpec& spec, c10::ScalarType dtype,
                             c10::Device device) {
  GPTBENCH_CHECK(fs::is_directory(dir), "{}: no such directory", dir.string());
  const LlamaConfig config = read_llama_config_json(dir / "config.json");
  const attention::AttentionSpec effective = llama_attention_spec(config, spec);
  attention::check_supported(effective, config.num_attention_heads, config.head_dim(), dtype, device);
  const io::SafetensorsCheckpoint ckpt = io::SafetensorsCheckpoint::open_dir(dir);
  const std::vector<LlamaWeightEntry> entries = llama_weight_map(config);
  const auto tensors = match_tensors(ckpt, entries, config, dir.string());
  // Every shape first, before the model moves to the device and the copies start.
  LoadedLlama loaded;
  loaded.model = LlamaModel(config, effective);
  auto params = parameters_by_name(loaded.model);
  for (const auto& e : entries) {
    for (const auto& part : e.parts) {
      const io::TensorView& view = *tensors.at(part.hf_name);
      const std::vector<int64_t> expected = part_shape(params.at(e.module_name), part.rows);
      GPTBENCH_CHECK(view.shape == expected,
                     "{}: tensor {} has shape [{}] but config.json implies [{}] (does config.json match the weights?)",
                     ckpt.source_of(view), view.name, fmt::join(view.shape, ", "), fmt::join(expected, ", "));
    }
  }
  loaded.model->to(device, dtype);
  params = parameters_by_name(loaded.model);
  c10::AutoGradMode no_grad(false);
  for (const auto& e : entries) {
    at::Tensor param = params.at(e.module_name).detach();
    int64_t row0 = 0;
    for (const auto& part : e.parts) {
      const io::TensorView& view = *tensors.at(part.hf_name);
      const at::Tensor src = at::from_blob(const_cast<std::byte*>(view.data), view.shape,
                                           at::TensorOptions().dtype(scalar_type_of(view.dtype)));
      param.narrow(0, row0, part.rows).copy_(src);
      row0 += part.rows;
      loaded.checkpoint_bytes += static_cast<int64_t>(view.nbytes);
    }
  }
  loaded.model->eval();
  for (const auto& p : loaded.model->parameters()) loaded.weight_bytes += static_cast<int64_t>(p.nbytes());
  return loaded;
}

LlamaModel init_llama_model(const LlamaConfig& config, uint64_t seed) {
  LlamaModel model(config, attention::AttentionSpec{});
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  c10::AutoGradMode no_grad(false);
  auto params = parameters_by_name(model);
  for (const auto& e : llama_weight_map(config)) {  // fixed order: reproducible from the seed
    at::Tensor p = params.at(e.module_name).detach();
    if (p.dim() == 1) {
      p.fill_(1.0);  // RMSNorm
    } else {
      p.normal_(0.0, 0.02, gen);
    }
  }
  return model;
}

void save_llama_model(LlamaModel& model, const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  GPTBENCH_CHECK(!ec && fs::is_directory(dir), "{}: cannot create directory: {}", dir.string(), ec.message());
  auto params = parameters_by_name(model);
  std::vector<at::Tensor> keep_alive;
  std::vector<io::TensorToWrite> out;
  for (const auto& e : llama_weight_map(model->config())) {
    const at::Tensor param = params.at(e.module_name).detach().to(at::kCPU);
    int64_t row0 = 0;
    for (const auto& part : e.parts) {
      const at::Tensor t = param.narrow(0, row0, part.rows).contiguous();
      row0 += part.rows;
      keep_alive.push_back(t);
      out.push_back({part.hf_name, file_dtype_of(t.scalar_type()), std::vector<int64_t>(t.sizes().begin(), t.sizes().end()),
                     t.data_ptr(), static_cast<size_t>(t.nbytes())});
    }
  }
  io::write_safetensors(dir / "model.safetensors", out, {{"format", "pt"}});
  io::write_json_atomic(dir / "config.json", llama_config_to_json(model->config()));
}

}  // namespace gptbench::model
