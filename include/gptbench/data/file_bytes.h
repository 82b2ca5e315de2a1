// Whole-file reading for dataset files, with transparent xz decompression: a file that starts
// with the xz magic bytes (FD 37 7A 58 5A 00) is decompressed, whatever its name. Decompression
// uses liblzma when the build found it (GPTBENCH_HAVE_LIBLZMA), otherwise the `xz -dc` program.
#pragma once

#include <filesystem>  // std::filesystem::path
#include <string>      // std::string

namespace gptbench::data {

// Which xz decoder to use; kAuto is liblzma when built in, else the xz program. The explicit
// choices exist so that tests can check both paths against each other.
enum class XzDecoder { kAuto, kLibrary, kProgram };

// True when this build links liblzma.
bool have_liblzma();

// The file's bytes, decompressed when it is xz. Throws gptbench::Error naming the path when it is
// missing, unreadable, a corrupt or truncated xz stream, named *.xz without being xz, or when no
// decoder is available.
std::string read_file_bytes(const std::filesystem::path& path, XzDecoder decoder = XzDecoder::kAuto);

// The file name without a final ".xz": what decides the format of the content.
std::string content_name(const std::filesystem::path& path);

}  // namespace gptbench::data
