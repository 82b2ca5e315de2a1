// map_file and copy_bytes: the two ByteBuffer sources behind SafetensorsFile.
#include <fcntl.h>     // open, O_RDONLY, O_NONBLOCK
#include <sys/mman.h>  // mmap, munmap
#include <sys/stat.h>  // fstat, S_ISREG, S_ISDIR
#include <unistd.h>    // close

#include <cerrno>   // errno
#include <cstring>  // std::strerror, std::memcpy
#include <vector>   // std::vector, the owned copy

#include "gptbench/io/safetensors.h"  // ByteBuffer, map_file, copy_bytes
#include "gptbench/util/error.h"      // gptbench::Error

namespace gptbench::io {
namespace {

// A read-only private mapping; unmapped when the last TensorView owner lets go.
class MappedFile final : public ByteBuffer {
 public:
  MappedFile(void* address, size_t size) : address_(address), size_(size) {}
  ~MappedFile() override { munmap(address_, size_); }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  const std::byte* data() const override { return static_cast<const std::byte*>(address_); }
  size_t size() const override { return size_; }

 private:
  void* address_;
  size_t size_;
};

// An exact-size heap copy: ASan then flags any read past the end, which is what the
// fuzz target relies on.
class OwnedBytes final : public ByteBuffer {
 public:
  OwnedBytes(const void* data, size_t size) : bytes_(size) {
    if (size > 0) std::memcpy(bytes_.data(), data, size);
  }
  const std::byte* data() const override { return bytes_.data(); }
  size_t size() const override { return bytes_.size(); }

 private:
  std::vector<std::byte> bytes_;
};

// Closes the descriptor on every exit path; the mapping outlives it.
struct FdCloser {
  int fd;
  ~FdCloser() { close(fd); }
};

}  // namespace

std::shared_ptr<const ByteBuffer> map_file(const std::filesystem::path& path) {
  // O_NONBLOCK: opening a FIFO by mistake must fail below, not hang waiting for a writer.
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    throw Error("cannot open " + path.string() + ": " + std::strerror(errno));
  }
  FdCloser closer{fd};
  struct stat info {};
  if (fstat(fd, &info) != 0) {
    throw Error("cannot stat " + path.string() + ": " + std::strerror(errno));
  }
  if (S_ISDIR(info.st_mode)) throw Error("cannot map " + path.string() + ": it is a folder, not a file");
  if (!S_ISREG(info.st_mode)) throw Error("cannot map " + path.string() + ": not a regular file");
  if (info.st_size == 0) throw Error("cannot map " + path.string() + ": the file is empty");
  const auto size = static_cast<size_t>(info.st_size);
  void* address = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (address == MAP_FAILED) {
    throw Error("cannot map " + path.string() + ": " + std::strerror(errno));
  }
  return std::make_shared<const MappedFile>(address, size);
}

std::shared_ptr<const ByteBuffer> copy_bytes(const void* data, size_t size) {
  return std::make_shared<const OwnedBytes>(data, size);
}

}  // namespace gptbench::io
