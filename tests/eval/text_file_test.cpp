// read_texts: both layouts, their edge cases, and one-line errors that name file and line.
#include <gtest/gtest.h>  // TEST, EXPECT_*

#include <filesystem>  // std::filesystem::path
#include <string>      // std::string

#include "../support/temp_dir.h"  // test_support::TempDir
#include "gptbench/eval/text_file.h"  // read_texts, text_file_format
#include "gptbench/util/error.h"      // gptbench::Error

namespace gptbench::eval {
namespace {

namespace fs = std::filesystem;

class TextFileTest : public ::testing::Test {
 protected:
  test_support::TempDir tmp_;
  const fs::path dir_ = tmp_.path();  // removed with everything in it after the test

  fs::path write(const std::string& name, const std::string& bytes) { return tmp_.write(name, bytes); }

  // The message of the gptbench::Error that read_texts throws, or "" when it throws none.
  static std::string error_of(const fs::path& path) {
    try {
      read_texts(path);
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  }

};

using Texts = std::vector<std::string>;

TEST_F(TextFileTest, PlainLines) {
  EXPECT_EQ(read_texts(write("a.txt", "one\ntwo\n")), (Texts{"one", "two"}));
  EXPECT_EQ(read_texts(write("b.txt", "one\r\n\r\nthree")), (Texts{"one", "", "three"}));
  EXPECT_EQ(read_texts(write("c.txt", "")), Texts{});
  EXPECT_EQ(read_texts(write("d.txt", "\n")), Texts{""});
  EXPECT_EQ(read_texts(write("e.txt",
                             "\xEF\xBB\xBF"
                             "bom\n")),
            Texts{"bom"});
  EXPECT_EQ(read_texts(write("f.txt", "{\"text\": \"x\"}\n")), Texts{"{\"text\": \"x\"}"});
}

TEST_F(TextFileTest, JsonLines) {
  EXPECT_EQ(text_file_format("x.JSONL"), TextFileFormat::kJsonLines);
  EXPECT_EQ(read_texts(write("a.jsonl",
                             "\"one\\ntwo\"\n{\"text\": \"three\", \"id\": 3}\r\n\"\\u00e9\"\n")),
            (Texts{"one\ntwo", "three", "\xC3\xA9"}));
}

TEST_F(TextFileTest, ErrorsNameFileAndLine) {
  const fs::path bad_json = write("bad.jsonl", "\"ok\"\n{\"text\": \n");
  EXPECT_NE(error_of(bad_json).find(bad_json.string() + ":2: bad JSON"), std::string::npos)
      << error_of(bad_json);
  const fs::path no_text = write("notext.jsonl", "\"ok\"\n\"ok\"\n{\"txt\": \"x\"}\n");
  EXPECT_NE(error_of(no_text).find(no_text.string() + ":3: expected"), std::string::npos)
      << error_of(no_text);
  const fs::path number = write("number.jsonl", "5\n");
  EXPECT_NE(error_of(number).find(number.string() + ":1:"), std::string::npos) << error_of(number);
  const fs::path blank = write("blank.jsonl", "\"a\"\n\n\"b\"\n");
  EXPECT_NE(error_of(blank).find(blank.string() + ":2: empty line"), std::string::npos)
      << error_of(blank);
  const fs::path latin1 = write("latin1.txt", "ok\nS\xE3o\n");
  EXPECT_NE(error_of(latin1).find(latin1.string() + ":2: not valid UTF-8 (byte 2"),
            std::string::npos)
      << error_of(latin1);
  const fs::path missing = dir_ / "missing.txt";
  EXPECT_NE(error_of(missing).find(missing.string() + ": cannot open"), std::string::npos)
      << error_of(missing);
  EXPECT_NE(error_of(dir_).find("is a directory"), std::string::npos);
  for (const fs::path& p : {bad_json, no_text, number, blank, latin1, missing}) {
    EXPECT_EQ(error_of(p).find('\n'), std::string::npos) << "one-line message for " << p;
  }
}

}  // namespace
}  // namespace gptbench::eval
