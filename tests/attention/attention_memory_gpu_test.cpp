// Sliding-window attention is really sparse: at T = 8192, W = 256, B = 1 (GPT-2 124M heads, fp16)
// the standard kernel's peak attention memory stays below 1/8 of dense standard's, and sdpa's
// banded form below 1/8 of dense sdpa with a mask. Measured with the CUDA caching allocator's
// peak counter around one attention forward. Skips (saying so) without a CUDA device.
#include <ATen/ops/randn.h>   // at::randn
#include <ATen/ops/zeros.h>   // at::zeros
#include <gtest/gtest.h>      // TEST, GTEST_SKIP
#include <torch/cuda.h>       // torch::cuda::is_available

#include <cstdio>  // std::printf

#include "gptbench/attention/variant.h"    // parse_variant
#include "gptbench/bench/device_memory.h"  // reset_peak_memory, read_peak_memory
#include "gptbench/bench/device_timer.h"   // synchronize_device

using namespace gptbench;

namespace {

// Peak bytes allocated during one forward, above what was allocated before it.
int64_t attention_peak_bytes(const std::string& variant, attention::VariantFlags flags, bool left_padded) {
  const c10::Device cuda(c10::kCUDA, 0);
  const int64_t b = 1, h = 12, t = 8192, d = 64;
  const auto opts = at::TensorOptions().dtype(at::kHalf).device(cuda);
  at::Tensor q = at::randn({b, h, t, d}, opts), k = at::randn({b, h, t, d}, opts), v = at::randn({b, h, t, d}, opts);
  attention::AttentionPositions pos{at::zeros({b}, at::TensorOptions().dtype(at::kLong).device(cuda)), 0, {}, left_padded};
  auto impl = attention::make_attention(attention::parse_variant(variant, flags));
  bench::synchronize_device(cuda);
  bench::release_cached_memory(cuda);
  bench::reset_peak_memory(cuda);
  const int64_t before = bench::read_peak_memory(cuda).allocated_now;
  at::Tensor out = impl->forward(q, k, v, pos, {});
  bench::synchronize_device(cuda);
  const int64_t peak = bench::read_peak_memory(cuda).peak_allocated - before;
  std::printf("[ memory ] %-28s peak attention memory %9.1f MiB  (kernel %s)\n", variant.c_str(), peak / 1048576.0,
              impl->last_kernel().c_str());
  return peak;
}

}  // namespace

TEST(AttentionMemoryGpu, SparseStandardUsesUnderAnEighthOfDenseAtT8192W256) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device: this GPU memory test runs on the GPU machine";
  const int64_t dense = attention_peak_bytes("standard", {}, true);
  const int64_t sparse = attention_peak_bytes("standard+sparse", {int64_t{256}, std::nullopt}, true);
  EXPECT_LT(sparse * 8, dense) << "sparse " << sparse << " B vs dense " << dense << " B";
}

TEST(AttentionMemoryGpu, SparseSdpaUsesUnderAnEighthOfMaskedDenseSdpa) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device: this GPU memory test runs on the GPU machine";
  // With left padding SDPA needs a mask, the dense form materialises (B, 1, T, T).
  const int64_t dense = attention_peak_bytes("sdpa", {}, true);
  const int64_t sparse = attention_peak_bytes("sdpa+sparse", {int64_t{256}, std::nullopt}, true);
  EXPECT_LT(sparse * 8, dense) << "sparse " << sparse << " B vs dense " << dense << " B";
}
