// Gradients of the flash training path (our op forward + our fused backward on CUDA, the recomputing
// backward on the CPU: flash_autograd.h)
// against an fp64 dense reference written from attention.h's rule, and against the standard
// implementation's autograd gradients, for causal, ALiBi and sliding-window (banded) attention.
// CPU: the op's ATen reference runs the forward. GPTBENCH_TEST_DEVICE=cuda (the gpu copy) runs
// our CUDA kernels in bf16 against fp32 autograd through the standard implementation.
#include <ATen/TensorOperators.h>  // Tensor operators
#include <ATen/ops/abs.h>          // at::abs
#include <ATen/ops/arange.h>       // at::arange
#include <ATen/ops/matmul.h>       // at::matmul
#include <ATen/ops/randn.h>        // at::randn
#include <ATen/ops/softmax.h>      // at::softmax
#include <ATen/ops/tensor.h>       // at::tensor
#include <ATen/ops/zeros.h>        // at::zeros
#include <gtest/gtest.h>           // TEST_P, EXPECT_*
#include <torch/csrc/autograd/autograd.h>  // torch::autograd::grad
#include <torch/cuda.h>                    // torch::cuda::is_available

#include <cmath>    // std::sqrt
#include <cstdlib>  // std::getenv
#include <limits>   // std::numeric_limits
#include <string>   // std::string

#include "attention/flash_autograd.h"    // flash_attention_recompute_backward
#include "gptbench/attention/flash_backward.h"  // last_flash_backward_kernel
#include "gptbench/attention/alibi.h"    // alibi_slopes
#include "gptbench/attention/variant.h"  // parse_variant

using namespace gptbench::attention;

namespace {

bool on_cuda() {
  const char* env = std::getenv("GPTBENCH_TEST_DEVICE");
  return env != nullptr && std::string(env) == "cuda";
}

// The definition, densely, in the inputs' dtype (fp64 here): causal, optional window, ALiBi.
at::Tensor dense_reference(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const AttentionSpec& spec,
                           const at::Tensor& slopes) {
  const int64_t t = q.size(2);
  const auto opts = at::TensorOptions().dtype(at::kLong).device(q.device());
  const at::Tensor i = at::arange(t, opts).view({t, 1}), j = at::arange(t, opts).view({1, t});
  at::Tensor visible = j <= i;
  if (spec.window > 0) visible = visible & ((i - j) < spec.window);
  at::Tensor scores = at::matmul(q, k.transpose(-2, -1)) / std::sqrt(static_cast<double>(q.size(3)));
  if (spec.alibi()) scores = scores - slopes.to(q.scalar_type()).view({1, -1, 1, 1}) * (i - j).to(q.scalar_type());
  scores = scores.masked_fill(visible.logical_not(), -std::numeric_limits<double>::infinity());
  return at::matmul(at::softmax(scores, -1), v);
}

struct Grads {
  at::Tensor out, dq, dk, dv;
};

template <typename F>
Grads grads_of(F attend, const at::Tensor& q0, const at::Tensor& k0, const at::Tensor& v0, const at::Tensor& weight,
               at::ScalarType dtype) {
  at::Tensor q = q0.to(dtype).detach().requires_grad_(true);
  at::Tensor k = k0.to(dtype).detach().requires_grad_(true);
  at::Tensor v = v0.to(dtype).detach().requires_grad_(true);
  at::Tensor out = attend(q, k, v);
  at::Tensor loss = (out.to(at::kDouble) * weight).sum();
  auto g = torch::autograd::grad({loss}, {q, k, v});
  return {out.detach().to(at::kDouble), g[0].to(at::kDouble), g[1].to(at::kDouble), g[2].to(at::kDouble)};
}

double max_abs(const at::Tensor& a, const at::Tensor& b) { return at::abs(a - b).max().item<double>(); }

class FlashAutograd : public ::testing::TestWithParam<std::string> {};

TEST_P(FlashAutograd, GradientsMatchReference) {
  const bool cuda = on_cuda();
  if (cuda && !torch::cuda::is_available()) GTEST_SKIP() << "GPTBENCH_TEST_DEVICE=cuda but no CUDA device";
  const c10::Device device = cuda ? c10::Device(c10::kCUDA, 0) : c10::Device(c10::kCPU);
  const AttentionSpec flash_spec = parse_variant(GetParam(), {GetParam().find("sparse") != std::string::npos
                                                                  ? std::optional<int64_t>(16)
                                                                  : std::nullopt,
                                                              std::nullopt});
  AttentionSpec standard_spec = flash_spec;
  standard_spec.kernel = Kernel::kStandard;
  // T = 200 > window + chunk (16 + 64): the sparse recompute and standard take the banded path.
  const int64_t b = 2, h = 4, t = 200, d = 64;
  const auto f64 = at::TensorOptions().dtype(at::kDouble).device(device);
  at::manual_seed(7);
  const at::Tensor q = at::randn({b, h, t, d}, f64), k = at::randn({b, h, t, d}, f64), v = at::randn({b, h, t, d}, f64);
  const at::Tensor weight = at::randn({b, h, t, d}, f64);
  std::vector<double> s = alibi_slopes(h);
  const at::Tensor slopes = at::tensor(std::vector<float>(s.begin(), s.end())).to(device);
  AttentionPositions positions;
  positions.key_start = at::zeros({b}, at::TensorOptions().dtype(at::kLong).device(device));
  positions.left_padded = false;

  const Grads ref = grads_of([&](auto& q1, auto& k1, auto& v1) { return dense_reference(q1, k1, v1, flash_spec, slopes); },
                             q, k, v, weight, at::kDouble);
  std::string forward_kernel;
  const at::ScalarType flash_dtype = cuda ? at::kBFloat16 : at::kDouble;
  const Grads flash = grads_of(
      [&](auto& q1, auto& k1, auto& v1) {
        return flash_attention_recompute_backward(q1, k1, v1, positions, flash_spec, slopes, &forward_kernel);
      },
      q, k, v, weight, flash_dtype);
  auto standard_impl = make_attention(standard_spec);
  const Grads standard = grads_of(
      [&](auto& q1, auto& k1, auto& v1) { return standard_impl->forward(q1, k1, v1, positions, slopes); }, q, k, v,
      weight, cuda ? at::kFloat : at::kDouble);

  // The op's own choice: fp64 inputs on the CPU run the fp64 reference, under the spec's policy.
  const std::string policy = flash_spec.alibi() ? (flash_spec.sparse() ? "_alibi_window" : "_alibi")
                                                : (flash_spec.sparse() ? "_window" : "_causal");
  // CUDA: the sm_80 kernel ("flash_prefill_bf16_d64_...") or, on Hopper, the sm_90a one ("flash_prefill_sm90_bf16_d64_...").
  EXPECT_EQ(forward_kernel.rfind(cuda ? "flash:flash_prefill_" : "flash-op:cpu_reference_fp64_", 0), 0u) << forward_kernel;
  if (cuda) EXPECT_NE(forward_kernel.find("bf16_d64_"), std::string::npos) << forward_kernel;
  EXPECT_EQ(forward_kernel.substr(forward_kernel.size() - policy.size()), policy) << forward_kernel;
  // CUDA: our fused backward kernel (flash_backward.cuh); CPU: the SDPA recompute.
  if (cuda) {
    EXPECT_EQ(last_flash_backward_kernel(), "flash_bwd_sm80_bf16_d64" + policy) << last_flash_backward_kernel();
  } else {
    EXPECT_EQ(last_flash_backward_kernel().rfind("recompute:sdpa", 0), 0u) << last_flash_backward_kernel();
  }
  // CPU fp64: the recompute is exact to rounding. Standard computes in fp32 internally.
  // CUDA bf16 (8 mantissa bits): error bound ~ 2^-8 relative on O(1) values, summed over ~T terms.
  const double tol_flash = cuda ? 6e-2 : 1e-9, tol_standard = cuda ? 2e-3 : 2e-5;
  const std::pair<const char*, std::pair<at::Tensor, at::Tensor>> checks[] = {
      {"out", {flash.out, ref.out}}, {"dq", {flash.dq, ref.dq}}, {"dk", {flash.dk, ref.dk}}, {"dv", {flash.dv, ref.dv}}};
  for (const auto& [name, pair] : checks) {
    const double scale = std::max(1.0, pair.second.abs().max().item<double>());
    EXPECT_LE(max_abs(pair.first, pair.second) / scale, tol_flash) << GetParam() << " flash " << name;
  }
  const std::pair<const char*, std::pair<at::Tensor, at::Tensor>> standard_checks[] = {
      {"dq", {standard.dq, ref.dq}}, {"dk", {standard.dk, ref.dk}}, {"dv", {standard.dv, ref.dv}}};
  for (const auto& [name, pair] : standard_checks) {
    const double scale = std::max(1.0, pair.second.abs().max().item<double>());
    EXPECT_LE(max_abs(pair.first, pair.second) / scale, tol_standard) << GetParam() << " standard " << name;
  }
  // The window really matters: gradients differ from dense causal (guards against an ignored window).
  if (flash_spec.sparse()) {
    AttentionSpec dense = flash_spec;
    dense.window = 0;
    const Grads dense_ref = grads_of([&](auto& q1, auto& k1, auto& v1) { return dense_reference(q1, k1, v1, dense, slopes); },
                                     q, k, v, weight, at::kDouble);
    EXPECT_GT(max_abs(dense_ref.dq, ref.dq), 1e-2);
  }
}

INSTANTIATE_TEST_SUITE_P(Variants, FlashAutograd, ::testing::Values("flash", "flash+alibi", "flash+sparse",
                                                                    "flash+alibi+sparse"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n) c = (c == '+') ? '_' : c;
                           return n;
                         });

}  // namespace
