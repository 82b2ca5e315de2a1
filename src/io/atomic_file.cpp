// write_file_atomic, write_file_atomic_by_path, check_writable, read_file and the chunked atomic
// writer they share.
#include <fcntl.h>     // open, O_CREAT, O_EXCL, O_NONBLOCK
#include <sys/stat.h>  // fstat, S_ISDIR, S_ISREG
#include <unistd.h>    // write, read, fsync, close, unlink, getpid

#include <atomic>     // std::atomic, a per-process temp name counter
#include <cerrno>     // errno, EINTR, EEXIST
#include <chrono>     // std::chrono::steady_clock, temp name entropy
#include <cstdint>    // std::uint64_t
#include <cstdio>     // std::rename
#include <cstring>    // std::strerror
#include <exception>  // std::exception
#include <string>     // std::string, std::to_string

#include "atomic_write.h"               // write_chunks_atomic
#include "gptbench/io/atomic_file.h"    // write_file_atomic, write_file_atomic_by_path, check_writable, read_file
#include "gptbench/io/output_path.h"    // resolve_output_path
#include "gptbench/util/error.h"        // gptbench::Error

namespace gptbench::io {
namespace {

namespace fs = std::filesystem;

// Attempts at a fresh temp name before giving up; a clash needs the same pid, counter and clock.
constexpr int kTempNameAttempts = 100;

// A temp file that deletes itself unless commit() renamed it over the target.
class TempFile {
 public:
  // Writes go through a symlink to its target; an existing device, pipe or socket is refused,
  // since renaming over it would replace it (as root, /dev/stdout) with a regular file.
  explicit TempFile(const fs::path& target) : shown_(target), target_(resolve_output_path(target)) {
    struct stat info {};
    if (::stat(target_.c_str(), &info) == 0 && !S_ISREG(info.st_mode) && !S_ISDIR(info.st_mode)) {
      throw Error("cannot write " + shown_.string() + ": not a regular file (a device, pipe or socket)");
    }
    const fs::path folder = target_.has_parent_path() ? target_.parent_path() : fs::path(".");
    static std::atomic<unsigned long> counter{0};
    for (int attempt = 0; attempt < kTempNameAttempts; ++attempt) {
      const auto ticks = std::chrono::steady_clock::now().time_since_epoch().count();
      // Hidden and beside the target: same file system, so rename() is atomic.
      path_ = folder / ("." + target_.filename().string() + ".tmp." + std::to_string(getpid()) + "." +
                        std::to_string(counter++) + "." + std::to_string(ticks % 1000000));
      fd_ = open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
      if (fd_ >= 0) return;
      if (errno != EEXIST) break;
    }
    const int error = errno;
    throw Error("cannot write " + shown_.string() + ": cannot create a temporary file in " +
                folder.string() + ": " + std::strerror(error));
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() {
    if (fd_ >= 0) close(fd_);
    if (!committed_) unlink(path_.c_str());
  }

  void write_all(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t written = ::write(fd_, bytes.data(), bytes.size());
      if (written < 0) {
        if (errno == EINTR) continue;
        fail("write");
      }
      bytes.remove_prefix(static_cast<size_t>(written));
    }
  }

  const fs::path& path() const { return path_; }

  // Hands the file to a writer that opens it by name (and may replace it): our descriptor could
  // otherwise point at an inode the writer has unlinked.
  void close_for_writer() {
    const int fd = fd_;
    fd_ = -1;
    if (close(fd) != 0) fail("close");
  }

  // fsync before rename: otherwise a crash can leave the new name pointing at empty blocks.
  void commit() {
    if (fd_ < 0) fd_ = open(path_.c_str(), O_RDONLY | O_CLOEXEC);  // written by name: sync what is there now
    if (fd_ < 0) fail("reopen");
    if (fsync(fd_) != 0) fail("fsync");
    const int fd = fd_;
    fd_ = -1;
    if (close(fd) != 0) fail("close");
    if (std::rename(path_.c_str(), target_.c_str()) != 0) fail("rename");
    committed_ = true;
    sync_folder();
  }

 private:
  [[noreturn]] void fail(const char* step) {
    const int error = errno;
    throw Error("cannot write " + shown_.string() + ": " + step + " failed: " + std::strerror(error));
  }

  // Makes the rename itself durable. Best effort: the new content is already in place, and
  // some file systems refuse fsync on a folder.
  void sync_folder() const {
    const fs::path folder = target_.has_parent_path() ? target_.parent_path() : fs::path(".");
    const int fd = open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;
    fsync(fd);
    close(fd);
  }

  fs::path shown_;   // the path as given, for messages
  fs::path target_;  // where the content lands: shown_ with its symlinks followed
  fs::path path_;
  int fd_ = -1;
  bool committed_ = false;
};

void check_names_file(const fs::path& path) {
  if (!path.has_filename()) throw Error("cannot write " + path.string() + ": the path names no file");
}

}  // namespace

void write_chunks_atomic(const fs::path& path, const std::vector<std::string_view>& chunks) {
  check_names_file(path);
  TempFile temp(path);
  for (const std::string_view chunk : chunks) temp.write_all(chunk);
  temp.commit();
}

void write_file_atomic(const fs::path& path, std::string_view contents) {
  write_chunks_atomic(path, {contents});
}

void write_file_atomic_by_path(const fs::path& path, const std::function<void(const fs::path& temp)>& write) {
  check_names_file(path);
  TempFile temp(path);
  temp.close_for_writer();
  try {
    write(temp.path());
  } catch (const std::exception& e) {
    throw Error("cannot write " + path.string() + ": " + e.what());
  }
  std::error_code ec;
  const auto bytes = fs::file_size(temp.path(), ec);
  if (ec || bytes == 0) throw Error("cannot write " + path.string() + ": the writer produced no file or an empty one");
  temp.commit();
}

void check_writable(const fs::path& path) {
  check_names_file(path);
  std::error_code ec;
  if (fs::is_directory(path, ec)) throw Error("cannot write " + path.string() + ": it is a folder, not a file");
  TempFile probe(path);  // removed again when it goes out of scope
}

std::string read_file(const fs::path& path, std::size_t max_bytes) {
  // O_NONBLOCK: opening a FIFO with no writer returns at once instead of waiting forever; fstat
  // then refuses it.
  const int fd = open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) throw Error("cannot read " + path.string() + ": " + std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { close(fd); }
  } closer{fd};
  struct stat info {};
  if (fstat(fd, &info) != 0) throw Error("cannot read " + path.string() + ": " + std::strerror(errno));
  if (S_ISDIR(info.st_mode)) throw Error("cannot read " + path.string() + ": it is a folder, not a file");
  if (!S_ISREG(info.st_mode)) {
    throw Error("cannot read " + path.string() + ": not a regular file (a pipe, socket or device)");
  }
  const auto size = static_cast<std::uint64_t>(info.st_size);
  if (size > max_bytes) {
    throw Error("cannot read " + path.string() + ": the file is " + std::to_string(size) + " bytes, over the limit of " +
                std::to_string(max_bytes));
  }
  std::string contents;
  contents.reserve(static_cast<size_t>(size));
  // Read to end of file rather than trusting st_size, still within the cap: the file may grow.
  char buffer[1 << 16];
  while (true) {
    const ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got < 0) {
      if (errno == EINTR) continue;
      throw Error("cannot read " + path.string() + ": " + std::strerror(errno));
    }
    if (got == 0) break;
    if (contents.size() + static_cast<size_t>(got) > max_bytes) {
      throw Error("cannot read " + path.string() + ": the file grew past the limit of " + std::to_string(max_bytes) +
                  " bytes while it was read");
    }
    contents.append(buffer, static_cast<size_t>(got));
  }
  return contents;
}

}  // namespace gptbench::io
