// Shared by the reader fuzz targets: the input as a file (the readers take paths) and the rule that
// a reader may only fail with gptbench::Error, whose message is one line. Any other exception (a
// JSON-library type_error, std::bad_alloc, ...) or a multi-line message aborts, so libFuzzer reports it.
#pragma once

#include <unistd.h>  // getpid

#include <cstdint>     // uint8_t
#include <cstdio>      // std::fprintf, std::FILE, std::fopen, std::fwrite, std::fclose
#include <cstdlib>     // std::abort
#include <exception>   // std::exception
#include <filesystem>  // std::filesystem::path, temp_directory_path, create_directories
#include <string>      // std::string

#include "gptbench/util/error.h"  // gptbench::Error

namespace gptbench::fuzz {

// Writes the input to NAME in a folder of this process's own (reused between runs) and returns its path.
inline std::filesystem::path input_file(const std::string& name, const uint8_t* data, size_t size) {
  static const std::filesystem::path dir = [] {
    const auto d = std::filesystem::temp_directory_path() / ("gptbench-fuzz-" + std::to_string(getpid()));
    std::filesystem::create_directories(d);
    return d;
  }();
  const std::filesystem::path path = dir / name;
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr || (size > 0 && std::fwrite(data, 1, size, f) != size) || std::fclose(f) != 0) {
    std::fprintf(stderr, "fuzz: cannot write %s\n", path.c_str());
    std::abort();
  }
  return path;
}

// Runs `read`; a gptbench::Error with a one-line message is the expected way to refuse bad input.
template <typename Read>
void expect_only_gptbench_errors(const char* target, Read read) {
  try {
    read();
  } catch (const gptbench::Error& e) {
    if (std::string(e.what()).find('\n') != std::string::npos) {
      std::fprintf(stderr, "%s: error message spans lines: %s\n", target, e.what());
      std::abort();
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: escaped as a non-gptbench exception: %s\n", target, e.what());
    std::abort();
  }
}

}  // namespace gptbench::fuzz
