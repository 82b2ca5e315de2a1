// Strict JSON parsing for the files gptbench reads (safetensors headers, shard indexes).
// nlohmann silently keeps the last of two equal keys; a checkpoint with two definitions of
// one tensor is corrupt, so duplicates are rejected here.
#pragma once

#include <nlohmann/json.hpp>  // nlohmann::json

#include <string>       // std::string
#include <string_view>  // std::string_view

namespace gptbench::io {

// Parses `text`; throws gptbench::Error "SOURCE: ..." on a syntax error or a duplicate key.
nlohmann::json parse_json_strict(std::string_view text, const std::string& source);

}  // namespace gptbench::io
