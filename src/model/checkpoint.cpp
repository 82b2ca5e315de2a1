// Loading and saving checkpoints of any family in Hugging Face layout, through the family table.
#include "gptbench/model/checkpoint.h"

#include <ATen/ops/from_blob.h>     // at::from_blob
#include <c10/core/GradMode.h>      // c10::AutoGradMode
#include <fmt/format.h>             // fmt::format
#include <fmt/ranges.h>             // fmt::join
#include <torch/cuda.h>             // torch::cuda::device_count, torch::cuda::is_available

#include <map>            // std::map
#include <set>            // std::set
#include <string>         // std::string
#include <unordered_map>  // std::unordered_map
#include <utility>        // std::pair
#include <vector>         // std::vector

#include "gptbench/attention/learned_options.h"  // apply_recorded_options
#include "gptbench/attention/variant.h"  // variant_name
#include "gptbench/io/atomic_file.h"   // write_file_atomic, read_file
#include "gptbench/io/json_output.h"   // write_json_atomic
#include "gptbench/io/safetensors.h"   // SafetensorsCheckpoint, write_safetensors
#include "gptbench/model/model_family.h"  // ModelFamily, family_of, find_family, read_model_config, build_model
#include "gptbench/model/quantized_model_checkpoint.h"  // is_quantized_checkpoint, load_quantized_model
#include "gptbench/text/tokenizer.h"   // tokenizer_files
#include "gptbench/util/check.h"       // GPTBENCH_CHECK
#include "gptbench/util/error.h"       // Error, UsageError

namespace fs = std::filesystem;

namespace gptbench::model {
namespace {

c10::ScalarType to_scalar_type(io::DType dtype) {
  switch (dtype) {
    case io::DType::kF32: return at::kFloat;
    case io::DType::kF16: return at::kHalf;
    case io::DType::kBF16: return at::kBFloat16;
    case io::DType::kU8: case io::DType::kI8: break;  // refused by the reader (ByteDTypes::kRefuse)
  }
  throw Error("unreachable dtype");
}

io::DType to_io_dtype(c10::ScalarType dtype) {
  switch (dtype) {
    case at::kFloat: return io::DType::kF32;
    case at::kHalf: return io::DType::kF16;
    case at::kBFloat16: return io::DType::kBF16;
    default: throw Error(fmt::format("cannot save tensors of dtype {}", c10::toString(dtype)));
  }
}

std::string shape_string(at::IntArrayRef shape) { return fmt::format("[{}]", fmt::join(shape, ", ")); }

std::unordered_map<std::string, at::Tensor> parameters_by_name(const CausalLm& model) {
  std::unordered_map<std::string, at::Tensor> params;
  for (const auto& item : model.named_parameters(/*recurse=*/true)) params.emplace(item.key(), item.value());
  return params;
}

// The checkpoint tensor of each expected key, accepting keys with and without the family's prefix
// ("transformer.x" and "x"). Errors on missing, duplicated and unexpected tensors, naming the first.
std::map<std::string, const io::TensorView*> match_tensors(const io::SafetensorsCheckpoint& ckpt,
                                                           const ModelFamily& family,
                                                           const std::vector<WeightEntry>& entries,
                                                           const std::string& dir) {
  const std::string_view prefix = family.checkpoint_prefix;
  std::map<std::string, const io::TensorView*> by_key;
  std::vector<std::string> unexpected;
  std::set<std::string> expected;
  for (const auto& e : entries) expected.insert(e.hf_name);
  for (const io::TensorView* t : ckpt.tensors()) {
    std::string key = t->name;
    if (!prefix.empty() && key.compare(0, prefix.size(), prefix) == 0) key = key.substr(prefix.size());
    if (!expected.count(key)) {
      if (!family.ignored_checkpoint_key(t->name)) unexpected.push_back(t->name);
      continue;
    }
    GPTBENCH_CHECK(!by_key.count(key), "{}: tensor {} appears twice (with and without the \"{}\" prefix)", dir, key,
                   prefix);
    by_key[key] = t;
  }
  if (!unexpected.empty()) {
    throw Error(fmt::format("{}: {} unexpected tensor(s) for a {} with this config.json, first: {}", dir,
                            unexpected.size(), family.model_type, unexpected.front()));
  }
  std::vector<std::string> missing;
  for (const auto& e : entries)
    if (!by_key.count(e.hf_name) && !e.variant_parameter) missing.push_back(e.hf_name);
  if (!missing.empty()) {
    throw Error(fmt::format("{}: {} tensor(s) missing from the checkpoint, first: {}", dir, missing.size(),
                            missing.front()));
  }
  return by_key;
}

// The part of a parameter that one checkpoint tensor holds: all of it, or its rows of a fused parameter.
at::Tensor rows_of(const at::Tensor& param, const WeightEntry& e) {
  return e.rows > 0 ? param.narrow(0, e.row0, e.rows) : param;
}

void check_is_directory(const fs::path& dir) {
  GPTBENCH_CHECK(fs::exists(dir), "{}: no such directory", dir.string());
  GPTBENCH_CHECK(fs::is_directory(dir), "{}: not a directory", dir.string());
}

}  // namespace

attention::AttentionSpec with_recorded_options(const ModelConfig& config, attention::AttentionSpec spec,
                                               const std::string& source) {
  if (config.trained_variant == attention::variant_name(spec))
    attention::apply_recorded_options(spec.learned, config.trained_options, source);
  return spec;
}

LoadedModel load_model(const fs::path& dir, const attention::AttentionSpec& flags_spec, c10::ScalarType dtype,
                       c10::Device device, const QuantRequest& quant) {
  check_is_directory(dir);
  const std::unique_ptr<ModelConfig> config = read_model_config(dir / "config.json");
  const attention::AttentionSpec spec = with_recorded_options(*config, flags_spec, (dir / "config.json").string());
  check_attention_supported(config->shape(), spec, dtype, device);
  if (is_quantized_checkpoint(dir)) return load_quantized_model(dir, *config, spec, dtype, device, quant);
  const ModelFamily& family = find_family(config->shape().family, (dir / "config.json").string());
  const io::SafetensorsCheckpoint ckpt = io::SafetensorsCheckpoint::open_dir(dir);
  const std::vector<WeightEntry> entries = family.weight_map(*config);
  const auto tensors = match_tensors(ckpt, family, entries, dir.string());

  LoadedModel loaded;
  // Allocated where they end (a 7B model is never first made in fp32 on the CPU), then the small rest moved.
  loaded.model = build_model(*config, spec, nullptr, at::TensorOptions().dtype(dtype).device(device));
  loaded.model->to(device, dtype);
  auto params = parameters_by_name(*loaded.model);
  c10::AutoGradMode no_grad(false);
  for (const auto& e : entries) {
    if (e.variant_parameter && (!tensors.count(e.hf_name) || !params.count(e.module_name))) continue;
    const io::TensorView& view = *tensors.at(e.hf_name);
    at::Tensor param = rows_of(params.at(e.module_name), e);
    std::vector<int64_t> expected(param.sizes().begin(), param.sizes().end());
    if (e.layout == WeightLayout::kConv1D) std::swap(expected[0], expected[1]);
    GPTBENCH_CHECK(view.shape == expected,
                   "{}: tensor {} has shape {} but config.json implies {} (does config.json match the weights?)",
                   ckpt.source_of(view), view.name, shape_string(view.shape), shape_string(expected));
    at::Tensor src = at::from_blob(const_cast<std::byte*>(view.data), view.shape,
                                   at::TensorOptions().dtype(to_scalar_type(view.dtype)));
    if (e.layout == WeightLayout::kConv1D) src = src.t();
    param.detach().copy_(src);
    loaded.checkpoint_bytes += static_cast<int64_t>(view.nbytes);
  }
  loaded.model->eval();
  if (quant.spec) loaded.quant = quantize_model(*loaded.model, *quant.spec, quant.lm_head);
  loaded.weight_bytes = held_weight_bytes(*loaded.model);
  return loaded;
}

void save_model(const CausalLm& model, const fs::path& dir) {
  GPTBENCH_CHECK(!quant_summary(model), "{}: the model is quantized: `gptbench quantize` writes quantized checkpoints",
                 dir.string());
  std::error_code ec;
  fs::create_directories(dir, ec);
  GPTBENCH_CHECK(!ec && fs::is_directory(dir), "{}: cannot create directory: {}", dir.string(), ec.message());
  const ModelFamily& family = family_of(model);
  auto params = parameters_by_name(model);
  std::vector<at::Tensor> keep_alive;
  std::vector<io::TensorToWrite> out;
  for (const auto& e : family.weight_map(model.config())) {
    if (e.variant_parameter && !params.count(e.module_name)) continue;
    at::Tensor t = rows_of(params.at(e.module_name), e).detach().to(at::kCPU);
    if (e.layout == WeightLayout::kConv1D) t = t.t();
    t = t.contiguous();
    keep_alive.push_back(t);
    out.push_back({std::string(family.checkpoint_prefix) + e.hf_name, to_io_dtype(t.scalar_type()),
                   std::vector<int64_t>(t.sizes().begin(), t.sizes().end()), t.data_ptr(),
                   static_cast<size_t>(t.nbytes())});
  }
  io::write_safetensors(dir / "model.safetensors", out, {{"format", "pt"}});
  io::write_json_atomic(dir / "config.json", model.config().to_json());
}

void check_tokenizer_files(const fs::path& from) {
  check_is_directory(from);
  text::tokenizer_files(from);
}

void copy_tokenizer_files(const fs::path& from, const fs::path& to) {
  check_is_directory(from);
  for (const auto& [src, name] : text::tokenizer_files(from)) io::write_file_atomic(to / name, io::read_file(src));
}

void copy_parameters(const CausalLm& from, CausalLm& to) {
  const c10::Device device = to.device();
  for (const auto& [name, p] : named_projections(from)) {
    if (!p->is_quantized()) continue;
    if (name == kLmHeadModule) to.untied_lm_head();
    for (auto& [to_name, q] : named_projections(to)) {
      if (to_name == name) q->set_quantized(p->quantized(), name);
    }
  }
  to.to(device);  // the quantized weights onto `to`'s device
  auto source = parameters_by_name(from);
  std::set<std::string> variant_parameters;  // may be absent from `from`: `to` keeps its own initialisation
  for (const auto& e : family_of(to).weight_map(to.config()))
    if (e.variant_parameter) variant_parameters.insert(e.module_name);
  c10::AutoGradMode no_grad(false);
  for (auto& [name, param] : parameters_by_name(to)) {
    if (!source.count(name) && variant_parameters.count(name)) continue;
    param.detach().copy_(source.at(name));
  }
}

c10::ScalarType parse_dtype(const std::string& name) {
  if (name == "fp32") return at::kFloat;
  if (name == "fp16") return at::kHalf;
  if (name == "bf16") return at::kBFloat16;
  throw UsageError(fmt::format("--dtype: unknown dtype \"{}\" (fp32, fp16, bf16)", name));
}

std::string dtype_flag_name(c10::ScalarType dtype) {
  switch (dtype) {
    case at::kFloat: return "fp32";
    case at::kHalf: return "fp16";
    case at::kBFloat16: return "bf16";
    default: return c10::toString(dtype);
  }
}

c10::Device parse_device(const std::string& name) {
  if (name == "cpu") return c10::Device(c10::kCPU);
  if (name == "cuda" || name.rfind("cuda:", 0) == 0) {
    int index = 0;
    if (name.size() > 5) {
      try {
        size_t used = 0;
        index = std::stoi(name.substr(5), &used);
        if (used != name.size() - 5 || index < 0) throw std::invalid_argument("index");
      } catch (const std::exception&) {
        throw UsageError(fmt::format("--device: bad device \"{}\" (cpu, cuda, cuda:N)", name));
      }
    }
    const int available = static_cast<int>(torch::cuda::device_count());
    if (available == 0) throw UsageError(fmt::format("--device {}: no CUDA device is available on this machine", name));
    if (index >= available)
      throw UsageError(fmt::format("--device {}: only {} CUDA device(s) available", name, available));
    return c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(index));
  }
  throw UsageError(fmt::format("--device: unknown device \"{}\" (cpu, cuda, cuda:N)", name));
}

c10::Device resolve_device(const std::string& name) {
  return parse_device(name == "auto" ? (torch::cuda::is_available() ? "cuda" : "cpu") : name);
}

}  // namespace gptbench::model
