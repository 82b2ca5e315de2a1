// The device type of each element type of the kernel table (flash_policies.h), for the
// dispatcher and the generated instantiation files. A table entry without a mapping here
// fails to compile.
#pragma once

#include <cuda_bf16.h>  // __nv_bfloat16
#include <cuda_fp16.h>  // __half

#include "attention_params.h"  // ElementType

namespace gptbench::kernels {

template <ElementType E>
struct DeviceElementOf;
template <>
struct DeviceElementOf<ElementType::kFp16> {
  using type = __half;
};
template <>
struct DeviceElementOf<ElementType::kBf16> {
  using type = __nv_bfloat16;
};
template <ElementType E>
using DeviceElement = typename DeviceElementOf<E>::type;

}  // namespace gptbench::kernels
