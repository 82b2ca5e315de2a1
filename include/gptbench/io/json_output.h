// Serialising JSON that gptbench writes (reports, sweep lines, checkpoint side files). Values may
// echo user text (a flag, a prompt template, a file name) that is not valid UTF-8; nlohmann's plain
// dump() throws on it, which would lose the report. Here invalid bytes become U+FFFD instead.
#pragma once

#include <nlohmann/json.hpp>  // nlohmann::json

#include <filesystem>  // std::filesystem::path
#include <string>      // std::string

namespace gptbench::io {

// `value` as JSON text; indent -1 is one line, otherwise pretty-printed with that many spaces.
// Never throws for invalid UTF-8.
std::string json_text(const nlohmann::json& value, int indent = -1);

// Writes json_text(value, 2) and a newline to `path` atomically (write_file_atomic).
void write_json_atomic(const std::filesystem::path& path, const nlohmann::json& value);

}  // namespace gptbench::io
