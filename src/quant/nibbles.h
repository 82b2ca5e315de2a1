// Two 4-bit values per byte, the order every 4-bit format here uses (bitsandbytes'): element 2j of
// a row in the high nibble of byte j, element 2j+1 in the low nibble.
#pragma once

#include <ATen/core/Tensor.h>  // at::Tensor

namespace gptbench::quant {

// values: (N, K) integer tensor in [0, 15], K even -> (N, K/2) uint8.
at::Tensor pack_nibbles(const at::Tensor& values);
// packed: (N, K/2) uint8 -> (N, K) int64 in [0, 15].
at::Tensor unpack_nibbles(const at::Tensor& packed);

}  // namespace gptbench::quant
