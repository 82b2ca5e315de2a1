// Config and environment differences of two run reports (what is compared and why: config_diff.h).
#include "gptbench/compare/config_diff.h"  // this file's declarations

#include <fmt/format.h>  // fmt::format

#include <algorithm>  // std::find
#include <set>        // std::set
#include <variant>    // std::get_if

namespace gptbench::compare {
namespace {

using nlohmann::json;

const std::vector<std::string> kExperimentSections = {"schema_version", "config", "attention", "model"};
const std::vector<std::string> kEnvironmentSections = {"tool", "env", "attention.kernel"};
// Keys of the experiment sections that are not the experiment (config_diff.h says why).
const std::vector<std::string> kNotExperiment = {"config.argv", "config.data_dir", "attention.kernel"};
const std::vector<std::string> kDeviceKeys = {"config.device", "config.device_resolved"};
const std::vector<std::string> kNotEnvironment = {"env.time_utc"};

bool listed(const std::vector<std::string>& keys, const std::string& key) {
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

// "cuda:3" -> "cuda": the device index is where, not what.
json without_device_index(const json& value) {
  if (!value.is_string()) return value;
  const std::string s = value.get<std::string>();
  return s.substr(0, s.find(':'));
}

const json& member(const json& object, const std::string& key) {
  static const json kAbsent;
  return object.is_object() && object.contains(key) ? object.at(key) : kAbsent;
}

// Walks objects key by key; any other value (arrays included) is compared whole.
void diff(const std::string& key, const json& base, const json& current, const std::vector<std::string>& skip,
          std::vector<ConfigDifference>& out) {
  if (listed(skip, key)) return;
  if (base.is_object() && current.is_object()) {
    std::set<std::string> keys;
    for (const auto& [k, v] : base.items()) keys.insert(k);
    for (const auto& [k, v] : current.items()) keys.insert(k);
    for (const std::string& k : keys) diff(key + "." + k, member(base, k), member(current, k), skip, out);
    return;
  }
  const bool device = listed(kDeviceKeys, key);
  if ((device ? without_device_index(base) : base) != (device ? without_device_index(current) : current))
    out.push_back({key, base, current});
}

// The value at a dotted path ("attention.kernel"), or null.
const json& at_path(const json& report, const std::string& path) {
  const size_t dot = path.find('.');
  if (dot == std::string::npos) return member(report, path);
  return member(member(report, path.substr(0, dot)), path.substr(dot + 1));
}

// The report's sections as the diff walks them: schema_version (the major: minor versions only add
// keys), tool, env, config, attention (every key, null where a report has none) and model.
json sections(const report::RunReport& r) {
  const auto* summarization = std::get_if<report::SummarizationResults>(&r.results);
  return {{"schema_version", r.header.schema.major},
          {"tool", to_json(r.header.tool)},
          {"env", r.header.env},
          {"config", r.header.config},
          {"attention", r.attention ? to_json(*r.attention) : json()},
          {"model", summarization != nullptr ? to_json(summarization->model) : json()}};
}

std::vector<ConfigDifference> differences(const json& base, const json& current,
                                          const std::vector<std::string>& sections,
                                          const std::vector<std::string>& skip) {
  std::vector<ConfigDifference> out;
  for (const std::string& section : sections) diff(section, at_path(base, section), at_path(current, section), skip, out);
  return out;
}

}  // namespace

std::string to_string(const ConfigDifference& d) {
  return fmt::format("{}: {} vs {}", d.key, d.base.dump(), d.current.dump());
}

std::vector<ConfigDifference> config_differences(const report::RunReport& base, const report::RunReport& current) {
  return differences(sections(base), sections(current), kExperimentSections, kNotExperiment);
}

std::vector<ConfigDifference> environment_differences(const report::RunReport& base,
                                                      const report::RunReport& current) {
  return differences(sections(base), sections(current), kEnvironmentSections, kNotEnvironment);
}

}  // namespace gptbench::compare
