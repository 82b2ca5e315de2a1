// FAVOR+ features and the chunked causal recurrence (performer.h).
#include "gptbench/attention/performer.h"

#include <ATen/TensorOperators.h>        // Tensor operators
#include <ATen/core/Generator.h>         // at::Generator, at::make_generator
#include <ATen/CPUGeneratorImpl.h>       // at::CPUGeneratorImpl
#include <ATen/ops/arange.h>             // at::arange
#include <ATen/ops/cat.h>                // at::cat
#include <ATen/ops/diagonal.h>           // at::diagonal
#include <ATen/ops/exp.h>                // at::exp
#include <ATen/ops/linalg_qr.h>          // at::linalg_qr
#include <ATen/ops/matmul.h>             // at::matmul
#include <ATen/ops/ones.h>               // at::ones
#include <ATen/ops/randn.h>              // at::randn
#include <ATen/ops/sign.h>               // at::sign
#include <ATen/ops/tril.h>               // at::tril
#include <ATen/ops/where.h>              // at::where
#include <ATen/ops/zeros.h>              // at::zeros

#include <algorithm>  // std::min
#include <cmath>      // std::pow, std::sqrt
#include <limits>     // std::numeric_limits
#include <vector>     // std::vector

#include "gptbench/util/check.h"  // GPTBENCH_CHECK

namespace gptbench::attention {
namespace {

c10::ScalarType compute_type(const at::Tensor& x) { return x.scalar_type() == at::kDouble ? at::kDouble : at::kFloat; }

}  // namespace

at::Tensor orthogonal_random_features(int64_t m, int64_t d, uint64_t seed) {
  GPTBENCH_CHECK(m > 0 && d > 0, "random features: m = {} and d = {} must be positive", m, d);
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  const auto f64 = at::TensorOptions().dtype(at::kDouble);
  std::vector<at::Tensor> blocks;
  for (int64_t row = 0; row < m; row += d) {
    auto [q, r] = at::linalg_qr(at::randn({d, d}, gen, f64));  // orthonormal columns
    // Columns signed so that R's diagonal is positive: then Q is Haar-distributed (LAPACK's signs
    // alone bias each column towards its own axis, which biases the estimator).
    q = q * at::sign(at::diagonal(r)).unsqueeze(0);
    at::Tensor norms = at::randn({d, d}, gen, f64).norm(2, {1});           // (d,) chi(d)
    blocks.push_back((q.t() * norms.unsqueeze(1)).narrow(0, 0, std::min(d, m - row)));
  }
  return at::cat(blocks, 0);  // (m, d)
}

at::Tensor positive_random_features(const at::Tensor& x, const at::Tensor& omega, bool stabilise_rows) {
  const int64_t d = x.size(-1), m = omega.size(0);
  const at::Tensor scaled = x * (1.0 / std::pow(static_cast<double>(d), 0.25));  // x'
  at::Tensor exponent = at::matmul(scaled, omega.t()) - (scaled * scaled).sum(-1, true) * 0.5;  // (..., m)
  if (stabilise_rows) exponent = exponent - std::get<0>(exponent.max(-1, true));
  return at::exp(exponent) * (1.0 / std::sqrt(static_cast<double>(m)));
}

RecurrentState empty_recurrent_state(int64_t batch, int64_t heads, int64_t m, int64_t head_dim,
                                     const at::Tensor& like) {
  const auto options = at::TensorOptions().dtype(compute_type(like)).device(like.device());
  return {at::zeros({batch, heads, m, head_dim}, options), at::zeros({batch, heads, m}, options)};
}

at::Tensor favor_causal(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& omega,
                        const AttentionPositions& positions, RecurrentState& state, int64_t chunk) {
  GPTBENCH_CHECK(q.sizes() == k.sizes() && k.sizes() == v.sizes(),
                 "performer: q, k and v must be the same T new tokens of the same heads");
  const int64_t t = q.size(2);
  const c10::ScalarType type = compute_type(q);
  const at::Tensor w = omega.to(q.device(), type);
  // (B, 1, T, 1): the new tokens that are real (at or after their row's key_start).
  const at::Tensor pos = at::arange(positions.q_pos0, positions.q_pos0 + t, q.options().dtype(at::kLong));
  const at::Tensor real = (pos.view({1, -1}) >= positions.key_start.view({-1, 1})).view({-1, 1, t, 1});
  const at::Tensor qf = positive_random_features(q.to(type), w, /*stabilise_rows=*/true);      // (B, H, T, m)
  const at::Tensor kf = positive_random_features(k.to(type), w, /*stabilise_rows=*/false) * real;
  const at::Tensor vv = v.to(type);
  std::vector<at::Tensor> outputs;
  for (int64_t c0 = 0; c0 < t; c0 += chunk) {
    const int64_t n = std::min(chunk, t - c0);
    const at::Tensor qc = qf.narrow(2, c0, n), kc = kf.narrow(2, c0, n), vc = vv.narrow(2, c0, n);
    const at::Tensor within = at::tril(at::matmul(qc, kc.transpose(-2, -1)));  // (B, H, n, n), causal
    const at::Tensor numerator = at::matmul(within, vc) + at::matmul(qc, state.s);                  // (B, H, n, D)
    const at::Tensor denominator = within.sum(-1, true) + at::matmul(qc, state.z.unsqueeze(-1));  // (B, H, n, 1)
    outputs.push_back(numerator / denominator.clamp_min(std::numeric_limits<float>::min()));
    state.s = state.s + at::matmul(kc.transpose(-2, -1), vc);
    state.z = state.z + kc.sum(2);
  }
  // A padding query sees no real key: its output is defined as 0.
  return at::where(real, at::cat(outputs, 2), 0.0).to(q.scalar_type());
}

}  // namespace gptbench::attention
