// The decode megakernel's fp16 and bf16 instances (the body: decode_megakernel.cuh) and their launcher. Built
// for sm_90a only (kernels/CMakeLists.txt): the ring is filled by TMA bulk copies.
#include <cuda_bf16.h>  // __nv_bfloat16
#include <cuda_fp16.h>  // __half

#include "decode_megakernel.cuh"       // megakernel::decode_megakernel
#include "decode_megakernel_launch.h"  // prepare_decode_megakernel, launch_decode_megakernel

namespace gptbench::kernels {
namespace {

template <typename T>
cudaError_t prepare_typed(const MegakernelParams& p, int* ctas_per_sm) {
  const auto kernel = megakernel::decode_megakernel<T>;
  // The device's limit, not this state's size: a function attribute is shared by every state of the process, and
  // a smaller value set for one would make another's launch fail.
  int device = 0, optin = 0;
  cudaError_t err = cudaGetDevice(&device);
  if (err == cudaSuccess) err = cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, device);
  if (err == cudaSuccess) err = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, optin);
  if (err != cudaSuccess) return err;
  return cudaOccupancyMaxActiveBlocksPerMultiprocessor(ctas_per_sm, kernel, megakernel::kThreads, p.smem.total);
}

template <typename T>
cudaError_t launch_typed(const MegakernelParams& p, cudaStream_t stream) {
  cudaLaunchAttribute attribute[1];
  attribute[0].id = cudaLaunchAttributeCooperative;
  attribute[0].val.cooperative = 1;
  cudaLaunchConfig_t config = {};
  config.gridDim = dim3(static_cast<unsigned>(p.grid));
  config.blockDim = dim3(megakernel::kThreads);
  config.dynamicSmemBytes = static_cast<size_t>(p.smem.total);
  config.stream = stream;
  config.attrs = attribute;
  config.numAttrs = 1;
  return cudaLaunchKernelEx(&config, megakernel::decode_megakernel<T>, p);
}

}  // namespace

cudaError_t prepare_decode_megakernel(const MegakernelParams& p, int* ctas_per_sm) {
  return p.dtype == ElementType::kFp16 ? prepare_typed<__half>(p, ctas_per_sm)
                                       : prepare_typed<__nv_bfloat16>(p, ctas_per_sm);
}

cudaError_t launch_decode_megakernel(const MegakernelParams& p, cudaStream_t stream) {
  return p.dtype == ElementType::kFp16 ? launch_typed<__half>(p, stream) : launch_typed<__nv_bfloat16>(p, stream);
}

}  // namespace gptbench::kernels
