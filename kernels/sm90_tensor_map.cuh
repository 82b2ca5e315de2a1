// Host side of the bulk tensor copies: a 4-D TMA descriptor (D, T, H, B) over one attention
// tensor, 128-byte swizzled boxes of 64 head-dim elements x `box_rows` rows. The driver's
// encoder is reached through the runtime (cudaGetDriverEntryPointByVersion), so nothing links
// libcuda directly.
#pragma once

#include <cuda.h>              // CUtensorMap, cuTensorMapEncodeTiled's enums
#include <cuda_runtime_api.h>  // cudaGetDriverEntryPointByVersion
#include <cudaTypedefs.h>      // PFN_cuTensorMapEncodeTiled_v12000

#include <cstdint>  // int64_t

namespace gptbench::kernels::sm90 {

inline PFN_cuTensorMapEncodeTiled_v12000 tensor_map_encoder() {
  static PFN_cuTensorMapEncodeTiled_v12000 encode = [] {
    void* fn = nullptr;
    cudaDriverEntryPointQueryResult found{};
    if (cudaGetDriverEntryPointByVersion("cuTensorMapEncodeTiled", &fn, 12000, cudaEnableDefault, &found) !=
            cudaSuccess ||
        found != cudaDriverEntryPointSuccess) {
      return static_cast<PFN_cuTensorMapEncodeTiled_v12000>(nullptr);
    }
    return reinterpret_cast<PFN_cuTensorMapEncodeTiled_v12000>(fn);
  }();
  return encode;
}

// base: (B, H, T, D) with element strides {batch, head, row} and a contiguous last dim.
// Rows past T read as zeros. Returns false when the driver rejects the layout.
inline bool make_attention_tensor_map(CUtensorMap* map, const void* base, bool bf16, int batch, int heads, int rows,
                                      int head_dim, const int64_t (&strides)[3], int box_rows) {
  const PFN_cuTensorMapEncodeTiled_v12000 encode = tensor_map_encoder();
  if (encode == nullptr) return false;
  constexpr int kElementBytes = 2;
  const cuuint64_t dims[4] = {static_cast<cuuint64_t>(head_dim), static_cast<cuuint64_t>(rows),
                              static_cast<cuuint64_t>(heads), static_cast<cuuint64_t>(batch)};
  const cuuint64_t byte_strides[3] = {static_cast<cuuint64_t>(strides[2] * kElementBytes),
                                      static_cast<cuuint64_t>(strides[1] * kElementBytes),
                                      static_cast<cuuint64_t>(strides[0] * kElementBytes)};
  const cuuint32_t box[4] = {64, static_cast<cuuint32_t>(box_rows), 1, 1};  // 64 x 2 B = one 128-byte swizzle row
  const cuuint32_t element_strides[4] = {1, 1, 1, 1};
  const CUresult r = encode(map, bf16 ? CU_TENSOR_MAP_DATA_TYPE_BFLOAT16 : CU_TENSOR_MAP_DATA_TYPE_FLOAT16, 4,
                            const_cast<void*>(base), dims, byte_strides, box, element_strides,
                            CU_TENSOR_MAP_INTERLEAVE_NONE, CU_TENSOR_MAP_SWIZZLE_128B,
                            CU_TENSOR_MAP_L2_PROMOTION_L2_256B, CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE);
  return r == CUDA_SUCCESS;
}

}  // namespace gptbench::kernels::sm90
