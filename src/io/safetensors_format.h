// Facts about the safetensors format shared by the reader and the writer, in one place.
#pragma once

#include <cstdint>      // uint64_t
#include <optional>     // std::optional
#include <string_view>  // std::string_view

#include "gptbench/io/safetensors.h"  // DType

namespace gptbench::io {

// The reference implementation refuses headers above 100 MB (HeaderTooLarge); so do we.
// GPT-2 XL's header is about 60 KB.
inline constexpr uint64_t kMaxHeaderBytes = 100'000'000;
// The reference writer pads the header JSON with spaces to this multiple so that the data
// block, and every tensor in it, starts aligned.
inline constexpr uint64_t kHeaderAlignment = 8;
inline constexpr std::string_view kMetadataKey = "__metadata__";

// F32/F16/BF16 (and U8/I8 when `bytes` accepts them), or nullopt for any other name.
std::optional<DType> parse_dtype(std::string_view name, ByteDTypes bytes = ByteDTypes::kRefuse);
// True for the dtypes the reference implementation knows (I32, F64, F8_E4M3, ...): those get
// "unsupported dtype", anything else "unknown dtype".
bool is_known_safetensors_dtype(std::string_view name);
// The reference writer orders tensors by this rank, largest first, then by name, which keeps
// every tensor aligned to its element size (F32 > BF16 > F16 > I8 > U8 in its Dtype enum).
int reference_write_rank(DType dtype);

// a * b, or nullopt on overflow.
std::optional<uint64_t> checked_mul(uint64_t a, uint64_t b);

}  // namespace gptbench::io
