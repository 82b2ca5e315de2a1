// The sweep JSONL file (docs/result-schema.md, "sweep"): a header line, then one line per finished
// cell, appended and fsynced as cells finish. Reading tolerates a last line cut short by a killed
// process (dropped with a warning); any other bad line is an error naming the file and line.
#pragma once

#include <nlohmann/json.hpp>  // nlohmann::json

#include <cstdint>     // int64_t
#include <filesystem>  // std::filesystem::path
#include <string>      // std::string
#include <utility>     // std::move
#include <vector>      // std::vector

#include "gptbench/sweep/sweep_plan.h"  // Shard, kMaxSweepCells

namespace gptbench::sweep {

inline constexpr int kSweepSchemaVersion = 1;

struct SweepFile {
  std::filesystem::path path;
  nlohmann::json header;
  std::vector<nlohmann::json> cells;  // cell lines, in file order
  int64_t complete_bytes = 0;         // bytes up to the end of the last complete line
  int64_t total_bytes = 0;            // the file's size when it was read
  bool dropped_partial_line = false;
};

// Error naming the file (and line) when it is missing, empty, or not a sweep file of this schema.
SweepFile read_sweep_file(const std::filesystem::path& path);

nlohmann::json sweep_header(const nlohmann::json& definition, int64_t n_cells, const Shard& shard);
Shard header_shard(const nlohmann::json& header);

// Error naming the file and the first difference when its header has another definition; `hint`
// ends the message (what the user can do).
void check_definition(const SweepFile& file, const nlohmann::json& definition, const std::string& hint);

// Of several lines with one key, the one that counts: ok over skipped over error, the later among
// equals. Returned in cell-index order.
std::vector<nlohmann::json> best_cells(const std::vector<nlohmann::json>& lines);

// An exclusive lock on a sweep output, held for a writer's whole life (a lock file beside it,
// ".NAME.lock", flock'ed and holding "pid P on HOST"; removed again on release). A second writer of
// the same output, resumed, --force-new or started at the same moment, gets gptbench::Error naming
// the file and the holder.
class SweepLock {
 public:
  static SweepLock acquire(const std::filesystem::path& out);
  SweepLock(SweepLock&& other) noexcept;
  SweepLock(const SweepLock&) = delete;
  SweepLock& operator=(const SweepLock&) = delete;
  SweepLock& operator=(SweepLock&&) = delete;
  ~SweepLock();

 private:
  SweepLock(std::filesystem::path path, int fd) : path_(std::move(path)), fd_(fd) {}
  std::filesystem::path path_;
  int fd_ = -1;
};

// Appends lines to a sweep file, each written whole and fsynced before append() returns. Holds an
// SweepLock on the file: a second writer of the same file is refused.
class SweepWriter {
 public:
  // A new file holding only `header` (replacing any file there, atomically), under `lock`: taken
  // by the caller before it read anything, or here.
  static SweepWriter create(const std::filesystem::path& path, const nlohmann::json& header, SweepLock lock);
  static SweepWriter create(const std::filesystem::path& path, const nlohmann::json& header);
  // An existing file, cut back to its last complete line; Error when it changed since it was read.
  static SweepWriter resume(const SweepFile& file, SweepLock lock);
  static SweepWriter resume(const SweepFile& file);
  SweepWriter(SweepWriter&& other) noexcept;
  SweepWriter(const SweepWriter&) = delete;
  SweepWriter& operator=(const SweepWriter&) = delete;
  SweepWriter& operator=(SweepWriter&&) = delete;
  ~SweepWriter();
  void append(const nlohmann::json& line);

 private:
  SweepWriter(std::filesystem::path path, SweepLock lock, int fd)
      : path_(std::move(path)), lock_(std::move(lock)), fd_(fd) {}
  std::filesystem::path path_;
  SweepLock lock_;
  int fd_ = -1;
};

// stat() says a file is there. (Not std::filesystem::exists: libtorch.so exports its own, partly
// broken, copies of the std::filesystem operations, and they win in a binary linking LibTorch.)
bool file_exists(const std::filesystem::path& path);

// The whole file at once, atomically (gptbench merge).
void write_sweep_file(const std::filesystem::path& path, const nlohmann::json& header,
                      const std::vector<nlohmann::json>& cells);

}  // namespace gptbench::sweep
