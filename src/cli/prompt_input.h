// Reads prompts for `generate`: --prompt (repeatable) or --prompt-file.
#pragma once

#include <string>  // std::string
#include <vector>  // std::vector

namespace gptbench::cli {

// F ending in .jsonl: one prompt per line, each a JSON string or an object with a "prompt" string.
// Any other file: its whole content is one prompt. Errors name the file and line.
std::vector<std::string> read_prompt_file(const std::string& path);

}  // namespace gptbench::cli
