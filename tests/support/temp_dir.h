// A fresh folder under $TMPDIR (or /tmp) per object, removed with everything in it afterwards: the
// one scratch folder of the C++ tests.
#pragma once

#include <ftw.h>       // nftw, FTW_DEPTH, FTW_PHYS
#include <sys/stat.h>  // struct stat
#include <unistd.h>    // mkdtemp

#include <cstdio>      // std::remove
#include <cstdlib>     // std::getenv
#include <filesystem>  // std::filesystem::path
#include <fstream>     // std::ofstream
#include <stdexcept>   // std::runtime_error
#include <string>      // std::string

namespace gptbench::test_support {

class TempDir {
 public:
  // POSIX calls, not std::filesystem's: libtorch.so exports its own copies of those, and its
  // remove_all jumps through an unresolved weak symbol (a crash in any binary linking LibTorch).
  TempDir() {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/gptbench_test_XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed for " + pattern);
    path_ = pattern;
  }
  ~TempDir() {
    ::nftw(path_.c_str(), [](const char* p, const struct stat*, int, struct FTW*) { return std::remove(p); }, 16,
           FTW_DEPTH | FTW_PHYS);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

  // Writes the bytes exactly (binary mode) and returns the file's path.
  std::filesystem::path write(const std::string& name, const std::string& bytes) const {
    std::ofstream(path_ / name, std::ios::binary) << bytes;
    return path_ / name;
  }

 private:
  std::filesystem::path path_;
};

}  // namespace gptbench::test_support
