// Host entry point of the classifier kernel: per row of logits, the softmax cross-entropy loss
// and, in the same launch, its gradient written over the logits. Plain C++ with the CUDA
// runtime's C API only, so the torch op (.cpp) calls it without nvcc ever seeing torch headers.
#pragma once

#include <cuda_runtime_api.h>  // cudaStream_t, cudaError_t

#include <cstdint>  // int64_t

namespace gptbench::kernels {

enum class ClassifierDtype : int { kFp32 = 0, kFp16 = 1, kBf16 = 2 };

// One CTA per row. 512 threads: 12-13 16-byte vectors per thread at V = 50257 in bf16 (unmeasured;
// the H100 session should time 256/512/1024 before anyone tunes it).
inline constexpr int kClassifierThreads = 512;

struct ClassifierParams {
  void* logits = nullptr;            // (N, V) in `dtype`, row stride `row_stride` elements, columns contiguous;
                                     // overwritten with dlogits = softmax - onehot when write_grad
  const int64_t* targets = nullptr;  // (N) class in [0, V), or ignore_index
  float* loss = nullptr;             // (N) fp32: logsumexp(row) - row[target]; 0 for ignored rows,
                                     // NaN (and a NaN gradient row) for a target outside [0, V)
  int64_t rows = 0;                  // N, at most 2^31 - 1 (one CTA each)
  int vocab = 0;                     // V
  int64_t row_stride = 0;            // >= V; rows start 16-byte aligned when row_stride * element size
                                     // is a multiple of 16 and logits is (then every row is vectorised)
  int64_t ignore_index = -100;
  bool write_grad = true;            // false: loss only, the logits are left as they are
  ClassifierDtype dtype = ClassifierDtype::kBf16;
};

// Queues the kernel on `stream`; cudaErrorInvalidValue for inconsistent parameters.
cudaError_t launch_classifier_loss_grad(const ClassifierParams& p, cudaStream_t stream);

}  // namespace gptbench::kernels
