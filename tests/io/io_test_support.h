// Helpers for the io tests: a scratch folder and hand-built safetensors bytes. The bytes are
// assembled here by hand, independently of write_safetensors, so reader tests do not trust
// the writer they also test.
#pragma once

#include <gtest/gtest.h>  // ::testing::TempDir, ADD_FAILURE

#include <cstdint>      // uint64_t
#include <cstdlib>      // mkdtemp
#include <cstring>      // std::memcpy
#include <filesystem>   // std::filesystem
#include <fstream>      // std::ofstream
#include <functional>   // std::function
#include <iterator>     // std::istreambuf_iterator
#include <set>          // std::set
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <vector>       // std::vector

#include "gptbench/util/error.h"  // gptbench::Error

namespace gptbench::io::testing {

namespace fs = std::filesystem;

// A fresh folder removed with everything in it at the end of the test.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (fs::temp_directory_path() / "gptbench_io_test_XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed for " << pattern;
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    fs::permissions(path_, fs::perms::owner_all, fs::perm_options::add, ignored);
    fs::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const fs::path& path() const { return path_; }
  fs::path operator/(const std::string& name) const { return path_ / name; }

  // Names of everything in the folder: catches leftover temp files.
  std::set<std::string> entries() const {
    std::set<std::string> names;
    for (const auto& entry : fs::directory_iterator(path_)) names.insert(entry.path().filename().string());
    return names;
  }

 private:
  fs::path path_;
};

// 8-byte little-endian header length, the header text as given, then the data block.
inline std::string safetensors_bytes(std::string_view header, std::string_view data) {
  std::string bytes(8, '\0');
  uint64_t size = header.size();
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>((size >> (8 * i)) & 0xff);
  bytes.append(header);
  bytes.append(data);
  return bytes;
}

inline void write_raw(const fs::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) ADD_FAILURE() << "could not write test file " << path;
}

inline std::string read_raw(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Little-endian bytes of float values (the machine is x86-64, as safetensors requires).
inline std::string f32_bytes(const std::vector<float>& values) {
  std::string bytes(values.size() * sizeof(float), '\0');
  if (!values.empty()) std::memcpy(bytes.data(), values.data(), bytes.size());
  return bytes;
}

// Runs `action`; returns the gptbench::Error message, or fails the test if none is thrown.
inline std::string error_message(const std::function<void()>& action) {
  try {
    action();
  } catch (const gptbench::Error& error) {
    return error.what();
  } catch (const std::exception& error) {
    ADD_FAILURE() << "expected gptbench::Error, got another exception: " << error.what();
    return error.what();
  }
  ADD_FAILURE() << "expected gptbench::Error, nothing was thrown";
  return "";
}

}  // namespace gptbench::io::testing
