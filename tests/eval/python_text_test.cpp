// Python str behaviours (split, rstrip, strict UTF-8) against Python itself, live.
#include <gtest/gtest.h>  // TEST, EXPECT_*

#include <string>  // std::string

#include "gptbench/eval/python_text.h"  // python_split, python_rstrip, *_utf8
#include "python_fixture.h"             // run_oracle_fixture

namespace gptbench::eval {
namespace {

std::string from_hex(const std::string& hex) {
  std::string bytes;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    bytes += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  }
  return bytes;
}

TEST(PythonText, SplitAndRstripMatchPython) {
  for (const auto& c : testing::oracle_cases("python_text", "cases", 40)) {
    const std::string text = c["text"].get<std::string>();
    EXPECT_EQ(python_split(text), c["split"].get<std::vector<std::string>>()) << c["text"].dump();
    EXPECT_EQ(std::string(python_rstrip(text)), c["rstrip"].get<std::string>()) << c["text"].dump();
  }
}

TEST(PythonText, Utf8ValidityAndReplacementMatchPythonDecoder) {
  for (const auto& c : testing::oracle_cases("python_text", "utf8", 20)) {
    const std::string bytes = from_hex(c["hex"].get<std::string>());
    EXPECT_EQ(find_invalid_utf8(bytes) == std::string_view::npos, c["valid"].get<bool>())
        << "bytes " << c["hex"].get<std::string>();
    EXPECT_EQ(replace_invalid_utf8(bytes), from_hex(c["replaced"].get<std::string>()))
        << "bytes " << c["hex"].get<std::string>();
  }
}

TEST(PythonText, DecodeReportsLengthAndPosition) {
  const std::string euro = "a\xE2\x82\xAC";
  EXPECT_EQ(decode_utf8(euro, 1).value, U'\u20AC');
  EXPECT_EQ(decode_utf8(euro, 1).length, 3u);
  EXPECT_EQ(find_invalid_utf8("ok\xC3"), 2u);  // truncated at the end
  EXPECT_EQ(decode_utf8("\xC3", 0).value, kInvalidCodePoint);
  EXPECT_EQ(decode_utf8("\xC3", 0).length, 1u);
  EXPECT_EQ(decode_utf8("\xE2\x82", 0).length, 2u);  // a cut character is one U+FFFD
  EXPECT_EQ(replace_invalid_utf8("ab\xE2\x82"), "ab\xEF\xBF\xBD");
}

}  // namespace
}  // namespace gptbench::eval
