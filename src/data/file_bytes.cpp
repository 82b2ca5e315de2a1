#include "gptbench/data/file_bytes.h"  // this file's declarations

#include <fcntl.h>     // open, O_RDONLY
#include <signal.h>    // kill, SIGKILL
#include <spawn.h>     // posix_spawnp, posix_spawn_file_actions_*
#include <sys/wait.h>  // waitpid, WIFEXITED, WEXITSTATUS
#include <unistd.h>    // pipe, read, close

#include <algorithm>     // std::min, std::max
#include <cerrno>        // errno, EINTR, ENOENT
#include <cstddef>       // std::size_t
#include <cstring>       // std::strerror
#include <string_view>   // std::string_view
#include <system_error>  // std::error_code
#include <vector>        // std::vector

#ifdef GPTBENCH_HAVE_LIBLZMA
#include <lzma.h>  // lzma_stream_decoder, lzma_code
#endif

#include "gptbench/io/atomic_file.h"  // read_file, kMaxInputFileBytes
#include "gptbench/util/check.h"      // GPTBENCH_CHECK, gptbench::Error, fmt::format

extern char** environ;  // the environment posix_spawnp passes on

namespace gptbench::data {
namespace {

constexpr std::string_view kXzMagic("\xFD\x37\x7A\x58\x5A\x00", 6);
constexpr std::string_view kXzSuffix = ".xz";

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// The most a compressed file may expand to: 1000 times its size (text compresses about 5-10 times;
// an xz bomb expands by 10,000 and more), at least 64 MiB for small files, never more than the
// largest file read uncompressed.
std::size_t decompressed_limit(std::size_t compressed_bytes) {
  constexpr std::size_t kMaxRatio = 1000;
  constexpr std::size_t kFloor = std::size_t{64} << 20;
  const std::size_t by_ratio = compressed_bytes > io::kMaxInputFileBytes / kMaxRatio ? io::kMaxInputFileBytes
                                                                                    : compressed_bytes * kMaxRatio;
  return std::min(io::kMaxInputFileBytes, std::max(kFloor, by_ratio));
}

[[noreturn]] void fail_too_large(const std::filesystem::path& path, std::size_t compressed, std::size_t limit) {
  throw Error(fmt::format("{}: refusing to decompress: it expands past {} bytes (the limit for a {}-byte xz file)",
                          path.string(), limit, compressed));
}

#ifdef GPTBENCH_HAVE_LIBLZMA
const char* lzma_message(lzma_ret ret) {
  switch (ret) {
    case LZMA_MEM_ERROR: return "out of memory";
    case LZMA_FORMAT_ERROR: return "not in the xz format";
    case LZMA_OPTIONS_ERROR: return "unsupported xz options";
    case LZMA_DATA_ERROR: return "corrupt xz data";
    case LZMA_BUF_ERROR: return "truncated xz data";
    default: return "xz decoder error";
  }
}

std::string decompress_with_library(std::string_view compressed, const std::filesystem::path& path) {
  const std::size_t limit = decompressed_limit(compressed.size());
  lzma_stream strm = LZMA_STREAM_INIT;
  // LZMA_CONCATENATED: `xz -dc` also decodes several streams written back to back.
  lzma_ret ret = lzma_stream_decoder(&strm, UINT64_MAX, LZMA_CONCATENATED);
  GPTBENCH_CHECK(ret == LZMA_OK, "{}: cannot start the xz decoder: {}", path.string(), lzma_message(ret));
  struct End {
    lzma_stream* s;
    ~End() { lzma_end(s); }
  } end{&strm};
  strm.next_in = reinterpret_cast<const uint8_t*>(compressed.data());
  strm.avail_in = compressed.size();
  std::string out;
  std::vector<uint8_t> buffer(1 << 20);
  while (true) {
    strm.next_out = buffer.data();
    strm.avail_out = buffer.size();
    ret = lzma_code(&strm, LZMA_FINISH);
    out.append(reinterpret_cast<const char*>(buffer.data()), buffer.size() - strm.avail_out);
    if (out.size() > limit) fail_too_large(path, compressed.size(), limit);
    if (ret == LZMA_STREAM_END) return out;
    GPTBENCH_CHECK(ret == LZMA_OK, "{}: cannot decompress: {}", path.string(), lzma_message(ret));
  }
}
#endif

// Reads fd to its end, or until it has more than `limit` bytes.
std::string drain(int fd, std::size_t limit) {
  std::string out;
  char buffer[1 << 16];
  while (out.size() <= limit) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n > 0) {
      out.append(buffer, static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      return out;
    }
  }
  return out;
}

std::string first_line(std::string_view s) {
  const auto end = s.find('\n');
  return std::string(s.substr(0, end));
}

// `xz -dc -- PATH` with its stdout and stderr on pipes; exec'd directly, no shell to quote for.
std::string decompress_with_program(const std::filesystem::path& path, std::size_t compressed_bytes) {
  const std::size_t limit = decompressed_limit(compressed_bytes);
  int out_pipe[2], err_pipe[2];
  GPTBENCH_CHECK(::pipe(out_pipe) == 0, "{}: cannot create a pipe for xz: {}", path.string(), std::strerror(errno));
  if (::pipe(err_pipe) != 0) {
    const int e = errno;
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    GPTBENCH_CHECK(false, "{}: cannot create a pipe for xz: {}", path.string(), std::strerror(e));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  posix_spawn_file_actions_addclose(&actions, out_pipe[0]);
  posix_spawn_file_actions_addclose(&actions, err_pipe[0]);
  const std::string file = path.string();
  std::vector<char*> argv = {const_cast<char*>("xz"), const_cast<char*>("-dc"), const_cast<char*>("--"),
                             const_cast<char*>(file.c_str()), nullptr};
  pid_t pid = 0;
  const int spawn_error = posix_spawnp(&pid, "xz", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (spawn_error != 0) {
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    GPTBENCH_CHECK(spawn_error != ENOENT,
                   "{}: cannot decompress: this build has no liblzma and the xz program was not found "
                   "(install xz-utils, or liblzma-dev and rebuild)",
                   file);
    GPTBENCH_CHECK(false, "{}: cannot run xz: {}", file, std::strerror(spawn_error));
  }
  // xz writes little to stderr, so reading stdout to its end first cannot deadlock.
  std::string out = drain(out_pipe[0], limit);
  const bool too_large = out.size() > limit;
  if (too_large) ::kill(pid, SIGKILL);  // no need to read the rest of a bomb
  const std::string err = too_large ? std::string() : drain(err_pipe[0], limit);
  ::close(out_pipe[0]);
  ::close(err_pipe[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (too_large) fail_too_large(path, compressed_bytes, limit);
  GPTBENCH_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "{}: cannot decompress: xz failed: {}", file,
                 err.empty() ? std::string("exit status ") + std::to_string(WEXITSTATUS(status)) : first_line(err));
  return out;
}

}  // namespace

bool have_liblzma() {
#ifdef GPTBENCH_HAVE_LIBLZMA
  return true;
#else
  return false;
#endif
}

std::string read_file_bytes(const std::filesystem::path& path, XzDecoder decoder) {
  std::error_code ec;
  GPTBENCH_CHECK(std::filesystem::exists(path, ec), "{}: no such file", path.string());
  std::string content = io::read_file(path);  // regular files only, within the size cap
  const bool is_xz = content.compare(0, kXzMagic.size(), kXzMagic) == 0;
  if (!is_xz) {
    GPTBENCH_CHECK(!ends_with(path.filename().string(), kXzSuffix),
                   "{}: named .xz but not an xz file (no xz magic bytes)", path.string());
    return content;
  }
  if (decoder == XzDecoder::kAuto) decoder = have_liblzma() ? XzDecoder::kLibrary : XzDecoder::kProgram;
  if (decoder == XzDecoder::kProgram) return decompress_with_program(path, content.size());
#ifdef GPTBENCH_HAVE_LIBLZMA
  return decompress_with_library(content, path);
#else
  GPTBENCH_CHECK(false, "{}: this build has no liblzma (XzDecoder::kLibrary)", path.string());
  return {};
#endif
}

std::string content_name(const std::filesystem::path& path) {
  std::string name = path.filename().string();
  if (ends_with(name, kXzSuffix)) name.resize(name.size() - kXzSuffix.size());
  return name;
}

}  // namespace gptbench::data
