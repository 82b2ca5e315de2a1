// The C++ half of safetensors_oracle.py.
//   safetensors_dump read PATH    file or checkpoint folder: one line per tensor (and metadata)
//   safetensors_dump write PATH   writes the fixed tensors below for Python to load
// Errors go to stderr with exit status 1, so the script can compare accept/reject decisions.
#include <cstdint>   // uint64_t, uint16_t
#include <cstdio>    // std::printf, std::fprintf
#include <cstring>   // std::strcmp
#include <exception> // std::exception
#include <string>    // std::string
#include <vector>    // std::vector

#include "gptbench/io/safetensors.h"  // SafetensorsFile, SafetensorsCheckpoint, write_safetensors

namespace {

using namespace gptbench::io;

// FNV-1a 64: order-sensitive and a one-liner to reproduce in Python.
uint64_t fnv1a(const std::byte* data, size_t size) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < size; ++i) hash = (hash ^ static_cast<uint64_t>(data[i])) * 0x100000001b3ULL;
  return hash;
}

// tensor <TAB> name <TAB> dtype <TAB> d0,d1,.. <TAB> nbytes <TAB> fnv1a-hex [<TAB> shard file]
void print_tensor(const TensorView& tensor, const std::string& shard) {
  std::string shape;
  for (size_t i = 0; i < tensor.shape.size(); ++i) shape += (i ? "," : "") + std::to_string(tensor.shape[i]);
  std::printf("tensor\t%s\t%s\t%s\t%zu\t%016llx%s%s\n", tensor.name.c_str(), std::string(dtype_name(tensor.dtype)).c_str(),
              shape.c_str(), tensor.nbytes, static_cast<unsigned long long>(fnv1a(tensor.data, tensor.nbytes)),
              shard.empty() ? "" : "\t", shard.c_str());
}

void read(const std::filesystem::path& path) {
  if (std::filesystem::is_directory(path)) {
    const auto checkpoint = SafetensorsCheckpoint::open_dir(path);
    for (const TensorView* tensor : checkpoint.tensors()) {
      print_tensor(*tensor, std::filesystem::path(checkpoint.source_of(*tensor)).filename().string());
    }
    return;
  }
  const auto file = SafetensorsFile::open(path);
  for (const auto& [key, value] : file.metadata()) std::printf("meta\t%s\t%s\n", key.c_str(), value.c_str());
  for (const TensorView& tensor : file.tensors()) print_tensor(tensor, "");
}

// The script rebuilds these values with numpy: keep the formulas in sync with expected_written().
void write(const std::filesystem::path& path) {
  std::vector<float> dense(12);
  for (size_t i = 0; i < dense.size(); ++i) dense[i] = (static_cast<float>(i) - 5.0f) * 0.375f;
  std::vector<uint16_t> half(5), brain(7);
  for (size_t i = 0; i < half.size(); ++i) half[i] = static_cast<uint16_t>(0x3c00 + i * 0x0123);
  for (size_t i = 0; i < brain.size(); ++i) brain[i] = static_cast<uint16_t>(0xbf80 + i * 0x0011);
  const float scalar = 2.5f;
  write_safetensors(path,
                    {{"dense.f32", DType::kF32, {3, 4}, dense.data(), dense.size() * 4},
                     {"half.f16", DType::kF16, {5}, half.data(), half.size() * 2},
                     {"brain.bf16", DType::kBF16, {7, 1}, brain.data(), brain.size() * 2},
                     {"scalar", DType::kF32, {}, &scalar, 4},
                     {"empty.f16", DType::kF16, {0, 3}, nullptr, 0},
                     {"empty.f32", DType::kF32, {4, 0}, nullptr, 0}},
                    {{"format", "pt"}});
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 || (std::strcmp(argv[1], "read") != 0 && std::strcmp(argv[1], "write") != 0)) {
    std::fprintf(stderr, "usage: %s read|write PATH\n", argv[0]);
    return 2;
  }
  try {
    if (std::strcmp(argv[1], "read") == 0) {
      read(argv[2]);
    } else {
      write(argv[2]);
    }
  } catch (const std::exception& error) {
    std::fprintf(stderr, "%s\n", error.what());
    return 1;
  }
  return 0;
}
