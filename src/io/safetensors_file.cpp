// SafetensorsFile: header parsing and validation.
//
// What is checked, and why it matches the reference implementation (safetensors 0.8, the
// Rust crate behind the Python package; its behaviour was probed case by case, see
// tests/io/safetensors_oracle.py):
// - header length: at most 100 MB and inside the file;
// - the header is JSON whose top level is an object; `__metadata__` is null or an object of
//   strings; every other key is a tensor with dtype, shape and data_offsets [begin, end];
// - shape product and byte size are computed with overflow checks, and end - begin must equal
//   numel * dtype size;
// - sorted by offset, tensors must tile the data block exactly: each begins where the previous
//   one ended (so no overlap and no gap), and the last ends at the end of the file. The
//   reference rejects gaps and trailing bytes too (InvalidOffset, MetadataIncompleteBuffer).
// Where we differ: duplicate JSON keys are an error (the reference keeps the last tensor of a
// duplicated name), and dtypes other than F32/F16/BF16 (plus U8/I8 when the caller accepts them)
// are refused with "unsupported dtype".
// Like the reference we ignore unknown fields inside a tensor entry and do not require the
// header length to be a multiple of 8 (its own writer pads, others may not).
#include <algorithm>  // std::sort, std::lower_bound
#include <cstring>    // std::memcpy
#include <limits>     // std::numeric_limits
#include <optional>   // std::optional
#include <utility>    // std::move

#include <nlohmann/json.hpp>  // nlohmann::json

#include "gptbench/io/json_input.h"    // parse_json_strict
#include "gptbench/io/message_text.h"  // in_quotes
#include "gptbench/io/safetensors.h"   // SafetensorsFile, TensorView
#include "gptbench/util/error.h"       // gptbench::Error
#include "safetensors_format.h"        // kMaxHeaderBytes, parse_dtype, checked_mul

namespace gptbench::io {
namespace {

using nlohmann::json;

// A validated header entry before it is tied to the bytes.
struct Entry {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  uint64_t begin;
  uint64_t end;
};

uint64_t read_le_u64(const std::byte* bytes) {
  uint64_t value = 0;
  for (int i = 7; i >= 0; --i) value = (value << 8) | static_cast<uint64_t>(bytes[i]);
  return value;
}

// JSON integers >= 0 only: floats (1.0), negatives and numbers beyond 2^64 (which nlohmann
// turns into floats) are rejected, as serde's usize does in the reference.
std::optional<uint64_t> non_negative_integer(const json& value) {
  if (value.is_number_unsigned()) return value.get<uint64_t>();
  if (value.is_number_integer() && value.get<int64_t>() >= 0) return static_cast<uint64_t>(value.get<int64_t>());
  return std::nullopt;
}

// Describes a JSON value for a message without dump(), which recurses and could overflow
// the stack on a deeply nested hostile value.
std::string describe(const json& value) {
  // is_number_integer() is also true for unsigned values, which must be read as unsigned.
  if (value.is_number_unsigned()) return std::to_string(value.get<uint64_t>());
  if (value.is_number_integer()) return std::to_string(value.get<int64_t>());
  if (value.is_number_float()) return "the number " + std::to_string(value.get<double>());
  if (value.is_string()) return "the string " + in_quotes(value.get_ref<const std::string&>());
  return std::string("a JSON ") + value.type_name();
}

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

std::string offsets_text(uint64_t begin, uint64_t end) {
  return "[" + std::to_string(begin) + ", " + std::to_string(end) + "]";
}

DType parse_entry_dtype(const json& entry, const std::string& where, ByteDTypes bytes) {
  const auto found = entry.find("dtype");
  if (found == entry.end()) throw Error("missing dtype" + where);
  if (!found->is_string()) throw Error("dtype is " + describe(*found) + ", not a string," + where);
  const auto& name = found->get_ref<const std::string&>();
  if (const auto dtype = parse_dtype(name, bytes)) return *dtype;
  if (is_known_safetensors_dtype(name)) {
    throw Error("unsupported dtype " + name + where + " (gptbench reads F32, F16 and BF16)");
  }
  throw Error("unknown dtype " + in_quotes(name) + where);
}

std::vector<int64_t> parse_entry_shape(const json& entry, const std::string& where) {
  const auto found = entry.find("shape");
  if (found == entry.end()) throw Error("missing shape" + where);
  if (!found->is_array()) throw Error("shape is " + describe(*found) + ", not an array," + where);
  std::vector<int64_t> shape;
  shape.reserve(found->size());
  for (size_t i = 0; i < found->size(); ++i) {
    const auto dim = non_negative_integer((*found)[i]);
    // int64 because that is what TensorView and at::Tensor hold.
    if (!dim || *dim > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      throw Error("shape[" + std::to_string(i) + "] is " + describe((*found)[i]) +
                  ", not a non-negative 64-bit integer," + where);
    }
    shape.push_back(static_cast<int64_t>(*dim));
  }
  return shape;
}

Entry parse_entry(const std::string& name, const json& entry, const std::string& source, uint64_t data_size,
                  ByteDTypes bytes) {
  const std::string where = " for tensor " + in_quotes(name) + " in " + source;
  if (!entry.is_object()) {
    throw Error("header entry is " + describe(entry) + ", not an object with dtype, shape and data_offsets," + where);
  }
  Entry result{name, parse_entry_dtype(entry, where, bytes), parse_entry_shape(entry, where), 0, 0};

  const auto offsets = entry.find("data_offsets");
  if (offsets == entry.end()) throw Error("missing data_offsets" + where);
  if (!offsets->is_array() || offsets->size() != 2) {
    throw Error("data_offsets must be an array [begin, end]" + where);
  }
  const auto begin = non_negative_integer((*offsets)[0]);
  const auto end = non_negative_integer((*offsets)[1]);
  if (!begin || !end) throw Error("data_offsets must hold two non-negative integers" + where);
  if (*begin > *end) throw Error("data_offsets " + offsets_text(*begin, *end) + " end before they begin" + where);
  if (*end > data_size) {
    throw Error("data_offsets " + offsets_text(*begin, *end) + " run past the data block of " +
                std::to_string(data_size) + " bytes (truncated file?)" + where);
  }
  result.begin = *begin;
  result.end = *end;

  // Multiply in order with overflow checks, as the reference does.
  std::optional<uint64_t> numel = 1;
  for (const int64_t dim : result.shape) {
    if (numel) numel = checked_mul(*numel, static_cast<uint64_t>(dim));
  }
  const auto nbytes = numel ? checked_mul(*numel, dtype_size(result.dtype)) : std::nullopt;
  if (!nbytes) throw Error("shape " + shape_text(result.shape) + " overflows 64 bits" + where);
  if (*nbytes != *end - *begin) {
    throw Error("shape " + shape_text(result.shape) + " of " + std::string(dtype_name(result.dtype)) + " needs " +
                std::to_string(*nbytes) + " bytes but data_offsets " + offsets_text(*begin, *end) + " hold " +
                std::to_string(*end - *begin) + where);
  }
  return result;
}

std::map<std::string, std::string> parse_metadata(const json& value, const std::string& source) {
  std::map<std::string, std::string> metadata;
  if (value.is_null()) return metadata;  // the reference reads null as "no metadata"
  if (!value.is_object()) {
    throw Error(source + ": __metadata__ is " + describe(value) + ", not an object of strings");
  }
  for (const auto& [key, item] : value.items()) {
    if (!item.is_string()) {
      throw Error(source + ": __metadata__ value of key " + in_quotes(key) + " is " + describe(item) +
                  ", not a string");
    }
    metadata.emplace(key, item.get<std::string>());
  }
  return metadata;
}

// Tensors sorted by offset must tile [0, data_size) exactly.
void check_tiling(std::vector<const Entry*> by_offset, uint64_t data_size, const std::string& source) {
  std::sort(by_offset.begin(), by_offset.end(), [](const Entry* a, const Entry* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  uint64_t covered = 0;
  const Entry* previous = nullptr;
  for (const Entry* entry : by_offset) {
    const std::string where = " for tensor " + in_quotes(entry->name) + " in " + source;
    if (entry->begin < covered) {
      throw Error("data_offsets " + offsets_text(entry->begin, entry->end) + " overlap tensor " +
                  in_quotes(previous->name) + " " + offsets_text(previous->begin, previous->end) + where);
    }
    if (entry->begin > covered) {
      throw Error("data_offsets " + offsets_text(entry->begin, entry->end) + " leave a gap of " +
                  std::to_string(entry->begin - covered) + " bytes before them (safetensors data must be contiguous)" +
                  where);
    }
    covered = entry->end;
    previous = entry;
  }
  if (covered != data_size) {
    throw Error(source + ": the tensors cover " + std::to_string(covered) + " bytes of the " +
                std::to_string(data_size) + "-byte data block; the rest belongs to no tensor");
  }
}

}  // namespace

int64_t TensorView::numel() const {
  int64_t count = 1;
  for (const int64_t dim : shape) count *= dim;  // validated when parsed: cannot overflow
  return count;
}

SafetensorsFile SafetensorsFile::open(const std::filesystem::path& path, ByteDTypes byte_dtypes) {
  return parse(map_file(path), path.string(), byte_dtypes);
}

SafetensorsFile SafetensorsFile::parse(std::shared_ptr<const ByteBuffer> bytes, const std::string& source,
                                       ByteDTypes byte_dtypes) {
  if (!bytes) throw Error(source + ": no bytes to parse");
  const size_t size = bytes->size();
  if (size < 8) {
    throw Error(source + ": " + std::to_string(size) + " bytes is too small for a safetensors file (need at least 8)");
  }
  const uint64_t header_size = read_le_u64(bytes->data());
  if (header_size > kMaxHeaderBytes) {
    throw Error(source + ": header length " + std::to_string(header_size) + " exceeds the " +
                std::to_string(kMaxHeaderBytes) + "-byte limit (not a safetensors file?)");
  }
  if (header_size > size - 8) {
    throw Error(source + ": header length " + std::to_string(header_size) + " is longer than the " +
                std::to_string(size - 8) + " bytes that follow it (truncated file?)");
  }
  const std::string_view header_text(reinterpret_cast<const char*>(bytes->data() + 8), header_size);
  const json header = parse_json_strict(header_text, source + " (safetensors header)");
  if (!header.is_object()) {
    throw Error(source + ": safetensors header is " + describe(header) + ", not a JSON object");
  }

  const uint64_t data_size = size - 8 - header_size;
  SafetensorsFile file;
  std::vector<Entry> entries;
  entries.reserve(header.size());
  for (const auto& [name, value] : header.items()) {
    if (name == kMetadataKey) {
      file.metadata_ = parse_metadata(value, source);
    } else {
      entries.push_back(parse_entry(name, value, source, data_size, byte_dtypes));
    }
  }
  std::vector<const Entry*> by_offset;
  for (const Entry& entry : entries) by_offset.push_back(&entry);
  check_tiling(std::move(by_offset), data_size, source);

  const std::byte* data_block = bytes->data() + 8 + header_size;
  file.tensors_.reserve(entries.size());
  for (Entry& entry : entries) {  // already in name order: nlohmann objects are sorted maps
    file.tensors_.push_back(TensorView{std::move(entry.name), entry.dtype, std::move(entry.shape),
                                       data_block + entry.begin, static_cast<size_t>(entry.end - entry.begin)});
  }
  file.bytes_ = std::move(bytes);
  file.source_ = source;
  return file;
}

const TensorView* SafetensorsFile::find(std::string_view name) const {
  const auto found = std::lower_bound(tensors_.begin(), tensors_.end(), name,
                                      [](const TensorView& tensor, std::string_view key) { return tensor.name < key; });
  if (found == tensors_.end() || found->name != name) return nullptr;
  return &*found;
}

}  // namespace gptbench::io
