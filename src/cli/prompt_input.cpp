// Prompt files.
#include "prompt_input.h"

#include <fmt/format.h>        // fmt::format
#include <nlohmann/json.hpp>  // nlohmann::json

#include <sstream>  // std::istringstream

#include "gptbench/io/atomic_file.h"  // read_file
#include "gptbench/io/json_input.h"   // parse_json_strict, kMaxJsonFileBytes
#include "gptbench/util/check.h"      // GPTBENCH_CHECK

namespace gptbench::cli {

std::vector<std::string> read_prompt_file(const std::string& path) {
  const bool jsonl = path.size() >= 6 && path.compare(path.size() - 6, 6, ".jsonl") == 0;
  const std::string text = io::read_file(path, io::kMaxJsonFileBytes);
  if (!jsonl) return {text};
  std::vector<std::string> prompts;
  std::istringstream lines(text);
  std::string line;
  for (int line_no = 1; std::getline(lines, line); ++line_no) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json j = io::parse_json_strict(line, fmt::format("{}:{}", path, line_no));
    if (j.is_object() && j.contains("prompt")) j = j.at("prompt");
    GPTBENCH_CHECK(j.is_string(), "{}:{}: expected a JSON string or an object with a \"prompt\" string", path,
                   line_no);
    prompts.push_back(j.get<std::string>());
  }
  GPTBENCH_CHECK(!prompts.empty(), "{}: no prompts in the file", path);
  return prompts;
}

}  // namespace gptbench::cli
