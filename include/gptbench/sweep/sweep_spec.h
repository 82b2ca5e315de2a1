// What a sweep is: its axes (lists of values whose cross product are the cells) and the fixed
// options every cell shares, read from a --config JSON file and/or command-line flags (flags
// override the file key by key). The definition JSON (axes + fixed) identifies a sweep: resume,
// shards and merge refuse files of another definition (docs/result-schema.md, "sweep").
#pragma once

#include <nlohmann/json.hpp>  // nlohmann::json

#include <cstdint>     // int64_t
#include <filesystem>  // std::filesystem::path
#include <map>         // std::map
#include <optional>    // std::optional
#include <string>      // std::string
#include <vector>      // std::vector

#include "gptbench/run/run_config.h"  // RunConfig

namespace gptbench::sweep {

enum class SettingKind { kAxis, kFixed, kLocal };  // kLocal: used by this host only, not part of the definition

// One setting of a sweep: its --config key (= the flag name without "--"), an optional second flag
// name, its kind and its help text. The table (sweep_settings()) is the one list of them: the CLI
// registers a flag per row and --config accepts exactly these keys.
struct SettingInfo {
  const char* key;
  const char* alias;  // "" or another flag name (CLI only)
  SettingKind kind;
  const char* help;
};
const std::vector<SettingInfo>& sweep_settings();

// A setting's value as written, and where it was written ("--batch-sizes", or `x.json: "batch-sizes"`)
// for error messages.
struct Setting {
  std::string text;
  std::string origin;
};
using SweepSettings = std::map<std::string, Setting>;

// Reads a --config file: a JSON object of setting keys; values are strings (list syntax of
// axis_list.h allowed), integers, or lists of them. Keys starting with '_' are comments.
// UsageError naming the file (and the key) otherwise.
SweepSettings read_sweep_config(const std::filesystem::path& path);

struct SweepAxes {
  std::vector<std::string> variants;  // canonical variant names
  std::vector<std::string> dtypes;    // fp32 | fp16 | bf16
  std::vector<std::optional<int64_t>> windows;  // nullopt: no window given
  std::vector<int64_t> batch_sizes, prompt_tokens, new_tokens;
  std::vector<std::string> quants = {"none"};  // each cell's --quant: none | int8 | int4 | nf4
};

struct SweepSpec {
  SweepAxes axes;
  run::RunConfig base;              // the fixed options (model.device resolved); each cell sets the axis fields
  std::optional<int64_t> batches;   // timed batches per cell (limit = batches x batch size)
  bool min_new_tokens_is_max = true;  // --min-new-tokens max: each cell generates exactly new-tokens
};

// Defaults, then parsing and validation of every setting (UsageError naming its origin).
SweepSpec build_spec(const SweepSettings& settings);

// {"axes": {...}, "fixed": {...}}: equal for two runs of the same sweep on any host and device index.
nlohmann::json definition_json(const SweepSpec& spec);
// 16 hex digits: FNV-1a 64 of the compact, key-sorted dump of the definition.
std::string definition_id(const nlohmann::json& definition);
// The first key path where two definitions differ, with both values ("fixed.warmup: 1 vs 2"); "" if equal.
std::string definition_difference(const nlohmann::json& a, const nlohmann::json& b);

// A --config object that builds this spec again (the worker processes of --devices read it).
nlohmann::json spec_to_config(const SweepSpec& spec);

}  // namespace gptbench::sweep
