// Projections through fused_linear, recording which implementation ran (linear_dispatch.h).
#include "gptbench/model/linear_dispatch.h"

#include <algorithm>  // std::find
#include <utility>    // std::move

namespace gptbench::model {

void LinearDispatch::add(const std::string& path) {
  if (std::find(paths_.begin(), paths_.end(), path) == paths_.end()) paths_.push_back(path);
}

std::string LinearDispatch::joined() const {
  std::string out;
  for (const std::string& p : paths_) out += (out.empty() ? "" : "+") + p;
  return out;
}

at::Tensor project(LinearDispatch& dispatch, const at::Tensor& x, const at::Tensor& weight,
                   kernels::FusedLinearOptions options) {
  options.gemv_max_rows = dispatch.gemv_max_rows;
  std::string path;
  at::Tensor y = kernels::fused_linear(x, weight, std::move(options), &path);
  dispatch.add(path);
  return y;
}

}  // namespace gptbench::model
