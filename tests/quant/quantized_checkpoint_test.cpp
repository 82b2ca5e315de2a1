// The quantized safetensors layout: a round trip of every format, and bounded, named errors on bad
// or mismatched files (each made with the plain safetensors writer).
#include <ATen/ATen.h>    // at::randn, at::equal
#include <gtest/gtest.h>  // TEST, EXPECT_*

#include <filesystem>  // std::filesystem
#include <map>         // std::map
#include <string>      // std::string
#include <vector>      // std::vector

#include "gptbench/io/safetensors.h"              // write_safetensors, SafetensorsFile
#include "gptbench/quant/quantize.h"              // quantize, dequantize
#include "gptbench/quant/quantized_checkpoint.h"  // write_quantized_safetensors, read_quantized_safetensors
#include "gptbench/util/error.h"                  // gptbench::Error

namespace gptbench::quant {
namespace {

namespace fs = std::filesystem;

fs::path temp_dir() {
  const fs::path dir = fs::temp_directory_path() / ("gptbench_quant_ckpt_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir;
}

void expect_read_error(const fs::path& path, const std::vector<std::string>& parts) {
  try {
    read_quantized_safetensors(path);
    ADD_FAILURE() << "no error reading " << path;
  } catch (const Error& e) {
    for (const std::string& part : parts) {
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    }
  }
}

QuantizedTensors sample() {
  at::manual_seed(5);
  QuantizedTensors t;
  t.quantized["h.0.attn.c_attn.weight"] = quantize(at::randn({96, 256}).to(at::kHalf), {QuantFormat::kInt4, 0, false});
  t.quantized["h.0.mlp.c_fc.weight"] = quantize(at::randn({64, 128}).to(at::kBFloat16), {QuantFormat::kNf4, 0, false});
  t.quantized["h.0.mlp.c_proj.weight"] = quantize(at::randn({32, 64}), {QuantFormat::kInt8, 0, false});
  t.quantized["h.1.attn.c_proj.weight"] = quantize(at::randn({8, 64}), {QuantFormat::kInt4, 32, true});
  t.plain["wte.weight"] = at::randn({10, 8}).to(at::kHalf);
  t.metadata["source"] = "test";
  return t;
}

TEST(QuantizedCheckpoint, RoundTripKeepsEveryTensor) {
  const fs::path path = temp_dir() / "round.safetensors";
  const QuantizedTensors t = sample();
  write_quantized_safetensors(path, t);
  const QuantizedTensors back = read_quantized_safetensors(path);
  ASSERT_EQ(back.quantized.size(), t.quantized.size());
  for (const auto& [name, w] : t.quantized) {
    const QuantizedWeight& b = back.quantized.at(name);
    EXPECT_EQ(b.spec.format, w.spec.format) << name;
    EXPECT_EQ(b.spec.group, w.spec.group) << name;
    EXPECT_EQ(b.spec.symmetric, w.spec.symmetric) << name;
    EXPECT_EQ(b.dtype, w.dtype) << name;
    EXPECT_TRUE(at::equal(dequantize(b), dequantize(w))) << name;
    EXPECT_EQ(weight_bytes(b).after, weight_bytes(w).after) << name;
  }
  EXPECT_TRUE(at::equal(back.plain.at("wte.weight"), t.plain.at("wte.weight")));
  EXPECT_EQ(back.metadata.at("source"), "test");
  EXPECT_EQ(back.metadata.count("gptbench.quant.version"), 0u);  // the layout's own keys are not passed on
  // A model checkpoint reader (bytes refused) names the file and the U8 tensor.
  EXPECT_THROW(io::SafetensorsFile::open(path), Error);
}

TEST(QuantizedCheckpoint, WriterRefusesCollisionsAndReservedKeys) {
  const fs::path path = temp_dir() / "bad_write.safetensors";
  QuantizedTensors t = sample();
  t.plain["h.0.mlp.c_fc.weight.qdata"] = at::zeros({2}, at::kFloat);
  EXPECT_THROW(write_quantized_safetensors(path, t), Error);
  QuantizedTensors reserved = sample();
  reserved.metadata["gptbench.quant:x"] = "{}";
  EXPECT_THROW(write_quantized_safetensors(path, reserved), Error);
  QuantizedTensors broken = sample();
  broken.quantized["h.0.mlp.c_proj.weight"].scales = at::Tensor();
  EXPECT_THROW(write_quantized_safetensors(path, broken), Error);
}

// A file with the given tensors and metadata, written by the plain writer.
struct Raw {
  std::vector<std::pair<std::string, at::Tensor>> tensors;
  std::map<std::string, std::string> metadata;
};

fs::path write_raw(const std::string& file, const Raw& raw) {
  const fs::path path = temp_dir() / file;
  std::vector<io::TensorToWrite> out;
  for (const auto& [name, t] : raw.tensors) {
    const io::DType dtype = t.scalar_type() == at::kByte   ? io::DType::kU8
                            : t.scalar_type() == at::kChar ? io::DType::kI8
                            : t.scalar_type() == at::kHalf ? io::DType::kF16
                                                           : io::DType::kF32;
    out.push_back({name, dtype, std::vector<int64_t>(t.sizes().begin(), t.sizes().end()), t.data_ptr(),
                   static_cast<size_t>(t.nbytes())});
  }
  io::write_safetensors(path, out, raw.metadata);
  return path;
}

// A valid int8 weight "w" (4, 32) as raw tensors and metadata, for the error cases to break.
Raw valid_int8() {
  Raw raw;
  raw.tensors = {{"w.qdata", at::ones({4, 32}, at::kChar)}, {"w.qscale", at::ones({4}, at::kHalf)}};
  raw.metadata = {{"gptbench.quant.version", "1"},
                  {"gptbench.quant:w",
                   R"({"format": "int8", "group": 0, "symmetric": false, "shape": [4, 32], "dtype": "F16"})"}};
  return raw;
}

TEST(QuantizedCheckpoint, BadFilesGetNamedErrors) {
  EXPECT_NO_THROW(read_quantized_safetensors(write_raw("ok.safetensors", valid_int8())));

  Raw no_version = valid_int8();
  no_version.metadata.erase("gptbench.quant.version");
  expect_read_error(write_raw("no_version.safetensors", no_version),
                    {"no_version.safetensors", "not a gptbench quantized checkpoint"});

  Raw version = valid_int8();
  version.metadata["gptbench.quant.version"] = "2";
  expect_read_error(write_raw("version.safetensors", version), {"version \"2\", this build reads \"1\""});

  Raw json = valid_int8();
  json.metadata["gptbench.quant:w"] = "{\"format\": ";
  expect_read_error(write_raw("json.safetensors", json), {"json.safetensors", "gptbench.quant:w"});

  Raw format = valid_int8();
  format.metadata["gptbench.quant:w"] =
      R"({"format": "int3", "group": 0, "symmetric": false, "shape": [4, 32], "dtype": "F16"})";
  expect_read_error(write_raw("format.safetensors", format), {"unknown format \"int3\" (int8, int4, nf4)"});

  Raw group = valid_int8();
  group.metadata["gptbench.quant:w"] =
      R"({"format": "int4", "group": 48, "symmetric": false, "shape": [4, 32], "dtype": "F16"})";
  expect_read_error(write_raw("group.safetensors", group), {"gptbench.quant:w", "multiple of 32, got 48"});

  Raw shape = valid_int8();
  shape.metadata["gptbench.quant:w"] =
      R"({"format": "int8", "group": 0, "symmetric": false, "shape": [4, 64], "dtype": "F16"})";
  expect_read_error(write_raw("shape.safetensors", shape), {"weight w", "data must have shape [4, 64], got [4, 32]"});

  Raw missing = valid_int8();
  missing.tensors.pop_back();
  expect_read_error(write_raw("missing.safetensors", missing), {"weight w", "scales tensor is missing"});

  Raw dtype = valid_int8();
  dtype.tensors[1].second = at::ones({4}, at::kFloat);
  expect_read_error(write_raw("dtype.safetensors", dtype), {"scales must be Half, got Float"});

  Raw stray = valid_int8();
  stray.tensors.push_back({"v.qdata", at::ones({2}, at::kByte)});
  expect_read_error(write_raw("stray.safetensors", stray), {"tensor v.qdata has no \"gptbench.quant:v\" metadata"});

  Raw plain_bytes = valid_int8();
  plain_bytes.tensors.push_back({"mask", at::ones({2}, at::kByte)});
  expect_read_error(write_raw("plain.safetensors", plain_bytes), {"plain tensor mask is U8"});

  Raw extra_key = valid_int8();
  extra_key.metadata["gptbench.quant:w"] =
      R"({"format": "int8", "group": 0, "symmetric": false, "shape": [4, 32], "dtype": "F16", "x": 1})";
  expect_read_error(write_raw("extra.safetensors", extra_key), {"exactly format, group, symmetric, shape and dtype"});
}

}  // namespace
}  // namespace gptbench::quant
