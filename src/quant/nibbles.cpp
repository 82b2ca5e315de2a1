// pack_nibbles / unpack_nibbles (nibbles.h).
#include "nibbles.h"

#include <ATen/ATen.h>  // at::stack, Tensor bit operators

namespace gptbench::quant {

at::Tensor pack_nibbles(const at::Tensor& values) {
  const at::Tensor v = values.to(at::kByte);
  const at::Tensor even = v.slice(1, 0, v.size(1), 2), odd = v.slice(1, 1, v.size(1), 2);
  return at::bitwise_or(at::bitwise_left_shift(even, 4), odd).contiguous();
}

at::Tensor unpack_nibbles(const at::Tensor& packed) {
  const at::Tensor p = packed.to(at::kLong);
  const at::Tensor high = at::bitwise_right_shift(p, 4), low = at::bitwise_and(p, 15);
  return at::stack({high, low}, 2).reshape({packed.size(0), 2 * packed.size(1)});
}

}  // namespace gptbench::quant
