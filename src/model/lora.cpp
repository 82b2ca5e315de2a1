// LoRA adapters on a model's projections, in PEFT's format (lora.h).
#include "gptbench/model/lora.h"

#include <ATen/CPUGeneratorImpl.h>  // at::CPUGeneratorImpl, at::make_generator
#include <ATen/TensorOperators.h>   // Tensor operators (*, +)
#include <ATen/ops/empty.h>         // at::empty
#include <ATen/ops/from_blob.h>     // at::from_blob
#include <ATen/ops/matmul.h>        // at::matmul
#include <ATen/ops/zeros.h>         // at::zeros
#include <c10/core/GradMode.h>      // c10::NoGradGuard
#include <fmt/format.h>             // fmt::format, fmt::join
#include <fmt/ranges.h>             // fmt::join over vectors
#include <nlohmann/json.hpp>        // nlohmann::json

#include <algorithm>  // std::sort
#include <cmath>    // std::sqrt
#include <map>      // std::map
#include <memory>   // std::make_shared, std::dynamic_pointer_cast
#include <utility>  // std::move

#include "gptbench/io/json_input.h"       // read_json_file, json_excerpt
#include "gptbench/io/json_integer.h"     // json_integer
#include "gptbench/io/json_output.h"      // write_json_atomic
#include "gptbench/io/safetensors.h"      // SafetensorsFile, write_safetensors
#include "gptbench/model/lora_linear.h"   // LoraUpdate, lora_update_reference
#include "gptbench/model/model_family.h"  // family_of, ModelFamily
#include "gptbench/model/projection.h"    // ProjectionImpl, ProjectionAdapter
#include "gptbench/util/check.h"          // GPTBENCH_CHECK
#include "gptbench/util/error.h"          // Error, UsageError

namespace fs = std::filesystem;

namespace gptbench::model {
namespace {

constexpr std::string_view kKeyPrefix = "base_model.model.";  // PEFT's prefix of every saved key
constexpr std::string_view kASuffix = ".lora_A.weight";
constexpr std::string_view kBSuffix = ".lora_B.weight";
constexpr const char* kAdapterName = "lora";  // the adapter's submodule name on a Projection

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// PEFT's rule for a list of target_modules: the module's name equals the target or ends with "." + it.
bool matches(const std::string& module, const std::string& target) {
  return module == target || ends_with(module, "." + target);
}

// One adapter pair: A (r, in), B (rows, r).
class LoraPairImpl : public torch::nn::Module {
 public:
  LoraPairImpl(const at::Tensor& a, const at::Tensor& b) {
    A = register_parameter("A", a);
    B = register_parameter("B", b);
  }
  at::Tensor A, B;
};

// The adapter of one projection: one pair per site, each adding to its row range (lora.h).
class LoraAdapter : public ProjectionAdapter {
 public:
  LoraAdapter(std::vector<LoraSite> sites, std::vector<std::pair<at::Tensor, at::Tensor>> weights, double scaling,
              double dropout, int64_t out)
      : sites_(std::move(sites)), scaling_(scaling), dropout_(dropout), out_(out) {
    for (size_t i = 0; i < sites_.size(); ++i)
      pairs_.push_back(register_module(sites_[i].name, std::make_shared<LoraPairImpl>(weights[i].first, weights[i].second)));
  }

  // x: (..., in) -> (..., out): scaling · B · A · dropout(x) on each site's rows, 0 elsewhere, by
  // unfused ATen ops (the Projection runs low_rank() fused instead; this is the reference).
  at::Tensor forward(const at::Tensor& x) override { return lora_update_reference(x, *low_rank(), out_); }

  // The sites' pairs in row order; dropout only in training.
  std::optional<LoraUpdate> low_rank() const override {
    LoraUpdate u;
    u.scaling = scaling_;
    u.dropout = is_training() ? dropout_ : 0;
    for (size_t i = 0; i < sites_.size(); ++i) u.pairs.push_back({pairs_[i]->A, pairs_[i]->B, sites_[i].row0});
    return u;
  }

  const std::vector<LoraSite>& sites() const { return sites_; }
  const std::vector<std::shared_ptr<LoraPairImpl>>& pairs() const { return pairs_; }

 private:
  std::vector<LoraSite> sites_;
  std::vector<std::shared_ptr<LoraPairImpl>> pairs_;
  double scaling_, dropout_;
  int64_t out_;
};

std::map<std::string, ProjectionImpl*> projections_of(const CausalLm& model) {
  std::map<std::string, ProjectionImpl*> out;
  for (const auto& item : model.named_modules("", /*include_self=*/false))
    if (auto* p = dynamic_cast<ProjectionImpl*>(item.value().get())) out.emplace(item.key(), p);
  return out;
}

// Every projection row range the weight map names: the sites any target could select, in map order.
std::vector<LoraSite> all_sites(const CausalLm& model) {
  const ModelFamily& family = family_of(model);
  const std::map<std::string, ProjectionImpl*> projections = projections_of(model);
  constexpr std::string_view kWeight = ".weight";
  std::vector<LoraSite> sites;
  for (const WeightEntry& e : family.weight_map(model.config())) {
    if (!ends_with(e.module_name, kWeight) || !ends_with(e.hf_name, kWeight)) continue;
    const std::string projection = e.module_name.substr(0, e.module_name.size() - kWeight.size());
    const auto it = projections.find(projection);
    if (it == projections.end()) continue;
    LoraSite s;
    s.projection = projection;
    s.hf_module = std::string(family.checkpoint_prefix) + e.hf_name.substr(0, e.hf_name.size() - kWeight.size());
    s.name = s.hf_module.substr(s.hf_module.rfind('.') + 1);
    s.row0 = e.row0;
    s.rows = e.rows > 0 ? e.rows : it->second->out_features();
    s.in = it->second->in_features();
    sites.push_back(std::move(s));
  }
  return sites;
}

// The Conv1D layout of the family's projections (PEFT's fan_in_fan_out).
bool conv1d_layout(const CausalLm& model) {
  for (const WeightEntry& e : family_of(model).weight_map(model.config()))
    if (e.layout == WeightLayout::kConv1D) return true;
  return false;
}

// Attaches one LoraAdapter per projection over its sites; weights[i] pairs with sites[i].
void attach(CausalLm& model, const std::vector<LoraSite>& sites, std::vector<std::pair<at::Tensor, at::Tensor>> weights,
            double scaling, double dropout) {
  const std::map<std::string, ProjectionImpl*> projections = projections_of(model);
  std::map<std::string, std::vector<size_t>> by_projection;
  for (size_t i = 0; i < sites.size(); ++i) by_projection[sites[i].projection].push_back(i);
  for (auto& [name, members] : by_projection) {
    ProjectionImpl& p = *projections.at(name);
    std::sort(members.begin(), members.end(), [&](size_t a, size_t b) { return sites[a].row0 < sites[b].row0; });
    std::vector<LoraSite> own;
    std::vector<std::pair<at::Tensor, at::Tensor>> own_weights;
    for (size_t i : members) {
      own.push_back(sites[i]);
      own_weights.push_back(std::move(weights[i]));
    }
    auto adapter = std::make_shared<LoraAdapter>(own, std::move(own_weights), scaling, dropout, p.out_features());
    adapter->train(p.is_training());  // a model in eval mode gets no dropout
    p.set_adapter(adapter, kAdapterName);
  }
}

std::vector<std::pair<const LoraSite*, const LoraPairImpl*>> attached_pairs(const CausalLm& model) {
  std::vector<std::pair<const LoraSite*, const LoraPairImpl*>> out;
  for (const auto& [name, p] : projections_of(model)) {
    const auto* adapter = dynamic_cast<const LoraAdapter*>(p->adapter().get());
    if (adapter == nullptr) continue;
    for (size_t i = 0; i < adapter->sites().size(); ++i) out.emplace_back(&adapter->sites()[i], adapter->pairs()[i].get());
  }
  return out;
}

std::string shape_string(const std::vector<int64_t>& shape) { return fmt::format("[{}]", fmt::join(shape, ", ")); }

c10::ScalarType scalar_type_of(const io::TensorView& v) {
  switch (v.dtype) {
    case io::DType::kF32: return at::kFloat;
    case io::DType::kF16: return at::kHalf;
    case io::DType::kBF16: return at::kBFloat16;
    default: throw Error(fmt::format("tensor \"{}\": dtype {} is not a LoRA weight's", v.name, io::dtype_name(v.dtype)));
  }
}

// adapter_config.json, checked: what this loader implements, refused by key otherwise.
LoraSettings read_adapter_config(const fs::path& path) {
  const std::string source = path.string();
  const nlohmann::json j = io::read_json_file(path);
  GPTBENCH_CHECK(j.is_object(), "{}: not a JSON object", source);
  auto key = [&](const char* k) { return fmt::format("{}: \"{}\"", source, k); };
  auto absent_or = [&](const char* k, auto ok) { return !j.contains(k) || j.at(k).is_null() || ok(j.at(k)); };
  auto refuse_unless = [&](const char* k, bool ok, const std::string& what) {
    if (!ok) throw Error(fmt::format("{}: {} is not supported ({})", key(k), io::json_excerpt(j.at(k)), what));
  };
  GPTBENCH_CHECK(j.contains("peft_type"), "{} is missing (a PEFT LoRA adapter has \"peft_type\": \"LORA\")", key("peft_type"));
  refuse_unless("peft_type", j.at("peft_type") == "LORA", "only LoRA adapters load");
  for (const char* k : {"use_dora", "use_rslora", "lora_bias"})
    if (j.contains(k)) refuse_unless(k, absent_or(k, [](const auto& v) { return v == false; }),
                                     "DoRA, rsLoRA and LoRA biases are not implemented");
  if (j.contains("bias")) refuse_unless("bias", j.at("bias") == "none", "only \"none\": biases are not adapted");
  for (const char* k : {"modules_to_save", "layer_replication"})
    if (j.contains(k)) refuse_unless(k, absent_or(k, [](const auto& v) { return v.is_array() && v.empty(); }),
                                     "only adapters, no fully trained modules or replicated layers");
  for (const char* k : {"rank_pattern", "alpha_pattern"})
    if (j.contains(k)) refuse_unless(k, absent_or(k, [](const auto& v) { return v.is_object() && v.empty(); }),
                                     "one rank and alpha for every module");
  LoraSettings s;
  GPTBENCH_CHECK(j.contains("r"), "{} is missing", key("r"));
  s.rank = io::json_integer<int64_t>(j.at("r"), key("r"), 1);
  GPTBENCH_CHECK(j.contains("lora_alpha"), "{} is missing", key("lora_alpha"));
  GPTBENCH_CHECK(j.at("lora_alpha").is_number() && j.at("lora_alpha").get<double>() > 0, "{} must be a number > 0, got {}",
                 key("lora_alpha"), io::json_excerpt(j.at("lora_alpha")));
  s.alpha = j.at("lora_alpha").get<double>();
  if (j.contains("lora_dropout")) {
    const nlohmann::json& d = j.at("lora_dropout");
    GPTBENCH_CHECK(d.is_number() && d.get<double>() >= 0 && d.get<double>() < 1, "{} must be a number in [0, 1), got {}",
                   key("lora_dropout"), io::json_excerpt(d));
    s.dropout = d.get<double>();
  }
  if (j.contains("target_modules")) {  // informational: the sites come from the tensor names
    const nlohmann::json& t = j.at("target_modules");
    if (t.is_string()) s.targets.push_back(t.get<std::string>());
    if (t.is_array())
      for (const auto& x : t)
        if (x.is_string()) s.targets.push_back(x.get<std::string>());
  }
  return s;
}

}  // namespace

std::vector<std::string> lora_family_targets(const CausalLm& model) {
  std::vector<std::string> out;
  for (const LoraTarget& t : family_of(model).lora_targets) out.emplace_back(t.name);
  return out;
}

std::vector<std::string> lora_peft_targets(const CausalLm& model, const std::vector<std::string>& targets) {
  const std::vector<LoraTarget>& table = family_of(model).lora_targets;
  std::vector<std::string> out;
  if (targets.empty()) {
    for (const LoraTarget& t : table)
      if (t.use == LoraTargetUse::kDefault) out.emplace_back(t.peft);
    return out;
  }
  for (const std::string& given : targets) {
    std::string peft = given;
    for (const LoraTarget& t : table)
      if (t.name == given) peft = std::string(t.peft);
    out.push_back(peft);
  }
  return out;
}

std::vector<LoraSite> lora_sites(const CausalLm& model, const std::vector<std::string>& targets,
                                 const std::string& flag) {
  const std::vector<std::string> peft = lora_peft_targets(model, targets);
  const std::vector<LoraSite> all = all_sites(model);
  for (size_t i = 0; i < peft.size(); ++i) {
    bool found = false;
    for (const LoraSite& s : all) found = found || matches(s.hf_module, peft[i]);
    if (!found)
      throw UsageError(fmt::format("{}: \"{}\" matches no linear layer of this {} model (targets: {})", flag,
                                   targets.empty() ? peft[i] : targets[i], model.shape().family,
                                   fmt::join(lora_family_targets(model), ", ")));
  }
  std::vector<LoraSite> out;
  for (const LoraSite& s : all) {
    bool selected = false;
    for (const std::string& t : peft) selected = selected || matches(s.hf_module, t);
    if (selected) out.push_back(s);
  }
  return out;
}

void attach_lora(CausalLm& model, const LoraSettings& settings, uint64_t seed) {
  const std::vector<LoraSite> sites = lora_sites(model, settings.targets, "--lora-targets");
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  const auto f32 = at::TensorOptions().dtype(at::kFloat);
  std::vector<std::pair<at::Tensor, at::Tensor>> weights;
  for (const LoraSite& s : sites) {  // site order: reproducible from the seed
    const double bound = 1.0 / std::sqrt(static_cast<double>(s.in));  // kaiming_uniform_(a = sqrt(5))
    at::Tensor a = at::empty({settings.rank, s.in}, f32).uniform_(-bound, bound, gen).to(model.device());
    weights.emplace_back(a, at::zeros({s.rows, settings.rank}, f32.device(model.device())));
  }
  attach(model, sites, std::move(weights), settings.scaling(), settings.dropout);
}

std::vector<std::pair<std::string, at::Tensor>> lora_parameters(const CausalLm& model) {
  std::vector<std::pair<std::string, at::Tensor>> out;
  const std::string marker = std::string(".") + kAdapterName + ".";
  for (const auto& item : model.named_parameters(/*recurse=*/true))
    if (item.key().find(marker) != std::string::npos) out.emplace_back(item.key(), item.value());
  return out;
}

int64_t lora_parameter_count(const CausalLm& model) {
  int64_t n = 0;
  for (const auto& [name, p] : lora_parameters(model)) n += p.numel();
  return n;
}

int64_t save_lora(const CausalLm& model, const LoraSettings& settings, const fs::path& dir,
                  const std::string& base_model) {
  const auto pairs = attached_pairs(model);
  GPTBENCH_CHECK(!pairs.empty(), "{}: the model carries no LoRA adapters to save", dir.string());
  std::error_code ec;
  fs::create_directories(dir, ec);
  GPTBENCH_CHECK(!ec && fs::is_directory(dir), "{}: cannot create directory: {}", dir.string(), ec.message());
  std::vector<at::Tensor> held;  // CPU fp32 copies, alive until written
  std::vector<io::TensorToWrite> tensors;
  auto add = [&](const std::string& name, const at::Tensor& t) {
    held.push_back(t.detach().to(at::kCPU, at::kFloat).contiguous());
    const at::Tensor& c = held.back();
    tensors.push_back({name, io::DType::kF32, std::vector<int64_t>(c.sizes().begin(), c.sizes().end()), c.data_ptr(),
                       c.nbytes()});
  };
  for (const auto& [site, pair] : pairs) {
    const std::string key = std::string(kKeyPrefix) + site->hf_module;
    add(key + std::string(kASuffix), pair->A);
    add(key + std::string(kBSuffix), pair->B);
  }
  const fs::path weights = dir / "adapter_model.safetensors";
  io::write_safetensors(weights, tensors, {{"format", "pt"}});
  const nlohmann::json config = {
      {"peft_type", "LORA"},
      {"task_type", "CAUSAL_LM"},
      {"base_model_name_or_path", base_model},
      {"r", settings.rank},
      {"lora_alpha", settings.alpha},
      {"lora_dropout", settings.dropout},
      {"target_modules", lora_peft_targets(model, settings.targets)},
      {"fan_in_fan_out", conv1d_layout(model)},
      {"bias", "none"},
      {"use_rslora", false},
      {"use_dora", false},
      {"modules_to_save", nullptr},
      {"init_lora_weights", true},
      {"inference_mode", true},
      {"rank_pattern", nlohmann::json::object()},
      {"alpha_pattern", nlohmann::json::object()},
  };
  io::write_json_atomic(dir / "adapter_config.json", config);  // last: it names a complete adapter
  return static_cast<int64_t>(fs::file_size(weights));
}

LoadedLora load_lora(CausalLm& model, const fs::path& dir, LoraApply apply) {
  GPTBENCH_CHECK(fs::is_directory(dir), "{}: not a folder (an adapter folder holds adapter_config.json and "
                 "adapter_model.safetensors)", dir.string());
  LoadedLora loaded;
  loaded.settings = read_adapter_config(dir / "adapter_config.json");
  const int64_t r = loaded.settings.rank;
  const io::SafetensorsFile file = io::SafetensorsFile::open(dir / "adapter_model.safetensors");
  const std::string& source = file.source();

  std::map<std::string, LoraSite> by_module;
  for (const LoraSite& s : all_sites(model)) by_module.emplace(s.hf_module, s);
  struct Found {
    const io::TensorView *a = nullptr, *b = nullptr;
  };
  std::map<std::string, Found> found;
  for (const io::TensorView& v : file.tensors()) {
    const std::string_view name = v.name;
    const bool is_a = ends_with(name, kASuffix), is_b = ends_with(name, kBSuffix);
    const size_t suffix = is_a ? kASuffix.size() : kBSuffix.size();
    const bool shaped = name.substr(0, kKeyPrefix.size()) == kKeyPrefix && (is_a || is_b) &&
                        name.size() > kKeyPrefix.size() + suffix;
    const std::string module = shaped ? std::string(name.substr(kKeyPrefix.size(), name.size() - kKeyPrefix.size() - suffix)) : "";
    if (!shaped || !by_module.count(module))
      throw Error(fmt::format("{}: tensor \"{}\" is not a LoRA weight of a linear layer of this {} model (expected "
                              "\"base_model.model.<module>.lora_A.weight\" or \".lora_B.weight\", e.g. \"{}{}{}\")",
                              source, v.name, model.shape().family, kKeyPrefix,
                              by_module.empty() ? "" : by_module.begin()->first, kASuffix));
    (is_a ? found[module].a : found[module].b) = &v;
  }
  GPTBENCH_CHECK(!found.empty(), "{}: holds no LoRA weights", source);

  std::vector<LoraSite> sites;
  std::vector<std::pair<at::Tensor, at::Tensor>> weights;
  for (const auto& [module, f] : found) {
    const std::string key = std::string(kKeyPrefix) + module;
    GPTBENCH_CHECK(f.a && f.b, "{}: tensor \"{}{}\" has no \"{}{}\" beside it", source, key, f.a ? kASuffix : kBSuffix,
                   key, f.a ? kBSuffix : kASuffix);
    const LoraSite& s = by_module.at(module);
    auto tensor = [&](const io::TensorView& v, std::vector<int64_t> expected) {
      GPTBENCH_CHECK(v.shape == expected, "{}: tensor \"{}\" has shape {}, expected {} (r {} from adapter_config.json, "
                     "the model's {} is {} x {})", source, v.name, shape_string(v.shape), shape_string(expected), r,
                     module, s.rows, s.in);
      const c10::ScalarType dtype = scalar_type_of(v);
      // A copy: the mapping ends with `file`, and .to() of an F32 view would return the view itself.
      return at::from_blob(const_cast<std::byte*>(v.data), v.shape, at::TensorOptions().dtype(dtype))
          .to(at::kFloat, /*non_blocking=*/false, /*copy=*/true);
    };
    weights.emplace_back(tensor(*f.a, {r, s.in}), tensor(*f.b, {s.rows, r}));
    sites.push_back(s);
  }
  const std::map<std::string, ProjectionImpl*> projections = projections_of(model);
  const double scaling = loaded.settings.scaling();
  loaded.sites = static_cast<int64_t>(sites.size());
  for (const auto& [a, b] : weights) loaded.parameters += a.numel() + b.numel();
  if (apply == LoraApply::kMerge) {
    for (const LoraSite& s : sites)
      if (projections.at(s.projection)->is_quantized())
        throw UsageError(fmt::format("--adapter {}: cannot merge into {}, which is quantized: add --adapter-unmerged "
                                     "(the adapter then runs beside the quantized weight)", dir.string(), s.projection));
    const c10::NoGradGuard no_grad;
    for (size_t i = 0; i < sites.size(); ++i) {
      at::Tensor w = projections.at(sites[i].projection)->weight.narrow(0, sites[i].row0, sites[i].rows);
      const at::Tensor delta = at::matmul(weights[i].second, weights[i].first).to(w.device()) * scaling;  // (rows, in)
      w.copy_(w.to(at::kFloat) + delta);
    }
    loaded.merged = true;
    return loaded;
  }
  for (auto& [a, b] : weights) {
    a = a.to(model.device(), model.dtype());
    b = b.to(model.device(), model.dtype());
  }
  attach(model, sites, std::move(weights), scaling, loaded.settings.dropout);
  return loaded;
}

}  // namespace gptbench::model
