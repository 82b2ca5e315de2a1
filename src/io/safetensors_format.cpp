#include "safetensors_format.h"  // kMaxHeaderBytes, parse_dtype, dtype_size, ...

#include <array>   // std::array, the dtype name table
#include <limits>  // std::numeric_limits

namespace gptbench::io {
namespace {

// Every dtype of the reference implementation (safetensors 0.8, Rust `Dtype`).
constexpr std::array<std::string_view, 22> kKnownDtypes = {
    "BOOL", "F4",  "F6_E2M3", "F6_E3M2", "U8",  "I8",  "F8_E5M2", "F8_E4M3", "F8_E8M0", "F8_E4M3FNUZ", "F8_E5M2FNUZ",
    "I16",  "U16", "F16",     "BF16",    "I32", "U32", "F32",     "C64",     "F64",     "I64",         "U64"};

}  // namespace

size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::kF32:
      return 4;
    case DType::kF16:
    case DType::kBF16:
      return 2;
    case DType::kU8:
    case DType::kI8:
      return 1;
  }
  return 0;
}

std::string_view dtype_name(DType dtype) {
  switch (dtype) {
    case DType::kF32:
      return "F32";
    case DType::kF16:
      return "F16";
    case DType::kBF16:
      return "BF16";
    case DType::kU8:
      return "U8";
    case DType::kI8:
      return "I8";
  }
  return "?";
}

std::optional<DType> parse_dtype(std::string_view name, ByteDTypes bytes) {
  for (const DType dtype : {DType::kF32, DType::kF16, DType::kBF16}) {
    if (name == dtype_name(dtype)) return dtype;
  }
  if (bytes == ByteDTypes::kAccept) {
    for (const DType dtype : {DType::kU8, DType::kI8}) {
      if (name == dtype_name(dtype)) return dtype;
    }
  }
  return std::nullopt;
}

bool is_known_safetensors_dtype(std::string_view name) {
  for (const std::string_view known : kKnownDtypes) {
    if (name == known) return true;
  }
  return false;
}

int reference_write_rank(DType dtype) {
  switch (dtype) {
    case DType::kU8:
      return 0;
    case DType::kI8:
      return 1;
    case DType::kF16:
      return 2;
    case DType::kBF16:
      return 3;
    case DType::kF32:
      return 4;
  }
  return 0;
}

std::optional<uint64_t> checked_mul(uint64_t a, uint64_t b) {
  if (a != 0 && b > std::numeric_limits<uint64_t>::max() / a) return std::nullopt;
  return a * b;
}

}  // namespace gptbench::io
