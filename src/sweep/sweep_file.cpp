// Reading, appending and writing sweep JSONL files.
#include "gptbench/sweep/sweep_file.h"

#include <fcntl.h>     // open, O_WRONLY, O_APPEND
#include <fmt/format.h>  // fmt::format, fmt::print
#include <sys/file.h>  // flock
#include <sys/stat.h>  // stat, fstat
#include <unistd.h>    // write, pread, pwrite, fsync, ftruncate, close, unlink, getpid, gethostname

#include <algorithm>  // std::sort
#include <cerrno>     // errno, EINTR, EWOULDBLOCK
#include <cstdio>     // stderr
#include <cstring>    // std::strerror
#include <map>        // std::map

#include "gptbench/bench/environment.h"  // tool_json, utc_now_iso8601
#include "gptbench/io/atomic_file.h"     // read_file, write_file_atomic
#include "gptbench/io/json_input.h"      // check_json_depth, json_excerpt, kMaxJsonFileBytes
#include "gptbench/io/json_integer.h"    // json_integer
#include "gptbench/io/json_output.h"     // json_text
#include "gptbench/io/output_path.h"     // resolve_output_path
#include "gptbench/util/error.h"         // Error

namespace gptbench::sweep {
namespace {

int status_rank(const nlohmann::json& line) {
  const std::string status = line.at("status").get<std::string>();
  return status == "ok" ? 2 : status == "skipped" ? 1 : 0;
}

void check_header(const std::string& where, const nlohmann::json& h) {
  if (!h.is_object() || h.value("record", "") != "sweep")
    throw Error(fmt::format("{}: not a gptbench sweep file (line 1 has no \"record\": \"sweep\")", where));
  if (h.value("schema_version", -1) != kSweepSchemaVersion)
    throw Error(fmt::format("{}: sweep schema_version {}, this gptbench reads {}", where,
                            h.contains("schema_version") ? io::json_excerpt(h.at("schema_version")) : "missing", kSweepSchemaVersion));
  const bool ok = h.contains("definition") && h.at("definition").is_object() && h.contains("definition_id") &&
                  h.at("definition_id").is_string() && h.contains("n_cells") && h.at("n_cells").is_number_integer() &&
                  h.contains("shard") && h.at("shard").is_object();
  if (!ok) throw Error(fmt::format("{}: sweep header lacks definition, definition_id, n_cells or shard", where));
  io::json_integer<int64_t>(h.at("n_cells"), where + ": \"n_cells\"", 0, kMaxSweepCells);
}

void check_cell(const std::string& where, const nlohmann::json& c, const std::string& definition_id, int64_t n_cells) {
  const bool ok = c.is_object() && c.value("record", "") == "cell" && c.contains("key") && c.at("key").is_string() &&
                  c.contains("index") && c.at("index").is_number_integer() && c.contains("cell") &&
                  c.at("cell").is_object() && c.contains("status") && c.at("status").is_string();
  if (!ok) throw Error(fmt::format("{}: not a sweep cell line (record, key, index, cell, status)", where));
  io::json_integer<int64_t>(c.at("index"), where + ": \"index\"", 0, n_cells - 1);
  const std::string status = c.at("status").get<std::string>();
  if (status != "ok" && status != "skipped" && status != "error")
    throw Error(fmt::format("{}: unknown status \"{}\" (ok, skipped, error)", where, status));
  if (c.value("definition_id", "") != definition_id)
    throw Error(fmt::format("{}: a cell of another sweep (definition_id {}, the header's is {})", where,
                            c.value("definition_id", "missing"), definition_id));
}

void write_all(int fd, const std::string& text, const std::filesystem::path& path) {
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw Error(fmt::format("{}: write failed: {}", path.string(), std::strerror(errno)));
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) throw Error(fmt::format("{}: fsync failed: {}", path.string(), std::strerror(errno)));
}

int open_for_append(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd < 0) throw Error(fmt::format("{}: cannot open for appending: {}", path.string(), std::strerror(errno)));
  return fd;
}

// "pid 123 on host-name": who holds a lock, as its lock file records it.
std::string holder_text() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return fmt::format("pid {} on {}", ::getpid(), host[0] != '\0' ? host : "this machine");
}

std::string read_holder(int fd) {
  char buffer[300] = {};
  const ssize_t n = ::pread(fd, buffer, sizeof buffer - 1, 0);
  std::string text(buffer, n > 0 ? static_cast<size_t>(n) : 0);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\0')) text.pop_back();
  return text.empty() ? "a process that has not recorded itself yet" : text;
}

// Attempts at locking a lock file that its previous holder removed between our open and our flock.
constexpr int kLockAttempts = 100;

}  // namespace

SweepFile read_sweep_file(const std::filesystem::path& path) {
  SweepFile file;
  file.path = path;
  const std::string text = io::read_file(path, io::kMaxJsonFileBytes);
  file.total_bytes = static_cast<int64_t>(text.size());
  io::check_json_depth(text, path.string());  // before any line is parsed, compared or dumped
  if (text.empty()) throw Error(fmt::format("{}: empty file, not a gptbench sweep file", path.string()));
  size_t start = 0;
  int64_t line_no = 0;
  while (start < text.size()) {
    ++line_no;
    const size_t nl = text.find('\n', start);
    const std::string where = fmt::format("{}:{}", path.string(), line_no);
    if (nl == std::string::npos) {  // no newline: the writer was killed mid-line
      fmt::print(stderr, "gptbench: warning: {}: last line is incomplete (a killed sweep?); ignored\n", where);
      file.dropped_partial_line = true;
      break;
    }
    const nlohmann::json j = nlohmann::json::parse(text.substr(start, nl - start), nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) throw Error(fmt::format("{}: not valid JSON", where));
    if (line_no == 1) {
      check_header(where, j);
      file.header = j;
    } else {
      check_cell(where, j, file.header.at("definition_id").get<std::string>(), file.header.at("n_cells").get<int64_t>());
      file.cells.push_back(j);
    }
    start = nl + 1;
    file.complete_bytes = static_cast<int64_t>(start);
  }
  if (file.header.is_null()) throw Error(fmt::format("{}: no complete header line", path.string()));
  return file;
}

nlohmann::json sweep_header(const nlohmann::json& definition, int64_t n_cells, const Shard& shard) {
  return {{"record", "sweep"},
          {"schema_version", kSweepSchemaVersion},
          {"definition", definition},
          {"definition_id", definition_id(definition)},
          {"n_cells", n_cells},
          {"shard", {{"index", shard.index}, {"count", shard.count}}},
          {"tool", bench::tool_json()},
          {"created_utc", bench::utc_now_iso8601()}};
}

Shard header_shard(const nlohmann::json& header) {
  return {header.at("shard").value("index", int64_t{0}), header.at("shard").value("count", int64_t{1})};
}

void check_definition(const SweepFile& file, const nlohmann::json& definition, const std::string& hint) {
  const std::string difference = definition_difference(file.header.at("definition"), definition);
  if (!difference.empty())
    throw Error(fmt::format("{}: written by another sweep definition (the file's vs this one: {}); {}",
                            file.path.string(), difference, hint));
}

std::vector<nlohmann::json> best_cells(const std::vector<nlohmann::json>& lines) {
  std::map<std::string, const nlohmann::json*> best;
  for (const auto& line : lines) {
    const nlohmann::json*& slot = best[line.at("key").get<std::string>()];
    if (slot == nullptr || status_rank(line) >= status_rank(*slot)) slot = &line;
  }
  std::vector<nlohmann::json> out;
  for (const auto& [key, line] : best) out.push_back(*line);
  std::stable_sort(out.begin(), out.end(), [](const nlohmann::json& a, const nlohmann::json& b) {
    return a.at("index").get<int64_t>() < b.at("index").get<int64_t>();
  });
  return out;
}

SweepLock SweepLock::acquire(const std::filesystem::path& out) {
  const std::filesystem::path target = io::resolve_output_path(out);
  const std::filesystem::path folder = target.has_parent_path() ? target.parent_path() : std::filesystem::path(".");
  const std::filesystem::path lock = folder / ("." + target.filename().string() + ".lock");
  for (int attempt = 0; attempt < kLockAttempts; ++attempt) {
    const int fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
      throw Error(fmt::format("{}: cannot create the lock file {}: {}", out.string(), lock.string(), std::strerror(errno)));
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const std::string holder = read_holder(fd);
      ::close(fd);
      throw Error(fmt::format("{}: another gptbench sweep is writing this file ({}; lock {}); wait for it or use "
                              "another --out",
                              out.string(), holder, lock.string()));
    }
    // The previous holder unlinks its lock file before closing it: if it did so after our open, we
    // hold a lock on a file no one else can find, and try again.
    struct stat held {}, named {};
    if (::fstat(fd, &held) == 0 && ::stat(lock.c_str(), &named) == 0 && held.st_dev == named.st_dev &&
        held.st_ino == named.st_ino) {
      const std::string me = holder_text() + "\n";
      if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, me.data(), me.size(), 0) < 0) {
        // The lock holds without the note; only the message of a second writer is poorer.
      }
      return SweepLock(lock, fd);
    }
    ::close(fd);
  }
  throw Error(fmt::format("{}: cannot take the lock {}: it keeps being replaced", out.string(), lock.string()));
}

SweepLock::SweepLock(SweepLock&& other) noexcept : path_(std::move(other.path_)), fd_(other.fd_) { other.fd_ = -1; }

SweepLock::~SweepLock() {
  if (fd_ < 0) return;
  ::unlink(path_.c_str());  // while still locked: see acquire
  ::close(fd_);
}

SweepWriter SweepWriter::create(const std::filesystem::path& path, const nlohmann::json& header, SweepLock lock) {
  io::write_file_atomic(path, io::json_text(header) + "\n");
  return SweepWriter(path, std::move(lock), open_for_append(path));
}

SweepWriter SweepWriter::create(const std::filesystem::path& path, const nlohmann::json& header) {
  return create(path, header, SweepLock::acquire(path));  // before the header replaces any file there
}

SweepWriter SweepWriter::resume(const SweepFile& file) { return resume(file, SweepLock::acquire(file.path)); }

SweepWriter SweepWriter::resume(const SweepFile& file, SweepLock lock) {
  // Read before the lock was taken, a writer that finished in between may have appended to it.
  struct stat now {};
  const bool changed = ::stat(file.path.c_str(), &now) != 0 ||
                       now.st_size != (file.dropped_partial_line ? file.total_bytes : file.complete_bytes);
  if (changed) throw Error(fmt::format("{}: changed while it was read (another sweep finished?); run again", file.path.string()));
  SweepWriter writer(file.path, std::move(lock), open_for_append(file.path));
  if (file.dropped_partial_line && ::ftruncate(writer.fd_, file.complete_bytes) != 0)
    throw Error(fmt::format("{}: cannot cut the incomplete last line: {}", file.path.string(), std::strerror(errno)));
  return writer;
}

SweepWriter::SweepWriter(SweepWriter&& other) noexcept
    : path_(std::move(other.path_)), lock_(std::move(other.lock_)), fd_(other.fd_) {
  other.fd_ = -1;
}

SweepWriter::~SweepWriter() {
  if (fd_ >= 0) ::close(fd_);
}

void SweepWriter::append(const nlohmann::json& line) { write_all(fd_, io::json_text(line) + "\n", path_); }

bool file_exists(const std::filesystem::path& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0;
}

void write_sweep_file(const std::filesystem::path& path, const nlohmann::json& header,
                      const std::vector<nlohmann::json>& cells) {
  std::string text = io::json_text(header) + "\n";
  for (const auto& cell : cells) text += io::json_text(cell) + "\n";
  io::write_file_atomic(path, text);
}

}  // namespace gptbench::sweep
