// The one implementation of "temp file beside the target, fsync, rename": write_file_atomic
// and write_safetensors both go through it, the latter without first joining a
// multi-hundred-megabyte checkpoint into one string.
#pragma once

#include <filesystem>   // std::filesystem::path
#include <string_view>  // std::string_view
#include <vector>       // std::vector

namespace gptbench::io {

// Writes the concatenation of `chunks` to `path` atomically. On any failure the temp file
// is removed, `path` keeps its previous content (or stays absent), and gptbench::Error names `path`.
void write_chunks_atomic(const std::filesystem::path& path, const std::vector<std::string_view>& chunks);

}  // namespace gptbench::io
