// write_file_atomic, read_file and map_file: contents, error messages naming the path, and
// the atomicity promise: a failed write leaves neither a temp file nor a partial target.
#include <gtest/gtest.h>  // TEST, EXPECT_*

#include <sys/resource.h>  // setrlimit, RLIMIT_FSIZE
#include <sys/stat.h>      // mkfifo
#include <unistd.h>        // chdir, getcwd

#include <csignal>    // std::signal, SIGXFSZ
#include <stdexcept>  // std::runtime_error
#include <string>     // std::string

#include "gptbench/io/atomic_file.h"  // write_file_atomic, write_file_atomic_by_path, check_writable, read_file
#include "gptbench/io/safetensors.h"  // map_file, write_safetensors
#include "io_test_support.h"          // ScratchDir, error_message, read_raw, write_raw

namespace gptbench::io {
namespace {

namespace fs = std::filesystem;
using testing::error_message;

// Lowers the file size limit so that write() fails with EFBIG part-way through a file, the
// closest a test gets to a full disk. SIGXFSZ would kill the process, so it is ignored meanwhile.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    getrlimit(RLIMIT_FSIZE, &saved_);
    previous_handler_ = std::signal(SIGXFSZ, SIG_IGN);
    rlimit lowered = saved_;
    lowered.rlim_cur = bytes;
    EXPECT_EQ(setrlimit(RLIMIT_FSIZE, &lowered), 0);
  }
  ~FileSizeLimit() {
    setrlimit(RLIMIT_FSIZE, &saved_);
    std::signal(SIGXFSZ, previous_handler_);
  }
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;

 private:
  rlimit saved_{};
  void (*previous_handler_)(int) = nullptr;
};

TEST(WriteFileAtomic, CreatesAndReplaces) {
  testing::ScratchDir dir;
  const auto path = dir / "out.json";
  write_file_atomic(path, "first");
  EXPECT_EQ(testing::read_raw(path), "first");
  write_file_atomic(path, std::string("second\0with nul", 15));
  EXPECT_EQ(testing::read_raw(path), std::string("second\0with nul", 15));
  write_file_atomic(path, "");
  EXPECT_EQ(testing::read_raw(path), "");
  EXPECT_EQ(dir.entries(), (std::set<std::string>{"out.json"}));
}

TEST(WriteFileAtomic, RelativePathWritesInTheCurrentFolder) {
  testing::ScratchDir dir;
  const fs::path previous = fs::current_path();
  fs::current_path(dir.path());
  write_file_atomic("relative.txt", "here");
  fs::current_path(previous);
  EXPECT_EQ(testing::read_raw(dir / "relative.txt"), "here");
  EXPECT_EQ(dir.entries(), (std::set<std::string>{"relative.txt"}));
}

TEST(WriteFileAtomic, MissingFolderIsAnErrorNamingThePath) {
  testing::ScratchDir dir;
  const auto path = dir / "no" / "such" / "out.json";
  const std::string message = error_message([&] { write_file_atomic(path, "x"); });
  EXPECT_NE(message.find("cannot write " + path.string()), std::string::npos) << message;
  EXPECT_NE(message.find("No such file or directory"), std::string::npos) << message;
  EXPECT_TRUE(dir.entries().empty());
}

TEST(WriteFileAtomic, PathWithoutFileNameIsAnError) {
  testing::ScratchDir dir;
  const std::string message = error_message([&] { write_file_atomic(dir.path() / "", "x"); });
  EXPECT_NE(message.find("names no file"), std::string::npos) << message;
}

TEST(WriteFileAtomic, FailedRenameRemovesTheTempFile) {
  testing::ScratchDir dir;
  fs::create_directories(dir / "target" / "child");  // rename() cannot replace a non-empty folder
  const std::string message = error_message([&] { write_file_atomic(dir / "target", "x"); });
  EXPECT_NE(message.find("cannot write " + (dir / "target").string() + ": rename failed"), std::string::npos)
      << message;
  EXPECT_EQ(dir.entries(), (std::set<std::string>{"target"}));
}

TEST(WriteFileAtomic, FailureMidWriteKeepsTheOldContent) {
  testing::ScratchDir dir;
  const auto path = dir / "result.json";
  testing::write_raw(path, "old content");
  const std::string big(1 << 20, 'n');
  std::string message;
  {
    FileSizeLimit limit(4096);
    message = error_message([&] { write_file_atomic(path, big); });
  }
  EXPECT_NE(message.find("cannot write " + path.string() + ": write failed"), std::string::npos) << message;
  EXPECT_EQ(testing::read_raw(path), "old content");
  EXPECT_EQ(dir.entries(), (std::set<std::string>{"result.json"}));
}

TEST(WriteSafetensors, FailureMidWriteLeavesNoPartialFile) {
  testing::ScratchDir dir;
  const auto path = dir / "model.safetensors";
  const std::vector<float> weights(1 << 18, 0.5f);
  std::string message;
  {
    FileSizeLimit limit(4096);
    message = error_message([&] {
      write_safetensors(path, {{"w", DType::kF32, {1 << 18}, weights.data(), weights.size() * 4}});
    });
  }
  EXPECT_NE(message.find(path.string()), std::string::npos) << message;
  EXPECT_TRUE(dir.entries().empty()) << "partial or temp file left behind";
}

TEST(WriteFileAtomicByPath, WriterThatWritesByNameOrReplacesTheFile) {
  testing::ScratchDir dir;
  const auto path = dir / "trace.json";
  write_file_atomic_by_path(path, [&](const fs::path& temp) {
    EXPECT_EQ(temp.parent_path(), path.parent_path());  // beside the target: rename stays atomic
    testing::write_raw(temp, "written by name");
  });
  EXPECT_EQ(testing::read_raw(path), "written by name");
  // A writer with its own temp-then-rename replaces the inode: what lands is what it wrote.
  write_file_atomic_by_path(path, [&](const fs::path& temp) {
    testing::write_raw(dir / "writer.tmp", "replaced");
    fs::rename(dir / "writer.tmp", temp);
  });
  EXPECT_EQ(testing::read_raw(path), "replaced");
  EXPECT_EQ(dir.entries(), (std::set<std::string>{"trace.json"}));
}

TEST(WriteFileAtomicByPath, FailingOrSilentWriterLeavesTheOldFile) {
  testing::ScratchDir dir;
  const auto path = dir / "trace.json";
  testing::write_raw(path, "old");
  std::string message = error_message([&] {
    write_file_atomic_by_path(path, [](const fs::path& temp) {
      testing::write_raw(temp, "half");
      throw std::runtime_error("disk on fire");
    });
  });
  EXPECT_EQ(message, "cannot write " + path.string() + ": disk on fire");
  message = error_message([&] { write_file_atomic_by_path(path, [](const fs::path&) {}); });
  EXPECT_NE(message.find("cannot write " + path.string() + ": the writer produced no file"), std::string::npos)
      << message;
  message = error_message([&] { write_file_atomic_by_path(path, [](const fs::path& temp) { fs::remove(temp); }); });
  EXPECT_NE(message.find("the writer produced no file"), std::string::npos) << message;
  EXPECT_EQ(testing::read_raw(path), "old");
  EXPECT_EQ(dir.entries(), (std::set<std::string>{"trace.json"}));
}

TEST(CheckWritable, AcceptsANewOrExistingFileAndLeavesNothing) {
  testing::ScratchDir dir;
  check_writable(dir / "new.json");
  testing::write_raw(dir / "old.json", "keep");
  check_writable(dir / "old.json");
  EXPECT_EQ(testing::read_raw(dir / "old.json"), "keep");
  EXPECT_EQ(dir.entries(), (std::set<std::string>{"old.json"}));
}

TEST(CheckWritable, NamesThePathOfWhatCannotBeWritten) {
  testing::ScratchDir dir;
  const auto missing = dir / "no" / "trace.json";
  std::string message = error_message([&] { check_writable(missing); });
  EXPECT_NE(message.find("cannot write " + missing.string()), std::string::npos) << message;
  EXPECT_NE(message.find("No such file or directory"), std::string::npos) << message;
  fs::create_directories(dir / "folder");
  EXPECT_EQ(error_message([&] { check_writable(dir / "folder"); }),
            "cannot write " + (dir / "folder").string() + ": it is a folder, not a file");
  EXPECT_NE(error_message([&] { check_writable(dir.path() / ""); }).find("names no file"), std::string::npos);
  EXPECT_EQ(dir.entries(), (std::set<std::string>{"folder"}));
}

TEST(ReadFile, ReadsWholeFileAndNamesThePathOnError) {
  testing::ScratchDir dir;
  std::string binary(70000, '\0');
  for (size_t i = 0; i < binary.size(); ++i) binary[i] = static_cast<char>(i * 7);
  testing::write_raw(dir / "data.bin", binary);
  EXPECT_EQ(read_file(dir / "data.bin"), binary);
  testing::write_raw(dir / "empty", "");
  EXPECT_EQ(read_file(dir / "empty"), "");

  EXPECT_EQ(error_message([&] { read_file(dir / "absent"); }),
            "cannot read " + (dir / "absent").string() + ": No such file or directory");
  EXPECT_EQ(error_message([&] { read_file(dir.path()); }),
            "cannot read " + dir.path().string() + ": it is a folder, not a file");
}

TEST(MapFile, MapsContentAndRejectsWhatCannotBeMapped) {
  testing::ScratchDir dir;
  testing::write_raw(dir / "data.bin", "mapped bytes");
  const auto buffer = map_file(dir / "data.bin");
  ASSERT_EQ(buffer->size(), 12u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(buffer->data()), buffer->size()), "mapped bytes");

  EXPECT_EQ(error_message([&] { map_file(dir / "absent"); }),
            "cannot open " + (dir / "absent").string() + ": No such file or directory");
  EXPECT_EQ(error_message([&] { map_file(dir / "data.bin" / "child"); }),
            "cannot open " + (dir / "data.bin" / "child").string() + ": Not a directory");
  EXPECT_EQ(error_message([&] { map_file(dir.path()); }),
            "cannot map " + dir.path().string() + ": it is a folder, not a file");
  testing::write_raw(dir / "empty", "");
  EXPECT_EQ(error_message([&] { map_file(dir / "empty"); }), "cannot map " + (dir / "empty").string() + ": the file is empty");
  ASSERT_EQ(mkfifo((dir / "fifo").c_str(), 0600), 0);
  EXPECT_EQ(error_message([&] { map_file(dir / "fifo"); }), "cannot map " + (dir / "fifo").string() + ": not a regular file");
}

TEST(CopyBytes, OwnsACopy) {
  std::string source = "abc";
  const auto buffer = copy_bytes(source.data(), source.size());
  source[0] = 'z';
  ASSERT_EQ(buffer->size(), 3u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(buffer->data()), 3), "abc");
  EXPECT_EQ(copy_bytes(nullptr, 0)->size(), 0u);
}

}  // namespace
}  // namespace gptbench::io
