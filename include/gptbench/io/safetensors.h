// Safetensors: a memory-mapped, fully validated reader and an atomic writer.
// Torch-free on purpose: the fuzz target links it without LibTorch, and model code
// converts TensorView to at::Tensor in one place (model/checkpoint).
//
// Format: 8-byte little-endian header length N, N bytes of JSON
// {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {str: str}},
// then the data block; offsets are relative to the start of the data block.
#pragma once

#include <cstddef>     // std::byte, size_t
#include <cstdint>     // int64_t
#include <filesystem>  // std::filesystem::path
#include <map>         // std::map
#include <memory>      // std::shared_ptr
#include <string>      // std::string
#include <string_view> // std::string_view
#include <vector>      // std::vector

namespace gptbench::io {

// kU8/kI8 hold packed quantized weights (gptbench/quant/quantized_checkpoint.h); a reader accepts
// them only when asked to (ByteDTypes::kAccept), so a model checkpoint holding them is refused.
enum class DType { kF32, kF16, kBF16, kU8, kI8 };
enum class ByteDTypes { kRefuse, kAccept };

size_t dtype_size(DType dtype);          // bytes per element
std::string_view dtype_name(DType dtype);  // "F32", "F16", "BF16", "U8", "I8"

// One tensor inside a safetensors buffer. `data` points into the mapping owned by the file.
struct TensorView {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  const std::byte* data;
  size_t nbytes;
  int64_t numel() const;
};

// A read-only byte buffer: a memory-mapped file or an owned copy (tests, fuzzing).
class ByteBuffer {
 public:
  virtual ~ByteBuffer() = default;
  virtual const std::byte* data() const = 0;
  virtual size_t size() const = 0;
};
std::shared_ptr<const ByteBuffer> map_file(const std::filesystem::path& path);  // throws Error naming the file
std::shared_ptr<const ByteBuffer> copy_bytes(const void* data, size_t size);

class SafetensorsFile {
 public:
  // Maps and validates the whole header: length, JSON, dtypes, shape vs byte range,
  // ranges inside the data block, no overlaps. Throws gptbench::Error naming `path`.
  static SafetensorsFile open(const std::filesystem::path& path, ByteDTypes bytes = ByteDTypes::kRefuse);
  // Same validation on bytes already in memory; `source` names them in errors.
  static SafetensorsFile parse(std::shared_ptr<const ByteBuffer> bytes, const std::string& source,
                               ByteDTypes byte_dtypes = ByteDTypes::kRefuse);

  const std::vector<TensorView>& tensors() const { return tensors_; }
  const TensorView* find(std::string_view name) const;  // nullptr if absent
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  const std::string& source() const { return source_; }

 private:
  std::shared_ptr<const ByteBuffer> bytes_;
  std::string source_;
  std::vector<TensorView> tensors_;  // sorted by name
  std::map<std::string, std::string> metadata_;
};

// A Hugging Face checkpoint's weights: model.safetensors, or the shards listed by
// model.safetensors.index.json ({"weight_map": {tensor: file}}). Every shard is validated,
// a tensor listed in the index must be in the named shard, and no tensor may appear twice.
class SafetensorsCheckpoint {
 public:
  static SafetensorsCheckpoint open_dir(const std::filesystem::path& dir);
  std::vector<const TensorView*> tensors() const;  // all tensors of all shards, sorted by name
  const TensorView* find(std::string_view name) const;
  // The file a tensor came from, for error messages.
  const std::string& source_of(const TensorView& tensor) const;

 private:
  std::vector<SafetensorsFile> files_;
};

struct TensorToWrite {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  const void* data;  // nbytes = numel * dtype_size
  size_t nbytes;
};
// Writes a safetensors file atomically (temp file in the same folder, then rename), byte for byte
// as the reference implementation does: header padded with spaces to a multiple of 8, tensors
// ordered F32, then BF16, then F16, each group by name (widest first keeps every tensor aligned).
void write_safetensors(const std::filesystem::path& path, const std::vector<TensorToWrite>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

}  // namespace gptbench::io
