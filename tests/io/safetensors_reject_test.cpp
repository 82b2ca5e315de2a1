// Every way SafetensorsFile::parse must refuse a file, each on a hand-built corrupt file;
// the message must name the file and, where one is at fault, the tensor.
#include <gtest/gtest.h>  // TEST_P, EXPECT_*

#include <ostream>  // std::ostream for PrintTo
#include <string>   // std::string
#include <vector>  // std::vector

#include "gptbench/io/safetensors.h"  // SafetensorsFile, copy_bytes
#include "io_test_support.h"          // safetensors_bytes, error_message, ScratchDir

namespace gptbench::io {
namespace {

using testing::error_message;
using testing::safetensors_bytes;

struct BadFile {
  std::string label;
  std::string bytes;
  std::vector<std::string> expected;  // substrings of the message besides the file name
};
void PrintTo(const BadFile& bad, std::ostream* out) { *out << bad.label; }

// {"<name>":{"dtype":"F32","shape":[<shape>],"data_offsets":[b,e]}} for compact cases.
std::string entry(const std::string& name, const std::string& dtype, const std::string& shape, int begin, int end) {
  return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":[" + shape + "],\"data_offsets\":[" +
         std::to_string(begin) + "," + std::to_string(end) + "]}";
}
std::string header(const std::string& body) { return "{" + body + "}"; }
std::string zeros(size_t count) { return std::string(count, '\0'); }

std::string with_length(uint64_t length, const std::string& rest) {
  std::string bytes(8, '\0');
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>((length >> (8 * i)) & 0xff);
  return bytes + rest;
}

std::vector<BadFile> bad_files() {
  const std::string good_a = entry("a", "F32", "2", 0, 8);
  return {
      {"too_short", std::string("\x08\x00\x00", 3), {"3 bytes is too small"}},
      {"header_longer_than_file", with_length(100, "{}"), {"header length 100", "2 bytes that follow"}},
      {"header_absurd", with_length(uint64_t{1} << 40, "{}"), {"header length 1099511627776", "limit"}},
      {"header_length_max_u64", with_length(~uint64_t{0}, "{}"), {"18446744073709551615"}},
      {"bad_json", safetensors_bytes("{\"a\":", ""), {"invalid JSON"}},
      {"trailing_nul_padding", safetensors_bytes(header(good_a) + std::string(2, '\0'), zeros(8)),
       {"invalid JSON: NUL byte at offset " + std::to_string(header(good_a).size())}},
      {"nul_then_garbage", safetensors_bytes(header(good_a) + std::string(1, '\0') + "garbage", zeros(8)),
       {"NUL byte"}},
      {"invalid_utf8", safetensors_bytes("{\"\xff\":1}", ""), {"invalid JSON"}},
      {"not_an_object", safetensors_bytes("[1,2]", ""), {"not a JSON object"}},
      {"entry_not_object", safetensors_bytes("{\"w\":3}", ""), {"tensor 'w'", "not an object"}},
      {"missing_dtype", safetensors_bytes("{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", zeros(4)),
       {"missing dtype", "tensor 'w'"}},
      {"dtype_not_string", safetensors_bytes("{\"w\":{\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,4]}}", zeros(4)),
       {"dtype is 4, not a string", "tensor 'w'"}},
      {"unknown_dtype", safetensors_bytes(header(entry("w", "X32", "1", 0, 4)), zeros(4)),
       {"unknown dtype 'X32' for tensor 'w'"}},
      {"unsupported_dtype_i32", safetensors_bytes(header(entry("w", "I32", "1", 0, 4)), zeros(4)),
       {"unsupported dtype I32 for tensor 'w' in"}},
      {"unsupported_dtype_f64", safetensors_bytes(header(entry("w", "F64", "1", 0, 8)), zeros(8)),
       {"unsupported dtype F64 for tensor 'w' in"}},
      {"missing_shape", safetensors_bytes("{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", zeros(4)),
       {"missing shape", "tensor 'w'"}},
      {"shape_not_array", safetensors_bytes("{\"w\":{\"dtype\":\"F32\",\"shape\":4,\"data_offsets\":[0,4]}}", zeros(4)),
       {"shape is 4, not an array", "tensor 'w'"}},
      {"shape_negative", safetensors_bytes(header(entry("w", "F32", "-1", 0, 4)), zeros(4)),
       {"shape[0] is -1", "tensor 'w'"}},
      {"shape_float", safetensors_bytes(header(entry("w", "F32", "1.0", 0, 4)), zeros(4)),
       {"shape[0] is the number 1.0", "tensor 'w'"}},
      {"shape_string", safetensors_bytes(header(entry("w", "F32", "\"1\"", 0, 4)), zeros(4)),
       {"shape[0] is the string '1'", "tensor 'w'"}},
      {"shape_dim_above_int64", safetensors_bytes(header(entry("w", "F32", "9223372036854775808,0", 0, 0)), ""),
       {"shape[0] is 9223372036854775808", "tensor 'w'"}},
      {"shape_product_overflow",
       safetensors_bytes(header(entry("w", "F32", "4294967296,4294967296,0", 0, 0)), ""),
       {"overflows 64 bits", "tensor 'w'"}},
      {"shape_bytes_overflow", safetensors_bytes(header(entry("w", "F32", "4611686018427387904", 0, 0)), ""),
       {"overflows 64 bits", "tensor 'w'"}},
      {"missing_offsets", safetensors_bytes("{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", zeros(4)),
       {"missing data_offsets", "tensor 'w'"}},
      {"offsets_three", safetensors_bytes("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,4]}}", zeros(4)),
       {"data_offsets must be an array [begin, end]", "tensor 'w'"}},
      {"offsets_negative",
       safetensors_bytes("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", zeros(4)),
       {"two non-negative integers", "tensor 'w'"}},
      {"offsets_reversed", safetensors_bytes(header(entry("w", "F32", "1", 4, 0)), zeros(4)),
       {"[4, 0] end before they begin", "tensor 'w'"}},
      {"offsets_out_of_range", safetensors_bytes(header(entry("w", "F32", "4", 0, 16)), zeros(8)),
       {"[0, 16] run past the data block of 8 bytes", "tensor 'w'"}},
      {"truncated_data", safetensors_bytes(header(good_a + "," + entry("b", "F32", "2", 8, 16)), zeros(12)),
       {"run past the data block of 12 bytes", "tensor 'b'"}},
      {"byte_range_mismatch", safetensors_bytes(header(entry("w", "F32", "3", 0, 8)), zeros(8)),
       {"shape [3] of F32 needs 12 bytes but data_offsets [0, 8] hold 8", "tensor 'w'"}},
      {"bf16_range_mismatch", safetensors_bytes(header(entry("w", "BF16", "2,2", 0, 4)), zeros(4)),
       {"shape [2, 2] of BF16 needs 8 bytes", "tensor 'w'"}},
      {"overlap", safetensors_bytes(header(good_a + "," + entry("b", "F32", "2", 4, 12)), zeros(12)),
       {"[4, 12] overlap tensor 'a' [0, 8]", "tensor 'b'"}},
      {"same_range", safetensors_bytes(header(good_a + "," + entry("b", "F32", "2", 0, 8)), zeros(8)),
       {"overlap tensor", "tensor 'b'"}},
      {"gap", safetensors_bytes(header(good_a + "," + entry("b", "F32", "1", 12, 16)), zeros(16)),
       {"gap of 4 bytes", "tensor 'b'"}},
      {"gap_at_start", safetensors_bytes(header(entry("w", "F32", "1", 4, 8)), zeros(8)),
       {"gap of 4 bytes", "tensor 'w'"}},
      {"trailing_bytes", safetensors_bytes(header(good_a), zeros(12)),
       {"cover 8 bytes of the 12-byte data block"}},
      {"metadata_not_object", safetensors_bytes("{\"__metadata__\":[\"x\"]}", ""),
       {"__metadata__ is a JSON array, not an object of strings"}},
      {"metadata_non_string", safetensors_bytes("{\"__metadata__\":{\"format\":1}}", ""),
       {"__metadata__ value of key 'format' is 1, not a string"}},
      {"metadata_nested", safetensors_bytes("{\"__metadata__\":{\"format\":{\"a\":\"b\"}}}", ""),
       {"key 'format' is a JSON object"}},
      {"duplicate_tensor", safetensors_bytes(header(good_a + "," + good_a), zeros(8)),
       {"duplicate key 'a' in the top-level JSON object"}},
      {"duplicate_field",
       safetensors_bytes("{\"w\":{\"dtype\":\"F32\",\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[0,4]}}", zeros(4)),
       {"duplicate key 'dtype' inside 'w'"}},
      {"duplicate_metadata_key", safetensors_bytes("{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", ""),
       {"duplicate key 'k' inside '__metadata__'"}},
      {"control_chars_in_name", safetensors_bytes(header(entry("a\\nb", "I8", "1", 0, 1)), zeros(1)),
       {"unsupported dtype I8 for tensor 'a\\x0ab'"}},
  };
}

class RejectTest : public ::testing::TestWithParam<BadFile> {};

TEST_P(RejectTest, ThrowsErrorNamingFileAndTensor) {
  const BadFile& bad = GetParam();
  const std::string source = "corrupt_" + bad.label + ".safetensors";
  const std::string message = error_message([&] { SafetensorsFile::parse(copy_bytes(bad.bytes.data(), bad.bytes.size()), source); });
  EXPECT_NE(message.find(source), std::string::npos) << message;
  for (const std::string& part : bad.expected) EXPECT_NE(message.find(part), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << "message must be one line: " << message;
}

INSTANTIATE_TEST_SUITE_P(CorruptFiles, RejectTest, ::testing::ValuesIn(bad_files()),
                         [](const ::testing::TestParamInfo<BadFile>& info) { return info.param.label; });

// The same corrupt bytes read through open(): the message carries the path on disk.
TEST(SafetensorsOpen, ErrorNamesThePathOnDisk) {
  testing::ScratchDir dir;
  const auto path = dir / "broken.safetensors";
  testing::write_raw(path, safetensors_bytes(header(entry("w", "F32", "3", 0, 8)), zeros(8)));
  const std::string message = error_message([&] { SafetensorsFile::open(path); });
  EXPECT_NE(message.find(path.string()), std::string::npos) << message;
  EXPECT_NE(message.find("tensor 'w'"), std::string::npos) << message;
}

TEST(SafetensorsParse, NullBufferIsAnError) {
  const std::string message = error_message([] { SafetensorsFile::parse(nullptr, "nothing"); });
  EXPECT_NE(message.find("nothing"), std::string::npos) << message;
}

}  // namespace
}  // namespace gptbench::io
