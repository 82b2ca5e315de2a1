// The central finite difference of a scalar objective at one element of a tensor, for gradient tests:
// (f(p + eps) - f(p - eps)) / (2 eps) at element `flat` of p (as p.view(-1) numbers it), p restored
// afterwards, without recording gradients. p: any shape, fp64 for a meaningful difference.
#pragma once

#include <ATen/core/Tensor.h>   // at::Tensor
#include <c10/core/GradMode.h>  // c10::NoGradGuard

#include <cstdint>  // int64_t

namespace gptbench::test_support {

// objective: () -> 0-dim tensor.
template <typename Objective>
double central_difference(const at::Tensor& p, int64_t flat, double eps, Objective objective) {
  const c10::NoGradGuard no_grad;
  at::Tensor v = p.view(-1);
  const double x0 = v[flat].item<double>();
  v[flat] = x0 + eps;
  const double up = objective().template item<double>();
  v[flat] = x0 - eps;
  const double down = objective().template item<double>();
  v[flat] = x0;
  return (up - down) / (2 * eps);
}

}  // namespace gptbench::test_support
