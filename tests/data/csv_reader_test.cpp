// RFC 4180 parsing and the one-line errors for malformed input.
#include <gmock/gmock.h>  // testing::HasSubstr, testing::ThrowsMessage
#include <gtest/gtest.h>  // TEST, EXPECT_*

#include <string>  // std::string
#include <vector>  // std::vector

#include "gptbench/data/csv_reader.h"  // parse_csv
#include "gptbench/util/error.h"       // gptbench::Error

namespace gptbench::data {
namespace {

using Fields = std::vector<std::string>;
using testing::HasSubstr;

TEST(CsvReader, HeaderAndPlainRows) {
  const auto t = parse_csv("a,b,c\n1,2,3\n4,,6\n", "t.csv");
  EXPECT_EQ(t.header, (Fields{"a", "b", "c"}));
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[0].fields, (Fields{"1", "2", "3"}));
  EXPECT_EQ(t.rows[1].fields, (Fields{"4", "", "6"}));
  EXPECT_EQ(t.rows[0].line, 2u);
  EXPECT_EQ(t.rows[1].line, 3u);
  EXPECT_EQ(t.column("c"), 2u);
  EXPECT_THAT([&] { (void)t.column("zz"); }, testing::ThrowsMessage<Error>(HasSubstr("t.csv: no column named 'zz'")));
}

TEST(CsvReader, QuotedFieldsSpanLinesAndEscapeQuotes) {
  const auto t = parse_csv("id,text\n1,\"He said \"\"hi\"\",\nthen left\"\n2,\"a,b\"\n3,\"\"\n", "t.csv");
  ASSERT_EQ(t.rows.size(), 3u);
  EXPECT_EQ(t.rows[0].fields[1], "He said \"hi\",\nthen left");
  EXPECT_EQ(t.rows[1].fields[1], "a,b");
  EXPECT_EQ(t.rows[2].fields[1], "");
  EXPECT_EQ(t.rows[0].line, 2u);
  EXPECT_EQ(t.rows[1].line, 4u);  // the quoted newline moved it down one line
  EXPECT_EQ(t.rows[2].line, 5u);
}

TEST(CsvReader, CrlfLineEndsAndNoFinalNewline) {
  const auto t = parse_csv("a,b\r\n\"x\r\ny\",2\r\n3,4", "t.csv");
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[0].fields, (Fields{"x\r\ny", "2"}));  // CRLF inside quotes is data, kept as is
  EXPECT_EQ(t.rows[1].fields, (Fields{"3", "4"}));
  EXPECT_EQ(t.rows[1].line, 4u);
}

TEST(CsvReader, BomAndBlankLinesAreSkipped) {
  const auto t = parse_csv("\xEF\xBB\xBFname\n\nalice\n\r\nbob\n\n", "t.csv");
  EXPECT_EQ(t.header, (Fields{"name"}));
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[0].line, 3u);
  EXPECT_EQ(t.rows[1].line, 5u);
}

TEST(CsvReader, BytesAreNotDecoded) {
  const auto t = parse_csv("a\nS\xe3o Jo\xe3o\n", "t.csv");
  EXPECT_EQ(t.rows[0].fields[0], "S\xe3o Jo\xe3o");
}

std::string error_of(const std::string& content) {
  try {
    (void)parse_csv(content, "bad.csv");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(CsvReader, MalformedInputNamesFileAndLine) {
  EXPECT_THAT(error_of("a,b\n1,\"open\nstill open\n"), HasSubstr("bad.csv:2: unterminated quoted field"));
  EXPECT_THAT(error_of("a,b\n1,2\n3\n"), HasSubstr("bad.csv:3: expected 2 fields, found 1"));
  EXPECT_THAT(error_of("a,b\n1,2,3\n"), HasSubstr("bad.csv:2: expected 2 fields, found 3"));
  EXPECT_THAT(error_of("a,b\n1,x\"y\n"), HasSubstr("bad.csv:2: quote inside an unquoted field"));
  EXPECT_THAT(error_of("a,b\n1,\"x\"y\n"), HasSubstr("bad.csv:2: unexpected character after a closing quote"));
  EXPECT_THAT(error_of("a,b\n1,x\ry\n"), HasSubstr("bad.csv:2: carriage return"));
  EXPECT_THAT(error_of(""), HasSubstr("bad.csv: empty file"));
  EXPECT_THAT(error_of("a,a\n"), HasSubstr("duplicate column name 'a'"));
  // Found by fuzz_csv: a quoted name holding a newline split the message over two lines.
  EXPECT_EQ(error_of("\"x\ny\",\"x\ny\"\n"), "bad.csv:1: duplicate column name 'x\\x0ay'");
  EXPECT_THAT(error_of("a,\n1,2\n"), HasSubstr("bad.csv:1: header column 2 has no name"));
  // The line of the error is where the bad record starts, after earlier multi-line fields.
  EXPECT_THAT(error_of("a,b\n1,\"x\ny\"\n2\n"), HasSubstr("bad.csv:4: expected 2 fields"));
}

TEST(CsvReader, MissingFileNamesThePath) {
  EXPECT_THAT([] { (void)read_csv("/nonexistent/news.csv"); },
              testing::ThrowsMessage<Error>(HasSubstr("/nonexistent/news.csv")));
}

}  // namespace
}  // namespace gptbench::data
