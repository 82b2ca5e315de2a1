// The C++ side of tests/quant/quant_oracle.py: quantizes every tensor of a safetensors file with
// each spec and writes what Python compares.
//   quant_dump IN.safetensors OUT_DIR
// writes OUT_DIR/<spec>.safetensors (write_quantized_safetensors: tensor W quantized) and
// OUT_DIR/<spec>.dequant.safetensors (W dequantized to its own dtype, W.f32 to fp32, read back through
// read_quantized_safetensors), and OUT_DIR/codes.safetensors (nf4_code, dynamic_code).
#include <ATen/ATen.h>  // at::from_blob, Tensor methods

#include <cstdio>      // std::fprintf
#include <exception>   // std::exception
#include <filesystem>  // std::filesystem::path
#include <string>      // std::string
#include <utility>     // std::pair
#include <vector>      // std::vector

#include "gptbench/io/safetensors.h"              // SafetensorsFile, DType
#include "gptbench/quant/quantize.h"              // quantize, dequantize, nf4_code, dynamic_code
#include "gptbench/quant/quantized_checkpoint.h"  // write_quantized_safetensors, read_quantized_safetensors

namespace {

using gptbench::quant::QuantFormat;
using gptbench::quant::QuantSpec;

// The specs the oracle checks, by the label it knows them under.
const std::vector<std::pair<std::string, QuantSpec>> kSpecs = {
    {"int8", {QuantFormat::kInt8, 0, false}},       {"int4_g128", {QuantFormat::kInt4, 0, false}},
    {"int4_g32", {QuantFormat::kInt4, 32, false}},  {"int4_g128_sym", {QuantFormat::kInt4, 128, true}},
    {"int4_g64_sym", {QuantFormat::kInt4, 64, true}}, {"nf4_b64", {QuantFormat::kNf4, 0, false}},
    {"nf4_b128", {QuantFormat::kNf4, 128, false}},
};

c10::ScalarType scalar_type(gptbench::io::DType t) {
  switch (t) {
    case gptbench::io::DType::kF32: return at::kFloat;
    case gptbench::io::DType::kF16: return at::kHalf;
    case gptbench::io::DType::kBF16: return at::kBFloat16;
    default: throw std::runtime_error("quant_dump: inputs are F32, F16 or BF16");
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: quant_dump IN.safetensors OUT_DIR\n");
    return 2;
  }
  try {
    namespace quant = gptbench::quant;
    const std::filesystem::path out_dir = argv[2];
    const auto input = gptbench::io::SafetensorsFile::open(argv[1]);
    for (const auto& [label, spec] : kSpecs) {
      quant::QuantizedTensors file;
      file.metadata["label"] = label;
      for (const auto& view : input.tensors()) {
        const at::Tensor w = at::from_blob(const_cast<std::byte*>(view.data), view.shape,
                                           at::TensorOptions().dtype(scalar_type(view.dtype)))
                                 .clone();
        file.quantized.emplace(view.name, quant::quantize(w, spec));
      }
      const auto path = out_dir / (label + ".safetensors");
      quant::write_quantized_safetensors(path, file);
      const quant::QuantizedTensors back = quant::read_quantized_safetensors(path);
      quant::QuantizedTensors dequant;
      for (const auto& [name, w] : back.quantized) {
        dequant.plain.emplace(name, quant::dequantize(w));
        dequant.plain.emplace(name + ".f32", quant::dequantize(w, at::kFloat));
      }
      quant::write_quantized_safetensors(out_dir / (label + ".dequant.safetensors"), dequant);
    }
    quant::QuantizedTensors codes;
    codes.plain.emplace("nf4_code", quant::nf4_code());
    codes.plain.emplace("dynamic_code", quant::dynamic_code());
    quant::write_quantized_safetensors(out_dir / "codes.safetensors", codes);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "quant_dump: %s\n", e.what());
    return 1;
  }
  return 0;
}
