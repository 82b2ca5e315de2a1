// Host entry points of the flash kernels. Plain C++ with the CUDA runtime's C API only,
// so the torch op (.cpp) can call the kernels without nvcc ever seeing torch headers.
#pragma once

#include <cuda_runtime_api.h>  // cudaStream_t, cudaError_t

#include "attention_params.h"  // AttentionParams, ElementType, MaskPolicy

namespace gptbench::kernels {

// The prefill kernels: sm_80 (mma.sync, any sm_80+ device) and sm_90a (wgmma + TMA; compiled only when
// the build's architectures hold 90a). The caller passes the one its kernel choice named.
enum class PrefillKernel { kSm80, kSm90 };

// Fused prefill (any Tq >= 1, contiguous keys, key_pos must be null) with `kernel`.
cudaError_t launch_flash_prefill(const AttentionParams& p, PrefillKernel kernel, cudaStream_t stream);

// Split-KV decode (Tq == 1): writes out directly when p.num_splits == 1, otherwise
// partial (out, lse) per split and then the log-sum-exp combine into out.
cudaError_t launch_flash_decode(const AttentionParams& p, cudaStream_t stream);

// How many KV splits the decode of p (batch, heads, decode_span, dtype, head dim, policy)
// should use on a device of num_sms SMs: one full wave of resident CTAs, none with fewer than
// min_keys_per_split keys.
int choose_decode_splits(const AttentionParams& p, int num_sms, int min_keys_per_split);

// kDecodeMinKeysPerSplit, or GPTBENCH_DECODE_MIN_KEYS (a positive integer, read once) for the A/B runs of
// kernels/NOTES.md; another value is ignored with a warning.
int decode_min_keys_per_split();

}  // namespace gptbench::kernels
