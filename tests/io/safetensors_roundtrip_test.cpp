// Writer and reader: published reference byte vectors, round trips of every supported dtype,
// scalars, zero-sized tensors and metadata, and files the reference accepts that we must too.
#include <gtest/gtest.h>  // TEST, EXPECT_*

#include <cstdint>  // uint16_t, uintptr_t
#include <cstring>  // std::memcmp
#include <map>      // std::map
#include <string>   // std::string
#include <vector>   // std::vector

#include "gptbench/io/safetensors.h"  // write_safetensors, SafetensorsFile
#include "io_test_support.h"          // ScratchDir, safetensors_bytes, f32_bytes, read_raw

namespace gptbench::io {
namespace {

using testing::f32_bytes;
using testing::safetensors_bytes;

std::string view_bytes(const TensorView& tensor) {
  return std::string(reinterpret_cast<const char*>(tensor.data), tensor.nbytes);
}

SafetensorsFile parse_string(const std::string& bytes, const std::string& source = "in-memory") {
  return SafetensorsFile::parse(copy_bytes(bytes.data(), bytes.size()), source);
}

// Test vectors from the reference implementation's own tests (safetensors/src/tensor.rs:
// test_serialization, test_serialization_forced_alignement, test_empty).
TEST(SafetensorsWriter, MatchesReferenceByteVectors) {
  testing::ScratchDir dir;
  const std::string data = f32_bytes({0, 1, 2, 3, 4, 5});

  write_safetensors(dir / "a.safetensors", {{"attn.0", DType::kF32, {1, 2, 3}, data.data(), data.size()}});
  EXPECT_EQ(testing::read_raw(dir / "a.safetensors"),
            safetensors_bytes(R"({"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}})", data));

  write_safetensors(dir / "b.safetensors", {{"attn0", DType::kF32, {1, 1, 2, 3}, data.data(), data.size()}});
  EXPECT_EQ(testing::read_raw(dir / "b.safetensors"),
            safetensors_bytes(R"({"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}       )", data));

  write_safetensors(dir / "c.safetensors", {});
  EXPECT_EQ(testing::read_raw(dir / "c.safetensors"), safetensors_bytes("{}      ", ""));

  write_safetensors(dir / "d.safetensors", {}, {{"framework", "pt"}});
  EXPECT_EQ(testing::read_raw(dir / "d.safetensors"), safetensors_bytes(R"({"__metadata__":{"framework":"pt"}}     )", ""));
}

TEST(SafetensorsRoundTrip, AllDtypesScalarsZeroSizedAndMetadata) {
  testing::ScratchDir dir;
  const std::string f32 = f32_bytes({1.5f, -2.0f, 3.25f, 0.0f, 1e-30f, -7.0f});
  const std::vector<uint16_t> f16 = {0x3c00, 0xc000, 0x7bff};          // 1, -2, 65504
  const std::vector<uint16_t> bf16 = {0x3f80, 0x4049, 0xff80, 0x0001};  // 1, ~3.14, -inf, denormal
  const std::string scalar = f32_bytes({42.0f});
  const std::map<std::string, std::string> metadata = {{"format", "pt"}, {"note", "caf\xc3\xa9 \"quoted\""}};

  const auto path = dir / "model.safetensors";
  write_safetensors(path,
                    {{"h.0.w", DType::kF32, {2, 3}, f32.data(), f32.size()},
                     {"h.0.half", DType::kF16, {3}, f16.data(), 6},
                     {"h.0.brain", DType::kBF16, {2, 2}, bf16.data(), 8},
                     {"scalar", DType::kF32, {}, scalar.data(), 4},
                     {"empty", DType::kBF16, {0, 5}, nullptr, 0},
                     {"also_empty", DType::kF32, {3, 0}, nullptr, 0}},
                    metadata);

  const SafetensorsFile file = SafetensorsFile::open(path);
  EXPECT_EQ(file.source(), path.string());
  EXPECT_EQ(file.metadata(), metadata);
  ASSERT_EQ(file.tensors().size(), 6u);
  std::vector<std::string> names;
  for (const TensorView& tensor : file.tensors()) names.push_back(tensor.name);
  EXPECT_EQ(names, (std::vector<std::string>{"also_empty", "empty", "h.0.brain", "h.0.half", "h.0.w", "scalar"}));

  const TensorView* w = file.find("h.0.w");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->dtype, DType::kF32);
  EXPECT_EQ(w->shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(w->numel(), 6);
  EXPECT_EQ(view_bytes(*w), f32);

  const TensorView* half = file.find("h.0.half");
  ASSERT_NE(half, nullptr);
  EXPECT_EQ(half->dtype, DType::kF16);
  EXPECT_EQ(half->nbytes, 6u);
  EXPECT_EQ(std::memcmp(half->data, f16.data(), 6), 0);

  const TensorView* brain = file.find("h.0.brain");
  ASSERT_NE(brain, nullptr);
  EXPECT_EQ(brain->dtype, DType::kBF16);
  EXPECT_EQ(brain->shape, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(std::memcmp(brain->data, bf16.data(), 8), 0);

  const TensorView* s = file.find("scalar");
  ASSERT_NE(s, nullptr);
  EXPECT_TRUE(s->shape.empty());
  EXPECT_EQ(s->numel(), 1);
  EXPECT_EQ(view_bytes(*s), scalar);

  const TensorView* empty = file.find("empty");
  ASSERT_NE(empty, nullptr);
  EXPECT_EQ(empty->shape, (std::vector<int64_t>{0, 5}));
  EXPECT_EQ(empty->numel(), 0);
  EXPECT_EQ(empty->nbytes, 0u);

  EXPECT_EQ(file.find("missing"), nullptr);
  EXPECT_EQ(file.find("h.0"), nullptr);
}

// F16 tensors of odd length before an F32 one would misalign it; the reference order
// (F32, then BF16, then F16) keeps every tensor aligned to its element size.
TEST(SafetensorsRoundTrip, TensorsAreAlignedToTheirElementSize) {
  testing::ScratchDir dir;
  const std::vector<uint16_t> odd = {1, 2, 3};
  const std::string f32 = f32_bytes({1, 2, 3, 4});
  write_safetensors(dir / "x.safetensors", {{"a_half", DType::kF16, {3}, odd.data(), 6},
                                            {"b_brain", DType::kBF16, {3}, odd.data(), 6},
                                            {"c_float", DType::kF32, {4}, f32.data(), f32.size()}});
  const SafetensorsFile file = SafetensorsFile::open(dir / "x.safetensors");
  ASSERT_EQ(file.tensors().size(), 3u);
  for (const TensorView& tensor : file.tensors()) {
    EXPECT_EQ(reinterpret_cast<uintptr_t>(tensor.data) % dtype_size(tensor.dtype), 0u) << tensor.name;
  }
  EXPECT_EQ(view_bytes(*file.find("c_float")), f32);
}

TEST(SafetensorsRoundTrip, TensorsOutliveTheFileObjectThroughCopies) {
  testing::ScratchDir dir;
  const std::string f32 = f32_bytes({9, 8});
  write_safetensors(dir / "x.safetensors", {{"w", DType::kF32, {2}, f32.data(), f32.size()}});
  std::vector<SafetensorsFile> files;
  files.push_back(SafetensorsFile::open(dir / "x.safetensors"));
  std::filesystem::remove(dir / "x.safetensors");  // the mapping keeps the bytes alive
  const SafetensorsFile copy = files.front();
  files.clear();
  EXPECT_EQ(view_bytes(*copy.find("w")), f32);
}

// Files the reference implementation accepts (probed with safetensors 0.8), which we accept too.
TEST(SafetensorsParse, AcceptsWhatTheReferenceAccepts) {
  const std::string data = f32_bytes({1});
  // An unpadded header, leading whitespace, an unknown extra field and null metadata.
  const auto file = parse_string(safetensors_bytes(
      R"(  {"__metadata__":null,"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"extra":1}})", data));
  ASSERT_NE(file.find("w"), nullptr);
  EXPECT_TRUE(file.metadata().empty());
  EXPECT_EQ(view_bytes(*file.find("w")), data);

  // Several zero-sized tensors sharing offsets around a real one.
  const auto zero = parse_string(safetensors_bytes(
      R"({"z1":{"dtype":"F16","shape":[0],"data_offsets":[0,0]},"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
      R"("z2":{"dtype":"BF16","shape":[2,0,3],"data_offsets":[4,4]}})",
      data));
  EXPECT_EQ(zero.tensors().size(), 3u);

  const auto empty = parse_string(safetensors_bytes("{}", ""));
  EXPECT_TRUE(empty.tensors().empty());
}

TEST(SafetensorsWriter, RejectsInconsistentInputWithoutCreatingAFile) {
  testing::ScratchDir dir;
  const auto path = dir / "out.safetensors";
  const std::string f32 = f32_bytes({1, 2});
  const std::vector<std::pair<std::vector<TensorToWrite>, std::string>> cases = {
      {{{"w", DType::kF32, {3}, f32.data(), f32.size()}}, "nbytes 8 does not match"},
      {{{"w", DType::kF32, {-2}, f32.data(), f32.size()}}, "negative dimension"},
      {{{"w", DType::kF32, {2}, f32.data(), 8}, {"w", DType::kF16, {4}, f32.data(), 8}}, "duplicate tensor name"},
      {{{"__metadata__", DType::kF32, {2}, f32.data(), 8}}, "reserved"},
      {{{"w", DType::kF32, {2}, nullptr, 8}}, "null data"},
      {{{"w", DType::kF32, {int64_t{1} << 62, 8}, f32.data(), 8}}, "does not match"},
      {{{"bad\xff", DType::kF32, {2}, f32.data(), 8}}, "not valid UTF-8"},
  };
  for (const auto& [tensors, expected] : cases) {
    const std::string message = testing::error_message([&] { write_safetensors(path, tensors); });
    EXPECT_NE(message.find(expected), std::string::npos) << message;
    EXPECT_NE(message.find(path.string()), std::string::npos) << message;
    EXPECT_TRUE(dir.entries().empty()) << "a rejected write left files behind";
  }
}

}  // namespace
}  // namespace gptbench::io
