// Quantized models as checkpoint folders (quantized_model_checkpoint.h).
#include "gptbench/model/quantized_model_checkpoint.h"

#include <c10/core/GradMode.h>    // c10::NoGradGuard
#include <c10/util/StringUtil.h>  // c10::str
#include <fmt/format.h>         // fmt::format

#include <map>            // std::map
#include <string>         // std::string
#include <unordered_map>  // std::unordered_map
#include <utility>        // std::move

#include "gptbench/io/json_output.h"              // write_json_atomic
#include "gptbench/io/safetensors.h"              // SafetensorsFile, ByteDTypes
#include "gptbench/model/model_family.h"          // build_model
#include "gptbench/quant/quantized_checkpoint.h"  // QuantizedTensors, read/write_quantized_safetensors, kQuantVersionKey
#include "gptbench/util/check.h"                  // GPTBENCH_CHECK
#include "gptbench/util/error.h"                  // UsageError

namespace fs = std::filesystem;

namespace gptbench::model {
namespace {

constexpr const char* kWeightsFile = "model.safetensors";
constexpr const char* kWeightSuffix = ".weight";  // a projection's weight: "<module>.weight"

// The file's format, as --quant would say it, for messages.
std::string describe_or_none(const std::optional<quant::QuantSpec>& spec) {
  return spec ? quant::describe(*spec) : "none";
}

// UsageError when --quant (given) asks for something other than what the file holds.
void check_request(const QuantRequest& request, const QuantSummary& held, const std::string& file) {
  if (!request.given) return;
  const bool same = request.spec && request.spec->format == held.spec.format &&
                    request.spec->group == held.spec.group && request.spec->symmetric == held.spec.symmetric;
  if (!same) {
    throw UsageError(fmt::format("--quant {}: {} holds weights quantized as {}; drop --quant (the format is read "
                                 "from the file) or load the unquantized checkpoint",
                                 describe_or_none(request.spec), file, quant::describe(held.spec)));
  }
  if (request.lm_head && !held.lm_head) {
    throw UsageError(fmt::format("--quant-lm-head: {} holds an unquantized lm_head", file));
  }
}

}  // namespace

bool is_quantized_checkpoint(const fs::path& dir) {
  const fs::path file = dir / kWeightsFile;
  if (!fs::is_regular_file(file)) return false;  // sharded checkpoints are never quantized
  const io::SafetensorsFile f = io::SafetensorsFile::open(file, io::ByteDTypes::kAccept);
  return f.metadata().count(quant::kQuantVersionKey) > 0;
}

void save_quantized_model(const CausalLm& model, const fs::path& dir) {
  quant::QuantizedTensors out;
  for (const auto& [name, p] : named_projections(model)) {
    if (p->is_quantized()) out.quantized.emplace(name + kWeightSuffix, p->quantized());
  }
  GPTBENCH_CHECK(!out.quantized.empty(), "{}: the model has no quantized projection to save", dir.string());
  for (const auto& item : model.named_parameters(/*recurse=*/true)) out.plain.emplace(item.key(), item.value());
  out.metadata["format"] = "pt";
  out.metadata["gptbench.model_type"] = model.shape().family;
  quant::write_quantized_safetensors(dir / kWeightsFile, out);
  io::write_json_atomic(dir / "config.json", model.config().to_json());
}

LoadedModel load_quantized_model(const fs::path& dir, const ModelConfig& config, const attention::AttentionSpec& spec,
                                 c10::ScalarType dtype, c10::Device device, const QuantRequest& request) {
  const std::string file = (dir / kWeightsFile).string();
  quant::QuantizedTensors tensors = quant::read_quantized_safetensors(dir / kWeightsFile);
  // Built uninitialised where it runs; set_quantized frees each projection's dense allocation. (libtorch
  // modules cannot leave the meta device, which would avoid that allocation: set_data refuses it.)
  LoadedModel loaded;
  loaded.model = build_model(config, spec, nullptr, at::TensorOptions().dtype(dtype).device(device));
  loaded.model->to(device, dtype);
  CausalLm& m = *loaded.model;
  if (tensors.quantized.count(std::string(kLmHeadModule) + kWeightSuffix) > 0) m.untied_lm_head();
  std::unordered_map<std::string, std::shared_ptr<ProjectionImpl>> projections;
  for (auto& [name, p] : named_projections(m)) projections.emplace(name + kWeightSuffix, p);
  for (auto& [name, w] : tensors.quantized) {
    const auto found = projections.find(name);
    GPTBENCH_CHECK(found != projections.end(), "{}: quantized tensor {} is no projection of a {} with this config.json",
                   file, name, config.shape().family);
    loaded.checkpoint_bytes += quant::weight_bytes(w).after;
    found->second->set_quantized(std::move(w), file + ": " + name.substr(0, name.rfind(kWeightSuffix)));
  }
  c10::NoGradGuard no_grad;
  for (const auto& item : m.named_parameters(/*recurse=*/true)) {
    const auto found = tensors.plain.find(item.key());
    GPTBENCH_CHECK(found != tensors.plain.end(), "{}: tensor {} is missing (a {} with this config.json has it)", file,
                   item.key(), config.shape().family);
    const at::Tensor& t = found->second;
    GPTBENCH_CHECK(t.sizes() == item.value().sizes(), "{}: tensor {} has shape {} but config.json implies {}", file,
                   item.key(), c10::str(t.sizes()), c10::str(item.value().sizes()));
    loaded.checkpoint_bytes += static_cast<int64_t>(t.nbytes());
    item.value().detach().copy_(t);
    tensors.plain.erase(found);
  }
  GPTBENCH_CHECK(tensors.plain.empty(), "{}: {} unexpected tensor(s) for a {} with this config.json, first: {}", file,
                 tensors.plain.size(), config.shape().family, tensors.plain.empty() ? "" : tensors.plain.begin()->first);
  m.to(device, dtype);  // the quantized weights onto the device
  m.eval();
  loaded.quant = quant_summary(m);
  loaded.quant->from_checkpoint = true;
  check_request(request, *loaded.quant, file);
  loaded.weight_bytes = held_weight_bytes(m);
  return loaded;
}

}  // namespace gptbench::model
