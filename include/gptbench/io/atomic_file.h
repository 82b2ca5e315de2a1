// Atomic file writes: content goes to a temp file beside the target, is flushed, then
// renamed over it, so a reader never sees a half-written result and a failed run leaves
// no partial file behind.
#pragma once

#include <filesystem>   // std::filesystem::path
#include <string_view>  // std::string_view

namespace gptbench::io {

// Throws gptbench::Error naming the path when the folder is missing or unwritable.
void write_file_atomic(const std::filesystem::path& path, std::string_view contents);

// Reads a whole file; throws gptbench::Error naming the path when it is missing or unreadable.
std::string read_file(const std::filesystem::path& path);

}  // namespace gptbench::io
