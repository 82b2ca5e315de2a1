// Shared by the sweep unit tests: a temp folder per test, a small model shape, settings from flags.
#pragma once

#include <ftw.h>     // nftw, FTW_DEPTH, FTW_PHYS
#include <stdlib.h>  // mkdtemp

#include <filesystem>  // std::filesystem
#include <cstdio>      // std::remove
#include <cstdlib>     // std::getenv
#include <fstream>     // std::ofstream
#include <functional>  // std::function
#include <stdexcept>   // std::runtime_error
#include <string>      // std::string
#include <utility>     // std::pair
#include <vector>      // std::vector

#include "gptbench/model/gpt2_config.h"  // Gpt2Config, ModelShape, ModelShape
#include "gptbench/sweep/sweep_spec.h"   // SweepSettings

namespace gptbench::sweep::testing {

class TempDir {
 public:
  // POSIX calls, not std::filesystem's: libtorch.so exports its own copies of those, and its
  // remove_all jumps through an unresolved weak symbol (a crash in any binary linking LibTorch).
  TempDir() {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/gptbench_sweep_XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed for " + pattern);
    path_ = pattern;
  }
  ~TempDir() {
    ::nftw(path_.c_str(), [](const char* p, const struct stat*, int, struct FTW*) { return ::remove(p); }, 16,
           FTW_DEPTH | FTW_PHYS);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path write(const std::string& name, const std::string& bytes) const {
    std::ofstream(path_ / name, std::ios::binary) << bytes;
    return path_ / name;
  }

 private:
  std::filesystem::path path_;
};

// The message of the E that f throws, or "<no exception>".
template <typename E>
std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  return "<no exception>";
}

// 2 layers, 4 heads of 16, 128 positions (tests/model/configs/tiny.json).
inline model::ModelShape tiny_shape() {
  model::Gpt2Config c;
  c.n_layer = 2;
  c.n_head = 4;
  c.n_embd = 64;
  c.n_positions = 128;
  return c.shape();
}

// Settings as if given as flags: {"batch-sizes", "1,2"} -> --batch-sizes 1,2; a model is always set.
inline SweepSettings flags(const std::vector<std::pair<std::string, std::string>>& values) {
  SweepSettings s{{"model", {"/models/tiny", "--model"}}, {"device", {"cpu", "--device"}}};
  for (const auto& [key, text] : values) s[key] = {text, "--" + key};
  return s;
}

}  // namespace gptbench::sweep::testing
