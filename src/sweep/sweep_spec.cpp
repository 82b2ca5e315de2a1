// Sweep settings: the table, --config files, defaults and validation, the definition JSON.
#include "gptbench/sweep/sweep_spec.h"

#include <c10/core/DeviceType.h>  // c10::DeviceTypeName
#include <fmt/format.h>           // fmt::format

#include <algorithm>     // std::find
#include <charconv>      // std::from_chars
#include <cmath>         // std::isfinite
#include <cstdlib>       // std::strtod
#include <set>           // std::set
#include <system_error>  // std::errc

#include "gptbench/attention/variant.h"  // parse_variant, variant_name
#include "gptbench/data/data_dir.h"      // default_data_dir
#include "gptbench/data/split.h"         // kSplitNames, split_name
#include "gptbench/io/json_input.h"      // read_json_file
#include "gptbench/kernels/flash_arch.h"  // FlashArch, kFlashArchNames
#include "gptbench/model/checkpoint.h"   // parse_dtype, dtype_flag_name
#include "gptbench/model/hub_cache.h"    // resolve_model_dir
#include "gptbench/run/model_selection.h"  // ModelSelection, resolve_selection
#include "gptbench/run/run_config.h"     // timing_mode_name, kTimingModeNames, kDatasetNames, to_json
#include "gptbench/run/run_stopping.h"   // run_stopping_rule
#include "gptbench/util/enum_names.h"    // parse_enum, enum_name
#include "gptbench/sweep/axis_list.h"    // parse_int_list, parse_window_list, parse_name_list
#include "gptbench/util/error.h"         // Error, UsageError

namespace gptbench::sweep {
namespace {

constexpr const char* kMinNewTokensMax = "max";

const Setting* find_setting(const SweepSettings& settings, const std::string& key) {
  const auto it = settings.find(key);
  return it == settings.end() ? nullptr : &it->second;
}

// The setting as given, or its default with the flag as origin.
Setting setting_or(const SweepSettings& settings, const std::string& key, const std::string& fallback) {
  const Setting* s = find_setting(settings, key);
  return s != nullptr ? *s : Setting{fallback, "--" + key};
}

int64_t parse_integer(const Setting& s, int64_t min) {
  int64_t value = 0;
  const char* end = s.text.data() + s.text.size();
  const auto [ptr, ec] = std::from_chars(s.text.data(), end, value);
  if (s.text.empty() || ec != std::errc() || ptr != end || value < min)
    throw UsageError(fmt::format("{}: \"{}\" is not an integer >= {}", s.origin, s.text, min));
  return value;
}

std::optional<int64_t> optional_integer(const SweepSettings& settings, const std::string& key, int64_t min) {
  const Setting* s = find_setting(settings, key);
  return s == nullptr ? std::nullopt : std::optional<int64_t>(parse_integer(*s, min));
}

// A number >= 0 (the stopping rule's seconds and noise bound); 0 when the key is absent.
double optional_number(const SweepSettings& settings, const std::string& key) {
  const Setting* s = find_setting(settings, key);
  if (s == nullptr) return 0;
  char* end = nullptr;
  const double value = std::strtod(s->text.c_str(), &end);
  if (s->text.empty() || end != s->text.c_str() + s->text.size() || !(value >= 0) || !std::isfinite(value))
    throw UsageError(fmt::format("{}: \"{}\" is not a number >= 0", s->origin, s->text));
  return value;
}

// Canonical names through `canonical`, refusing two spellings of one value.
template <typename Canonical>
std::vector<std::string> canonical_names(const Setting& s, Canonical canonical) {
  std::vector<std::string> out;
  for (const std::string& name : parse_name_list(s.origin, s.text)) {
    std::string c;
    try {
      c = canonical(name);
    } catch (const UsageError& e) {
      throw UsageError(fmt::format("{}: {}", s.origin, e.what()));
    }
    if (std::find(out.begin(), out.end(), c) != out.end())
      throw UsageError(fmt::format("{}: {} is listed twice (as \"{}\")", s.origin, c, name));
    out.push_back(c);
  }
  return out;
}

// A --config value as setting text: scalars as written, lists joined with ','.
std::string config_value_text(const std::string& where, const nlohmann::json& value, bool list_allowed) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_integer()) return value.dump();
  if (list_allowed && value.is_array()) {
    std::string text;
    for (const auto& item : value) text += (text.empty() ? "" : ",") + config_value_text(where, item, false);
    if (value.empty()) throw UsageError(fmt::format("{}: empty list (give at least one value)", where));
    return text;
  }
  throw UsageError(fmt::format("{}: must be a string or an integer{}, got {}", where, list_allowed ? " or a list of them" : "",
                               value.dump()));
}

std::string known_keys(SettingKind kind) {
  std::string names;
  for (const auto& s : sweep_settings())
    if (s.kind == kind) names += fmt::format("{}{}", names.empty() ? "" : ", ", s.key);
  return names;
}

}  // namespace

const std::vector<SettingInfo>& sweep_settings() {
  static const std::vector<SettingInfo> kSettings = {
      {"variants", "", SettingKind::kAxis, "attention variants, e.g. standard,sdpa,flash,flash+alibi,flash+sparse"},
      {"dtypes", "", SettingKind::kAxis, "dtypes: fp32,fp16,bf16"},
      {"quants", "", SettingKind::kAxis, "weight quantizations: none,int8,int4,nf4 (each cell's --quant)"},
      {"windows", "", SettingKind::kAxis,
       "sliding windows of the sparse variants: N, ranges, or none (= the default 256); a window with a variant "
       "without 'sparse' is a skipped cell"},
      {"batch-sizes", "", SettingKind::kAxis, "batch sizes: N, A-B, A-B+STEP, A-B*FACTOR joined with ',' (1,2,4-64*2)"},
      {"prompt-tokens", "seq-lens", SettingKind::kAxis,
       "prompt lengths; synthetic: exactly this many tokens, a dataset: the prompt budget (sources cut to fit)"},
      {"new-tokens", "", SettingKind::kAxis, "new tokens per prompt (each cell's --max-new-tokens)"},
      {"model", "", SettingKind::kFixed, "checkpoint folder (config.json, model.safetensors)"},
      {"tokenizer", "", SettingKind::kFixed, "tokenizer folder (default: the model folder)"},
      {"device", "", SettingKind::kFixed, "auto | cpu | cuda | cuda:N"},
      {"dataset", "", SettingKind::kFixed, "synthetic (default) | news_summary | cnn_dailymail | jsonl"},
      {"data", "", SettingKind::kFixed, "dataset file or folder (default: the dataset's file under --data-dir)"},
      {"split", "", SettingKind::kFixed, "train | validation | test | all"},
      {"split-seed", "", SettingKind::kFixed, "seed of the split hash and of the synthetic prompts"},
      {"limit", "", SettingKind::kFixed, "samples per cell (the first N of the split)"},
      {"batches", "", SettingKind::kFixed, "timed batches per cell: limit = batches x the cell's batch size"},
      {"warmup", "", SettingKind::kFixed, "untimed warm-up runs of the first batch"},
      {"min-new-tokens", "", SettingKind::kFixed, "N, or max (default: = each cell's new tokens, fixed lengths)"},
      {"global-tokens", "", SettingKind::kFixed, "sink tokens of the sparse variants"},
      {"flash-arch", "", SettingKind::kFixed, "flash's prefill kernel: auto | sm80 | sm90"},
      {"quant-group", "", SettingKind::kFixed, "int4 group / nf4 block of the quantized cells (default 128 / 64)"},
      {"prompt-template", "", SettingKind::kFixed, "dataset prompts: template with {source}"},
      {"timing", "", SettingKind::kFixed, "generate | forward"},
      // Each cell's stopping rule (gptbench run's, run/run_stopping.h); none given: one pass per cell.
      {"min-batches", "", SettingKind::kFixed, "stopping rule: timed batches per cell at least (default: one pass)"},
      {"min-time", "", SettingKind::kFixed, "stopping rule: seconds of timed batches per cell at least"},
      {"max-noise", "", SettingKind::kFixed, "stopping rule: go on until the e2e latency's std/mean is at most this"},
      {"max-time", "", SettingKind::kFixed, "stopping rule: seconds of timing per cell at most"},
      {"max-batches", "", SettingKind::kFixed, "stopping rule: timed batches per cell at most"},
      {"data-dir", "", SettingKind::kLocal, "shared data folder (env GPTBENCH_DATA_DIR)"},
  };
  return kSettings;
}

SweepSettings read_sweep_config(const std::filesystem::path& path) {
  nlohmann::json j;
  try {
    j = io::read_json_file(path);
  } catch (const Error& e) {
    throw UsageError(fmt::format("--config: {}", e.what()));
  }
  if (!j.is_object()) throw UsageError(fmt::format("{}: not a JSON object", path.string()));
  SweepSettings settings;
  for (const auto& [key, value] : j.items()) {
    if (!key.empty() && key[0] == '_') continue;  // "_comment" and similar notes
    const auto& table = sweep_settings();
    const auto info = std::find_if(table.begin(), table.end(), [&](const SettingInfo& s) { return key == s.key; });
    if (info == table.end())
      throw UsageError(fmt::format("{}: unknown key \"{}\" (axes: {}; options: {}, {})", path.string(), key,
                                   known_keys(SettingKind::kAxis), known_keys(SettingKind::kFixed),
                                   known_keys(SettingKind::kLocal)));
    const std::string where = fmt::format("{}: \"{}\"", path.string(), key);
    // A fixed setting may be a fraction (the stopping rule's seconds and noise; an integer key refuses it).
    const bool fraction = value.is_number_float() && info->kind == SettingKind::kFixed;
    settings[key] = {fraction ? value.dump() : config_value_text(where, value, info->kind == SettingKind::kAxis), where};
  }
  return settings;
}

SweepSpec build_spec(const SweepSettings& settings) {
  SweepSpec spec;
  auto& axes = spec.axes;
  axes.variants = canonical_names(setting_or(settings, "variants", "standard"), [](const std::string& name) {
    return attention::variant_name(attention::parse_variant(name));
  });
  axes.dtypes = canonical_names(setting_or(settings, "dtypes", "fp32"), [](const std::string& name) {
    return model::dtype_flag_name(model::parse_dtype(name));
  });
  axes.quants = canonical_names(setting_or(settings, "quants", "none"), [](const std::string& name) {
    run::ModelSelection flags;  // the cell's rule: --quant's
    flags.quant = name;
    run::resolve_quant(flags);
    return name;
  });
  const Setting windows = setting_or(settings, "windows", "none");
  axes.windows = parse_window_list(windows.origin, windows.text);
  auto ints = [&](const std::string& key, const std::string& fallback) {
    const Setting s = setting_or(settings, key, fallback);
    return parse_int_list(s.origin, s.text);
  };
  axes.batch_sizes = ints("batch-sizes", "1");
  axes.prompt_tokens = ints("prompt-tokens", "512");
  axes.new_tokens = ints("new-tokens", "64");

  run::RunConfig& c = spec.base;
  run::ModelSelection selection;  // each cell sets its variant, window and dtype (cell_run_config)
  const Setting* model = find_setting(settings, "model");
  if (model == nullptr || model->text.empty())
    throw UsageError("--model is required (a checkpoint folder; or \"model\" in the --config file)");
  selection.model_dir = gptbench::model::resolve_model_dir(model->text, model->origin);  // a hub id: its cached snapshot
  c.tokenizer_dir = setting_or(settings, "tokenizer", "").text;
  const Setting device = setting_or(settings, "device", "auto");
  selection.device = device.text;
  selection.data_dir = setting_or(settings, "data-dir", data::default_data_dir()).text;
  const Setting dataset = setting_or(settings, "dataset", "synthetic");
  c.dataset = parse_enum(run::kDatasetNames, dataset.origin, dataset.text);
  c.data_path = setting_or(settings, "data", "").text;
  const Setting split = setting_or(settings, "split", data::split_name(c.split));
  c.split = parse_enum(data::kSplitNames, split.origin, split.text);
  if (const Setting* seed = find_setting(settings, "split-seed"))
    c.split_seed = static_cast<uint64_t>(parse_integer(*seed, 0));
  c.limit = optional_integer(settings, "limit", 1);
  spec.batches = optional_integer(settings, "batches", 1);
  if (c.limit && spec.batches)
    throw UsageError("--limit and --batches both given: a cell's sample count is one or the other");
  if (const auto warmup = optional_integer(settings, "warmup", 0)) c.warmup = *warmup;
  const Setting min_new = setting_or(settings, "min-new-tokens", kMinNewTokensMax);
  spec.min_new_tokens_is_max = min_new.text == kMinNewTokensMax;
  if (!spec.min_new_tokens_is_max) c.min_new_tokens = parse_integer(min_new, 0);
  selection.global_tokens = optional_integer(settings, "global-tokens", 0);
  if (const Setting* arch = find_setting(settings, "flash-arch"))
    selection.flash_arch = parse_enum(kernels::kFlashArchNames, arch->origin, arch->text);
  selection.quant_group = optional_integer(settings, "quant-group", 1);
  c.prompt_template = setting_or(settings, "prompt-template", c.prompt_template).text;
  const Setting timing = setting_or(settings, "timing", run::timing_mode_name(c.timing));
  c.timing = parse_enum(run::kTimingModeNames, timing.origin, timing.text);
  c.stopping.min_batches = optional_integer(settings, "min-batches", 1);
  c.stopping.max_batches = optional_integer(settings, "max-batches", 1);
  c.stopping.min_time_s = optional_number(settings, "min-time");
  c.stopping.max_noise = optional_number(settings, "max-noise");
  c.stopping.max_time_s = optional_number(settings, "max-time");
  run::run_stopping_rule(c.stopping, 1);  // --max-batches below --min-batches fails before any cell
  c.quiet = true;
  // The fixed part resolved once (the device above all); the global tokens wait for a sparse cell.
  run::ModelSelection fixed = selection;
  fixed.global_tokens.reset();
  fixed.quant_group.reset();  // checked with each quantized cell
  try {
    c.model = run::resolve_selection(fixed);
  } catch (const UsageError& e) {
    throw UsageError(fmt::format("{}: {}", device.origin, e.what()));
  }
  c.model.flags = selection;
  return spec;
}

nlohmann::json definition_json(const SweepSpec& spec) {
  const run::RunConfig& c = spec.base;
  auto optional = [](const std::optional<int64_t>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
  nlohmann::json windows = nlohmann::json::array();
  for (const auto& w : spec.axes.windows) windows.push_back(optional(w));
  nlohmann::json definition = {{"axes",
           {{"variant", spec.axes.variants},
            {"dtype", spec.axes.dtypes},
            {"window", windows},
            {"batch_size", spec.axes.batch_sizes},
            {"prompt_tokens", spec.axes.prompt_tokens},
            {"max_new_tokens", spec.axes.new_tokens}}},
          {"fixed",
           {{"model", c.model.flags.model_dir},
            {"tokenizer", c.tokenizer_dir.empty() ? c.model.flags.model_dir : c.tokenizer_dir},
            {"device", c10::DeviceTypeName(c.model.device.type(), /*lower_case=*/true)},
            {"dataset", enum_name(run::kDatasetNames, c.dataset)},
            {"data_path", c.data_path},
            {"split", data::split_name(c.split)},
            {"split_seed", c.split_seed},
            {"limit", optional(c.limit)},
            {"batches", optional(spec.batches)},
            {"warmup", c.warmup},
            {"min_new_tokens", spec.min_new_tokens_is_max ? nlohmann::json(kMinNewTokensMax) : nlohmann::json(c.min_new_tokens)},
            {"global_tokens", optional(c.model.flags.global_tokens)},
            {"prompt_template", c.prompt_template},
            {"timing", run::timing_mode_name(c.timing)}}}};
  // Only a non-default prefill kernel enters the definition, so that older sweeps keep their ids.
  if (c.model.flags.flash_arch != kernels::FlashArch::kAuto)
    definition["fixed"]["flash_arch"] = enum_name(kernels::kFlashArchNames, c.model.flags.flash_arch);
  // Only a sweep that quantizes names it: the definitions (and ids) of the others stay as they were.
  if (spec.axes.quants != std::vector<std::string>{"none"}) definition["axes"]["quant"] = spec.axes.quants;
  if (c.model.flags.quant_group) definition["fixed"]["quant_group"] = *c.model.flags.quant_group;
  // Only a sweep with a stopping rule names it (RunConfig's echo of the flags), so older ids stay.
  if (c.stopping.given()) definition["fixed"]["stopping"] = run::to_json(c).at("stopping");
  return definition;
}

std::string definition_id(const nlohmann::json& definition) {
  uint64_t hash = 0xcbf29ce484222325ULL;  // FNV-1a 64 offset basis
  for (unsigned char byte : definition.dump()) {
    hash ^= byte;
    hash *= 0x100000001b3ULL;  // FNV-1a 64 prime
  }
  return fmt::format("{:016x}", hash);
}

std::string definition_difference(const nlohmann::json& a, const nlohmann::json& b) {
  if (a == b) return "";
  if (a.is_object() && b.is_object()) {
    std::set<std::string> keys;
    for (const auto& [k, v] : a.items()) keys.insert(k);
    for (const auto& [k, v] : b.items()) keys.insert(k);
    for (const std::string& k : keys) {
      const nlohmann::json none;
      const std::string d = definition_difference(a.contains(k) ? a.at(k) : none, b.contains(k) ? b.at(k) : none);
      if (!d.empty()) return d.rfind(" ", 0) == 0 ? k + ":" + d : k + "." + d;
    }
  }
  return fmt::format(" {} vs {}", a.dump(), b.dump());
}

nlohmann::json spec_to_config(const SweepSpec& spec) {
  const run::RunConfig& c = spec.base;
  nlohmann::json windows = nlohmann::json::array();
  for (const auto& w : spec.axes.windows) windows.push_back(w ? nlohmann::json(*w) : nlohmann::json("none"));
  nlohmann::json j = {{"variants", spec.axes.variants},
                      {"dtypes", spec.axes.dtypes},
                      {"windows", windows},
                      {"batch-sizes", spec.axes.batch_sizes},
                      {"prompt-tokens", spec.axes.prompt_tokens},
                      {"new-tokens", spec.axes.new_tokens},
                      {"model", c.model.flags.model_dir},
                      {"device", c.model.flags.device},
                      {"dataset", enum_name(run::kDatasetNames, c.dataset)},
                      {"data-dir", c.model.flags.data_dir},
                      {"split", data::split_name(c.split)},
                      {"split-seed", std::to_string(c.split_seed)},
                      {"warmup", c.warmup},
                      {"min-new-tokens", spec.min_new_tokens_is_max ? nlohmann::json(kMinNewTokensMax)
                                                                    : nlohmann::json(c.min_new_tokens)},
                      {"prompt-template", c.prompt_template},
                      {"timing", run::timing_mode_name(c.timing)}};
  if (!c.tokenizer_dir.empty()) j["tokenizer"] = c.tokenizer_dir;
  if (!c.data_path.empty()) j["data"] = c.data_path;
  if (c.limit) j["limit"] = *c.limit;
  if (spec.batches) j["batches"] = *spec.batches;
  if (c.model.flags.global_tokens) j["global-tokens"] = *c.model.flags.global_tokens;
  if (c.model.flags.flash_arch != kernels::FlashArch::kAuto)
    j["flash-arch"] = enum_name(kernels::kFlashArchNames, c.model.flags.flash_arch);
  if (spec.axes.quants != std::vector<std::string>{"none"}) j["quants"] = spec.axes.quants;
  if (c.model.flags.quant_group) j["quant-group"] = *c.model.flags.quant_group;
  const run::RunStoppingFlags& st = c.stopping;
  if (st.min_batches) j["min-batches"] = *st.min_batches;
  if (st.max_batches) j["max-batches"] = *st.max_batches;
  if (st.min_time_s != 0) j["min-time"] = st.min_time_s;
  if (st.max_noise != 0) j["max-noise"] = st.max_noise;
  if (st.max_time_s != 0) j["max-time"] = st.max_time_s;
  return j;
}

}  // namespace gptbench::sweep
