// write_safetensors: byte-for-byte the layout of the reference writer (checked against
// safetensors.numpy.save by tests/io/safetensors_oracle.py).
#include <algorithm>  // std::sort
#include <cstring>    // std::memcpy
#include <optional>   // std::optional
#include <set>        // std::set, duplicate names
#include <string>     // std::string

#include <nlohmann/json.hpp>  // nlohmann::ordered_json, keeps the reference key order

#include "atomic_write.h"              // write_chunks_atomic
#include "gptbench/io/message_text.h"  // in_quotes
#include "gptbench/io/safetensors.h"   // write_safetensors, TensorToWrite
#include "gptbench/util/error.h"       // gptbench::Error
#include "safetensors_format.h"        // kHeaderAlignment, reference_write_rank, checked_mul

namespace gptbench::io {
namespace {

// Rejects what would produce a file the reader (ours or the reference) refuses.
void check_tensors(const std::filesystem::path& path, const std::vector<TensorToWrite>& tensors) {
  std::set<std::string> names;
  for (const TensorToWrite& tensor : tensors) {
    const std::string where = " for tensor " + in_quotes(tensor.name) + " written to " + path.string();
    if (tensor.name == kMetadataKey) throw Error("the name __metadata__ is reserved" + where);
    if (!names.insert(tensor.name).second) throw Error("duplicate tensor name" + where);
    std::optional<uint64_t> numel = 1;
    for (const int64_t dim : tensor.shape) {
      if (dim < 0) throw Error("negative dimension in shape" + where);
      if (numel) numel = checked_mul(*numel, static_cast<uint64_t>(dim));
    }
    const auto nbytes = numel ? checked_mul(*numel, dtype_size(tensor.dtype)) : std::nullopt;
    if (!nbytes || *nbytes != tensor.nbytes) {
      throw Error("nbytes " + std::to_string(tensor.nbytes) + " does not match shape and dtype " +
                  std::string(dtype_name(tensor.dtype)) + where);
    }
    if (tensor.nbytes > 0 && tensor.data == nullptr) throw Error("null data" + where);
  }
}

}  // namespace

void write_safetensors(const std::filesystem::path& path, const std::vector<TensorToWrite>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  check_tensors(path, tensors);
  std::vector<const TensorToWrite*> order;
  for (const TensorToWrite& tensor : tensors) order.push_back(&tensor);
  // Widest dtype first keeps each tensor aligned to its element size behind the 8-aligned header.
  std::sort(order.begin(), order.end(), [](const TensorToWrite* a, const TensorToWrite* b) {
    const int rank_a = reference_write_rank(a->dtype);
    const int rank_b = reference_write_rank(b->dtype);
    return rank_a != rank_b ? rank_a > rank_b : a->name < b->name;
  });

  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header[std::string(kMetadataKey)] = metadata;
  uint64_t offset = 0;
  for (const TensorToWrite* tensor : order) {
    header[tensor->name] = {{"dtype", dtype_name(tensor->dtype)},
                            {"shape", tensor->shape},
                            {"data_offsets", {offset, offset + tensor->nbytes}}};
    offset += tensor->nbytes;
  }
  std::string header_text;
  try {
    header_text = header.dump();
  } catch (const nlohmann::json::exception&) {
    throw Error("cannot write " + path.string() + ": a tensor name or metadata string is not valid UTF-8");
  }
  header_text.append((kHeaderAlignment - header_text.size() % kHeaderAlignment) % kHeaderAlignment, ' ');

  char length[8];
  uint64_t header_size = header_text.size();
  for (char& byte : length) {
    byte = static_cast<char>(header_size & 0xff);
    header_size >>= 8;
  }
  std::vector<std::string_view> chunks = {std::string_view(length, 8), header_text};
  for (const TensorToWrite* tensor : order) {
    if (tensor->nbytes > 0) chunks.emplace_back(static_cast<const char*>(tensor->data), tensor->nbytes);
  }
  write_chunks_atomic(path, chunks);
}

}  // namespace gptbench::io
