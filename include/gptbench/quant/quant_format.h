// The weight-only quantization formats (docs/quantization.md describes their bytes):
//   int8  symmetric, one scale per output channel (row of the (N, K) weight);
//   int4  group-wise along K (group 128 by default), symmetric or asymmetric (integer zero points);
//   nf4   bitsandbytes' NormalFloat4 code book, absmax blocks of 64 along K, the absmax values
//         themselves quantized to 8 bits (double quantization, blocks of 256).
#pragma once

#include <cstdint>  // int64_t
#include <string>   // std::string

#include "gptbench/util/enum_names.h"  // EnumName

namespace gptbench::quant {

enum class QuantFormat { kInt8, kInt4, kNf4 };

inline constexpr EnumName<QuantFormat> kQuantFormatNames[] = {
    {QuantFormat::kInt8, "int8"},
    {QuantFormat::kInt4, "int4"},
    {QuantFormat::kNf4, "nf4"},
};

inline constexpr int64_t kInt4DefaultGroup = 128;
inline constexpr int64_t kNf4DefaultBlock = 64;        // bitsandbytes' default blocksize
inline constexpr int64_t kNf4AbsmaxBlock = 256;        // double quantization: absmax values per 8-bit block
inline constexpr int64_t kGroupGranule = 32;           // groups are multiples of this (one 16-byte vector of nibbles)

struct QuantSpec {
  QuantFormat format = QuantFormat::kInt8;
  int64_t group = 0;       // int4: elements per scale; nf4: elements per absmax block; 0 = the default; int8: 0
  bool symmetric = false;  // int4 only: no zero points, values in [-8, 7]
};

// The spec with group resolved to the format's default; UsageError naming `what` (e.g. "--quant-group")
// when the group is not a positive multiple of kGroupGranule (nf4: a power of two in [32, 4096], as
// bitsandbytes accepts), or when int8 is given a group or symmetric is set for a format other than int4.
QuantSpec resolve_spec(const QuantSpec& spec, const std::string& what);

// "int4 g128 asymmetric", "nf4 b64", "int8 per-channel": for messages and reports.
std::string describe(const QuantSpec& spec);

}  // namespace gptbench::quant
