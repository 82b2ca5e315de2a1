// Private to gptbench_data: iterating over JSONL records with their line numbers, and reading
// string fields with one-line errors that name the file and line.
#pragma once

#include <cstdint>      // int64_t
#include <functional>   // std::function
#include <optional>     // std::optional
#include <string>       // std::string
#include <string_view>  // std::string_view

#include <nlohmann/json.hpp>  // nlohmann::json

namespace gptbench::data {

// Calls visit(object, line) for every non-blank line (1-based; "\r\n" endings and a UTF-8 BOM are
// accepted). Throws Error "FILE:LINE: ..." on invalid JSON (including invalid UTF-8) or a value
// that is not an object.
void for_each_json_line(std::string_view content, const std::string& file,
                        const std::function<void(const nlohmann::json&, int64_t)>& visit);

// The named string field; Error "FILE:LINE: field 'NAME' is missing" or "... must be a string, found number".
std::string string_field(const nlohmann::json& object, const char* name, const std::string& file, int64_t line);
// Same, but an absent field gives std::nullopt (a present one must still be a string).
std::optional<std::string> optional_string_field(const nlohmann::json& object, const char* name,
                                                 const std::string& file, int64_t line);

}  // namespace gptbench::data
