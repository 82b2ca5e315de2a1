// The one bounded entry point for every JSON text gptbench reads (configs, vocabularies, prompt
// and id files, sweep files, compare inputs, train state, safetensors headers and shard indexes).
// A hostile file cannot crash or exhaust the tool through it: the file must be a regular file under
// a size cap, nesting deeper than kMaxJsonDepth is refused before parsing (so no recursive dump,
// compare or copy can overflow the stack), a raw NUL or a duplicate key is an error, and
// messages quote a bounded, escaped excerpt of a value instead of dumping it.
#pragma once

#include <nlohmann/json.hpp>  // nlohmann::json

#include <cstddef>      // std::size_t
#include <filesystem>   // std::filesystem::path
#include <string>       // std::string
#include <string_view>  // std::string_view

namespace gptbench::io {

// Deeper than any file gptbench reads or writes (about 4 levels), far below what a recursive
// nlohmann dump or compare needs to overflow an 8 MiB stack.
inline constexpr int kMaxJsonDepth = 64;

// Largest JSON file read whole: the GPT-2 vocabulary is 1 MB, a 10,000-cell sweep file a few MB.
inline constexpr std::size_t kMaxJsonFileBytes = std::size_t{256} << 20;

// Throws gptbench::Error "SOURCE: invalid JSON: nested deeper than ..." when brackets in `text`
// (outside strings) nest deeper than kMaxJsonDepth. A lexical scan, valid JSON or not: call it
// before any other parser sees untrusted text.
void check_json_depth(std::string_view text, const std::string& source);

// Parses `text`; throws gptbench::Error "SOURCE: ..." on a syntax error, a NUL byte, nesting deeper
// than kMaxJsonDepth or a duplicate key (nlohmann would silently keep the last of two).
nlohmann::json parse_json_strict(std::string_view text, const std::string& source);

// Reads `path` (a regular file of at most kMaxJsonFileBytes, see read_file) and parses it as above;
// messages name the path.
nlohmann::json read_json_file(const std::filesystem::path& path);

// A one-line excerpt of `value` for error messages: compact JSON, invalid UTF-8 replaced, control
// and non-ASCII bytes escaped, cut after a few hundred bytes. Never throws.
std::string json_excerpt(const nlohmann::json& value);

}  // namespace gptbench::io
