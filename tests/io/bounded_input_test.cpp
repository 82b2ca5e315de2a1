// The bounded input and output checks of issue 15: read_file refuses FIFOs and devices without
// blocking and enforces its size cap; parse_json_strict refuses deep nesting before building a
// value; json_integer neither wraps nor truncates; json_text survives invalid UTF-8;
// check_output_path refuses folders, devices and inputs; writes go through symlinks.
#include <gtest/gtest.h>  // TEST, EXPECT_*

#include <sys/stat.h>  // mkfifo

#include <set>     // std::set
#include <string>  // std::string

#include "gptbench/io/atomic_file.h"   // read_file, write_file_atomic
#include "gptbench/io/json_input.h"    // parse_json_strict, check_json_depth, json_excerpt, kMaxJsonDepth
#include "gptbench/io/json_integer.h"  // json_integer
#include "gptbench/io/json_output.h"   // json_text
#include "gptbench/io/output_path.h"   // check_output_path, resolve_output_path
#include "io_test_support.h"           // ScratchDir, error_message, write_raw, read_raw

namespace gptbench::io {
namespace {

namespace fs = std::filesystem;
using testing::error_message;

std::string nested(int levels) { return std::string(levels, '[') + std::string(levels, ']'); }

TEST(ReadFile, RefusesFifosDevicesAndFilesOverTheCap) {
  testing::ScratchDir dir;
  ASSERT_EQ(mkfifo((dir / "fifo").c_str(), 0600), 0);  // no writer: a blocking open would hang here
  EXPECT_EQ(error_message([&] { read_file(dir / "fifo"); }),
            "cannot read " + (dir / "fifo").string() + ": not a regular file (a pipe, socket or device)");
  EXPECT_EQ(error_message([&] { read_file("/dev/zero"); }),
            "cannot read /dev/zero: not a regular file (a pipe, socket or device)");
  testing::write_raw(dir / "ten", "0123456789");
  EXPECT_EQ(read_file(dir / "ten", 10), "0123456789");
  EXPECT_EQ(error_message([&] { read_file(dir / "ten", 9); }),
            "cannot read " + (dir / "ten").string() + ": the file is 10 bytes, over the limit of 9");
}

TEST(ParseJsonStrict, RefusesNestingPastTheLimitWhateverTheSyntax) {
  EXPECT_NO_THROW(parse_json_strict(nested(kMaxJsonDepth), "ok.json"));
  const std::string deep = "deep.json: invalid JSON: nested deeper than " + std::to_string(kMaxJsonDepth) + " levels";
  EXPECT_EQ(error_message([&] { parse_json_strict(nested(kMaxJsonDepth + 1), "deep.json"); }), deep);
  EXPECT_EQ(error_message([&] { parse_json_strict(nested(100000), "deep.json"); }), deep);
  EXPECT_EQ(error_message([&] { check_json_depth(std::string(100000, '{'), "deep.json"); }), deep);  // unbalanced
  // Brackets inside strings, escaped quotes included, do not count.
  const std::string in_string = "[\"" + std::string(1000, '[') + "\\\"" + std::string(1000, '{') + "\"]";
  EXPECT_EQ(parse_json_strict(in_string, "s.json").at(0).get<std::string>().size(), 2001u);
}

TEST(JsonInteger, NeitherWrapsNorTruncates) {
  EXPECT_EQ(json_integer<int32_t>(nlohmann::json(5), "f: id"), 5);
  EXPECT_EQ(error_message([&] { json_integer<int32_t>(nlohmann::json::parse("4294967301"), "f: id"); }),
            "f: id must be an integer in [-2147483648, 2147483647], got 4294967301");
  EXPECT_EQ(error_message([&] { json_integer<int64_t>(nlohmann::json::parse("18446744073709551615"), "k"); }),
            "k must be an integer in [-9223372036854775808, 9223372036854775807], got 18446744073709551615");
  EXPECT_EQ(error_message([&] { json_integer<int64_t>(nlohmann::json(2.5), "k", 0); }),
            "k must be an integer in [0, 9223372036854775807], got 2.5");
  EXPECT_EQ(error_message([&] { json_integer<int64_t>(nlohmann::json(-1), "k", 0, 10); }),
            "k must be an integer in [0, 10], got -1");
  EXPECT_EQ(error_message([&] { json_integer<uint64_t>(nlohmann::json(-1), "k"); }),
            "k must be an integer in [0, 18446744073709551615], got -1");
  EXPECT_EQ(json_integer<int64_t>(nlohmann::json(-7), "k", -10, 10), -7);
}

TEST(JsonText, ReplacesInvalidUtf8InsteadOfThrowing) {
  const nlohmann::json report = {{"prompt_template", std::string("\xff\xfe {source}")}};
  EXPECT_EQ(json_text(report), "{\"prompt_template\":\"\xef\xbf\xbd\xef\xbf\xbd {source}\"}");
  EXPECT_EQ(json_excerpt(nlohmann::json(std::string(1000, 'a'))).size(), 200u + std::string("...(1002 bytes)").size());
}

TEST(CheckOutputPath, RefusesFoldersDevicesInputsAndMissingFolders) {
  testing::ScratchDir dir;
  testing::write_raw(dir / "input.csv", "a,b\n");
  fs::create_symlink(dir / "input.csv", dir / "alias.csv");
  EXPECT_NO_THROW(check_output_path("", "--out"));
  EXPECT_NO_THROW(check_output_path(dir / "new.json", "--out", {dir / "input.csv", dir / "absent"}));
  EXPECT_EQ(error_message([&] { check_output_path(dir / "input.csv", "--out", {dir / "input.csv"}); }),
            "--out " + (dir / "input.csv").string() + " is the input file " + (dir / "input.csv").string() +
                ": writing it would destroy the input; choose another output path");
  EXPECT_NE(error_message([&] { check_output_path(dir / "alias.csv", "--out", {dir / "input.csv"}); })
                .find("is the input file"),
            std::string::npos);
  EXPECT_EQ(error_message([&] { check_output_path("/dev/null", "--out"); }),
            "--out /dev/null: not a regular file (a device, pipe or socket); give a file path");
  EXPECT_EQ(error_message([&] { check_output_path(dir.path(), "--json"); }),
            "--json " + dir.path().string() + ": it is a folder, not a file");
  EXPECT_NE(error_message([&] { check_output_path(dir / "absent" / "r.json", "--out"); }).find("absent"),
            std::string::npos);
  EXPECT_EQ(dir.entries(), (std::set<std::string>{"input.csv", "alias.csv"}));  // no probe left behind
}

TEST(WriteFileAtomic, WritesThroughASymlinkAndRefusesDevices) {
  testing::ScratchDir dir;
  testing::write_raw(dir / "target.json", "old");
  fs::create_symlink(dir / "target.json", dir / "link.json");
  write_file_atomic(dir / "link.json", "new");
  EXPECT_TRUE(fs::is_symlink(dir / "link.json"));
  EXPECT_EQ(testing::read_raw(dir / "target.json"), "new");
  fs::create_symlink("/dev/null", dir / "null.json");
  EXPECT_EQ(error_message([&] { write_file_atomic(dir / "null.json", "x"); }),
            "cannot write " + (dir / "null.json").string() + ": not a regular file (a device, pipe or socket)");
  EXPECT_EQ(resolve_output_path(dir / "link.json"), fs::weakly_canonical(dir / "target.json"));
}

}  // namespace
}  // namespace gptbench::io
