// Atomic file writes: content goes to a temp file beside the target, is flushed, then
// renamed over it, so a reader never sees a half-written result and a failed run leaves
// no partial file behind.
#pragma once

#include <cstddef>      // std::size_t
#include <filesystem>   // std::filesystem::path
#include <functional>   // std::function
#include <string>       // std::string
#include <string_view>  // std::string_view

namespace gptbench::io {

// Throws gptbench::Error naming the path when the folder is missing or unwritable.
void write_file_atomic(const std::filesystem::path& path, std::string_view contents);

// The same promise for a writer that takes only a path (a library's save(path)): `write` gets a
// temp path beside `path` and (re)creates that file by name; it is then fsynced and renamed over
// `path`. Throws gptbench::Error naming `path` when the folder is unwritable, when `write` throws
// (its message kept) or when it left an empty file; no temp file stays behind.
void write_file_atomic_by_path(const std::filesystem::path& path,
                               const std::function<void(const std::filesystem::path& temp)>& write);

// Fails now, not after the work, when `path` could not be written atomically later: throws
// gptbench::Error naming `path` when it names a folder or its folder is missing or unwritable.
// Leaves nothing behind.
void check_writable(const std::filesystem::path& path);

// Largest input file read whole into memory (datasets, checkpoints' side files); readers of
// smaller formats pass their own cap.
inline constexpr std::size_t kMaxInputFileBytes = std::size_t{8} << 30;

// Reads a whole regular file; throws gptbench::Error naming the path when it is missing,
// unreadable, not a regular file (a FIFO, device or folder: refused without blocking on it) or
// larger than `max_bytes`.
std::string read_file(const std::filesystem::path& path, std::size_t max_bytes = kMaxInputFileBytes);

}  // namespace gptbench::io
