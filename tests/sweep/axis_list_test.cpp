// Axis list and range syntax: expansions, and every malformed form refused naming the flag.
#include <gtest/gtest.h>  // TEST, EXPECT_*

#include <string>  // std::string

#include "gptbench/sweep/axis_list.h"  // parse_int_list, parse_window_list, parse_name_list
#include "gptbench/util/error.h"       // UsageError

namespace gptbench::sweep {
namespace {

using Ints = std::vector<int64_t>;

TEST(AxisList, ValuesAndRanges) {
  EXPECT_EQ(parse_int_list("--b", "8"), Ints({8}));
  EXPECT_EQ(parse_int_list("--b", "1,2,4-64*2"), Ints({1, 2, 4, 8, 16, 32, 64}));
  EXPECT_EQ(parse_int_list("--b", "4-60*2"), Ints({4, 8, 16, 32}));  // the last value only when reached
  EXPECT_EQ(parse_int_list("--b", "100-300+100"), Ints({100, 200, 300}));
  EXPECT_EQ(parse_int_list("--b", "100-350+100"), Ints({100, 200, 300}));
  EXPECT_EQ(parse_int_list("--b", "3-5"), Ints({3, 4, 5}));
  EXPECT_EQ(parse_int_list("--b", "7-7*2"), Ints({7}));
  EXPECT_EQ(parse_int_list("--b", " 16 , 1 "), Ints({16, 1}));  // order kept, blanks trimmed
  EXPECT_EQ(parse_int_list("--b", "1-1099511627776*1099511627776"), Ints({1, 1099511627776}));  // no overflow
}

void expect_refused(const std::string& text, const std::string& needle) {
  try {
    parse_int_list("--batch-sizes", text);
    ADD_FAILURE() << "accepted \"" << text << "\"";
  } catch (const UsageError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("--batch-sizes"), std::string::npos) << message;
    EXPECT_NE(message.find(needle), std::string::npos) << message;
  }
}

TEST(AxisList, MalformedIsRefused) {
  expect_refused("", "empty list");
  expect_refused("  ", "empty list");
  expect_refused("1,,2", "empty item");
  expect_refused("4,", "empty item");
  expect_refused("4-", "not a number or range");
  expect_refused("-4", "not a number or range");
  expect_refused("a,b", "\"a\" is not a number");
  expect_refused("4x", "not a number");
  expect_refused("4-64*1", "factor of at least 2");
  expect_refused("4-64*0", "out of range");
  expect_refused("4-64+0", "out of range");
  expect_refused("64-4*2", "runs backwards");
  expect_refused("0", "out of range");
  expect_refused("1-100000000", "more than");
  expect_refused("2,1-4", "2 is listed twice");
  expect_refused("99999999999999999999", "not a number");
}

TEST(AxisList, WindowsAndNames) {
  const auto w = parse_window_list("--windows", "none,128-256*2");
  ASSERT_EQ(w.size(), 3u);
  EXPECT_FALSE(w[0].has_value());
  EXPECT_EQ(*w[1], 128);
  EXPECT_EQ(*w[2], 256);
  EXPECT_THROW(parse_window_list("--windows", "none,none"), UsageError);
  EXPECT_THROW(parse_window_list("--windows", "nothing"), UsageError);
  EXPECT_EQ(parse_name_list("--variants", "standard,flash+alibi"), std::vector<std::string>({"standard", "flash+alibi"}));
  EXPECT_THROW(parse_name_list("--variants", "flash,flash"), UsageError);
  EXPECT_THROW(parse_name_list("--variants", ""), UsageError);
}

}  // namespace
}  // namespace gptbench::sweep
