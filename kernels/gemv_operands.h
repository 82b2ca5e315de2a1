// What fused_linear and quantized_linear share around the GEMV: the argument checks, whether the
// kernel can take a call's inputs (everything but the weight), and the GemvParams of those inputs.
#pragma once

#include <ATen/core/Tensor.h>  // at::Tensor

#include <cstdint>  // int64_t
#include <string>   // std::string
#include <vector>   // std::vector

#include "gemv_params.h"                    // GemvParams
#include "gptbench/kernels/fused_linear.h"  // FusedLinearOptions

namespace gptbench::kernels {

std::string sizes_of(at::IntArrayRef sizes);
// x's shape with the last dimension n.
std::vector<int64_t> output_shape(const at::Tensor& x, int64_t n);
// x with its leading dimensions as rows: (M, K), a view where the layout allows it.
at::Tensor rows_of(const at::Tensor& t);
bool aligned16(const at::Tensor& t);

// Throws gptbench::Error "OP: ..." when x (..., K), a weight of shape (n, k) given as `weight_sizes`, and
// the options disagree.
void check_linear_arguments(const char* op, const at::Tensor& x, at::IntArrayRef weight_sizes, int64_t n, int64_t k,
                            const FusedLinearOptions& o);

// Why the GEMV cannot take x and the options ("" when it can), for a weight of n rows and k columns;
// the kernel holds `shared_rows(rows)` x rows plus `extra_shared` bytes in shared memory.
// k_multiple: what K must divide by for this weight's vectors.
const char* gemv_inputs_unsupported(const at::Tensor& x, int64_t n, int64_t k, const FusedLinearOptions& o,
                                    int (*shared_rows)(int), int64_t extra_shared, int64_t k_multiple);

// GemvParams with x, the options and `out` filled in (the weight fields left to the caller), and the
// (M, K) / (M, N) views of x and the residual that the params point into (kept alive for the launch).
struct GemvInputs {
  GemvParams params;
  at::Tensor x_rows, residual_rows;
};
GemvInputs gemv_inputs(const at::Tensor& x, int64_t n, int64_t k, const FusedLinearOptions& o, const at::Tensor& out);

// How a GEMV on x's device launches: gemv_overlap() on sm_90+ CUDA devices, kOff elsewhere; gemv_inputs
// sets GemvParams::overlap_launch / prefetch_weights from it, and kernel names carry gemv_launch_suffix.
GemvOverlap gemv_overlap_on(const at::Tensor& x);
const char* gemv_launch_suffix(const at::Tensor& x);

}  // namespace gptbench::kernels
