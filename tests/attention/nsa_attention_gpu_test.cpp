// `--variant nsa` on CUDA in fp16 (its window branch our flash kernel, the rest ATen) against the same
// parameters and inputs on the CPU (fp32, the path the fp64 loop proves in nsa_attention_test.cpp):
// prefill with left padding, and decode step by step from a growing cache buffer on the device.
#include <ATen/TensorOperators.h>  // Tensor operators
#include <ATen/ops/randn.h>        // at::randn
#include <ATen/ops/zeros_like.h>   // at::zeros_like
#include <c10/core/GradMode.h>     // c10::AutoGradMode
#include <gtest/gtest.h>           // TEST, GTEST_SKIP
#include <torch/cuda.h>            // torch::cuda::is_available

#include <algorithm>  // std::max
#include <cstdio>     // std::printf
#include <memory>     // std::unique_ptr

#include "gptbench/attention/attention.h"  // make_attention, AttentionImpl
#include "gptbench/attention/variant.h"    // parse_variant
#include "learned_test_support.h"           // nsa_flags, left_padded_positions

using namespace gptbench::attention;

namespace {

constexpr int64_t kB = 2, kH = 4, kD = 64, kT = 200;

AttentionPositions positions_at(int64_t q_pos0, const c10::Device& device) {
  AttentionPositions p = gptbench::testing::left_padded_positions({0, 7}, q_pos0);  // row 1 left-padded by 7
  p.key_start = p.key_start.to(device);
  return p;
}

double max_diff(const at::Tensor& a, const at::Tensor& b) {
  return (a.cpu().to(at::kDouble) - b.cpu().to(at::kDouble)).abs().max().item<double>();
}

}  // namespace

// fp16 inputs and flash's fp16 window against fp32: 2e-2 on outputs of order 1 is fp16's rounding of
// the window branch (about 1e-3 relative) with room; a wrong block or position moves outputs by ~0.1.
constexpr double kHalfTolerance = 2e-2;

TEST(NsaGpu, Fp16OnCudaMatchesTheCpuPrefillAndDecodesFromTheCache) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device: this nsa GPU test runs on the GPU machine";
  const AttentionSpec spec = parse_variant("nsa", gptbench::testing::nsa_flags(16, 8, 16, 4, 32));
  std::unique_ptr<AttentionImpl> cpu = make_attention(spec), gpu = make_attention(spec);
  auto cpu_params = cpu->make_layer_parameters(kH, kD), gpu_params = gpu->make_layer_parameters(kH, kD);
  c10::AutoGradMode no_grad(false);
  for (size_t i = 0; i < cpu_params.size(); ++i) {
    cpu_params[i].second.add_(at::randn(cpu_params[i].second.sizes()) * 0.1);
    gpu_params[i].second.copy_(cpu_params[i].second);
  }
  const c10::Device cuda(c10::kCUDA);
  const at::Tensor q = at::randn({kB, kH, kT, kD}).to(at::kHalf), k = at::randn({kB, kH, kT, kD}).to(at::kHalf),
                   v = at::randn({kB, kH, kT, kD}).to(at::kHalf);
  const at::Tensor expected = cpu->forward(q.to(at::kFloat), k.to(at::kFloat), v.to(at::kFloat), positions_at(0, c10::kCPU), {});
  const at::Tensor qg = q.to(cuda), kg = k.to(cuda), vg = v.to(cuda);
  const at::Tensor prefill = gpu->forward(qg, kg, vg, positions_at(0, cuda), {});
  std::printf("nsa cuda fp16 prefill vs cpu fp32: max diff %.3g (%s)\n", max_diff(prefill, expected),
              gpu->last_kernel().c_str());
  EXPECT_LT(max_diff(prefill, expected), kHalfTolerance);
  // Decode: 150 tokens of prefill into the buffer, then one token at a time.
  const int64_t t0 = 150;
  at::Tensor kbuf = at::zeros_like(kg), vbuf = at::zeros_like(vg);
  kbuf.narrow(2, 0, t0).copy_(kg.narrow(2, 0, t0));
  vbuf.narrow(2, 0, t0).copy_(vg.narrow(2, 0, t0));
  AttentionPositions step = positions_at(0, cuda);
  gpu->forward(qg.narrow(2, 0, t0), kbuf.narrow(2, 0, t0), vbuf.narrow(2, 0, t0), step, {});
  double worst = 0;
  for (int64_t i = t0; i < kT; ++i) {
    kbuf.narrow(2, i, 1).copy_(kg.narrow(2, i, 1));
    vbuf.narrow(2, i, 1).copy_(vg.narrow(2, i, 1));
    step.q_pos0 = i;
    const at::Tensor one = gpu->forward(qg.narrow(2, i, 1), kbuf.narrow(2, 0, i + 1), vbuf.narrow(2, 0, i + 1), step, {});
    worst = std::max(worst, max_diff(one, expected.narrow(2, i, 1)));
  }
  std::printf("nsa cuda fp16 decode vs cpu fp32 prefill rows: max diff %.3g\n", worst);
  EXPECT_LT(worst, kHalfTolerance);
}
