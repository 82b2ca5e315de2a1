// Preset files.
#include "presets.h"

#include <fmt/format.h>  // fmt::format

#include <nlohmann/json.hpp>  // nlohmann::json

#include <cstddef>  // std::size_t

#include "gptbench/io/atomic_file.h"  // read_file
#include "gptbench/io/json_input.h"   // parse_json_strict
#include "gptbench/util/error.h"      // Error, UsageError

namespace gptbench::cli {
namespace {

// A preset is a handful of flags; a bigger file is a mistake (or /dev/zero-like), not a preset.
constexpr std::size_t kMaxPresetBytes = std::size_t{1} << 20;

std::vector<std::string> preset_flags(const std::string& path) {
  nlohmann::json j;
  try {
    j = io::parse_json_strict(io::read_file(path, kMaxPresetBytes), path);
  } catch (const Error& e) {
    throw UsageError(fmt::format("--preset: {}", e.what()));
  }
  if (!j.is_object()) throw UsageError(fmt::format("--preset {}: not a JSON object", path));
  std::vector<std::string> flags;
  for (const auto& [key, value] : j.items()) {
    if (!key.empty() && key[0] == '_') continue;  // "_comment" and similar notes
    const std::string flag = "--" + key;
    if (value.is_boolean()) {
      if (value.get<bool>()) flags.push_back(flag);
    } else if (value.is_string()) {
      flags.insert(flags.end(), {flag, value.get<std::string>()});
    } else if (value.is_number()) {
      flags.insert(flags.end(), {flag, value.dump()});
    } else {
      throw UsageError(fmt::format("--preset {}: value of \"{}\" must be a string, number or boolean", path, key));
    }
  }
  return flags;
}

}  // namespace

std::vector<std::string> expand_presets(int argc, char** argv) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--preset") {
      if (i + 1 >= argc) throw UsageError("--preset needs a file");
      const auto flags = preset_flags(argv[++i]);
      args.insert(args.end(), flags.begin(), flags.end());
    } else if (a.rfind("--preset=", 0) == 0) {
      const auto flags = preset_flags(a.substr(9));
      args.insert(args.end(), flags.begin(), flags.end());
    } else {
      args.push_back(a);
    }
  }
  return args;
}

void add_preset_option(CLI::App* cmd) {
  cmd->add_option("--preset", "JSON file of flag values ({\"variant\": \"flash\", \"window\": 256}); flags after it "
                              "override it")
      ->type_name("FILE");
}

}  // namespace gptbench::cli
