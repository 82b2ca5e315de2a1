// How a model's projections run, shared by its modules (every family): up to how many rows they may
// take gptbench's GEMV kernel, and which implementation each one of the last forward ran.
#pragma once

#include <ATen/core/Tensor.h>  // at::Tensor

#include <cstdint>  // int64_t
#include <string>   // std::string
#include <vector>   // std::vector

#include "gptbench/kernels/fused_linear.h"  // FusedLinearOptions, kGemvDefaultMaxRows

namespace gptbench::model {

// gemv_max_rows is FusedLinearOptions::gemv_max_rows; the paths are kernels::fused_linear_path names
// ("gemv_fp16_rows1", "aten", ...), distinct, in call order.
class LinearDispatch {
 public:
  int64_t gemv_max_rows = kernels::kGemvDefaultMaxRows;
  void clear() { paths_.clear(); }
  void add(const std::string& path);
  std::string joined() const;  // e.g. "gemv_fp16_rows8+aten"; "" before any forward

 private:
  std::vector<std::string> paths_;
};

// A projection through kernels::fused_linear as `dispatch` allows, its implementation recorded there.
// x: (..., in); weight: (out, in). Returns (..., out).
at::Tensor project(LinearDispatch& dispatch, const at::Tensor& x, const at::Tensor& weight,
                   kernels::FusedLinearOptions options);

}  // namespace gptbench::model
