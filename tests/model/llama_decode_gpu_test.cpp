// Llama decode steps through the GEMV with its Llama fusions (RMSNorm before qkv, gate_up and the lm_head;
// SwiGLU's gate before down_proj; the residual adds) against the same steps on ATen ops, both measured
// against the fp32 model: the fused path may err at most twice ATen's own error plus a quarter ulp of fp16
// at the logits' scale. Skips (saying so) without CUDA.
#include <gtest/gtest.h>  // TEST, EXPECT_*, GTEST_SKIP

#include <ATen/TensorOperators.h>   // Tensor operators (-)
#include <ATen/ops/cat.h>            // at::cat
#include <ATen/ops/randint.h>        // at::randint
#include <ATen/ops/zeros.h>          // at::zeros
#include <c10/core/InferenceMode.h>  // c10::InferenceMode
#include <torch/cuda.h>              // torch::cuda::is_available

#include <cmath>   // std::ldexp
#include <cstdio>  // std::printf
#include <memory>  // std::shared_ptr
#include <string>  // std::string

#include "gptbench/attention/attention.h"   // AttentionPositions
#include "gptbench/model/llama_config.h"    // find_named_llama_config
#include "gptbench/model/model_family.h"    // init_model
#include "../support/gemv_name.h"           // test_support::gemv_name

namespace {

using gptbench::attention::AttentionPositions;
using gptbench::model::LogitsMode;
using Model = std::shared_ptr<gptbench::model::CausalLm>;

struct Steps {
  at::Tensor logits;  // (B, steps, V) of the one-token decode steps, fp64 on the CPU
  std::string linear;  // the projections' kernels of the last step
};

// Prefill ids[:, :prefill], then decode the rest one token at a time (B rows: B-row GEMV calls).
Steps decode_steps(const Model& m, const at::Tensor& ids, int64_t prefill) {
  const int64_t b = ids.size(0), t = ids.size(1);
  const at::Tensor start = at::zeros({b}, ids.options());
  auto cache = m->make_cache(start, t);
  AttentionPositions positions{start, 0, {}, true};
  m->forward(ids.narrow(1, 0, prefill), positions, cache.get(), LogitsMode::kAllPositions);
  std::vector<at::Tensor> steps;
  for (int64_t p = prefill; p < t; ++p) {
    positions.q_pos0 = p;
    steps.push_back(m->forward(ids.narrow(1, p, 1), positions, cache.get(), LogitsMode::kAllPositions));
  }
  return {at::cat(steps, 1).to(at::kCPU, at::kDouble), m->last_kernels().linear};
}

TEST(LlamaDecodeGpu, GemvFusionsErrAtMostLikeAten) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device: the Llama decode GEMV is not tested here";
  c10::InferenceMode guard;
  const c10::Device cuda(c10::kCUDA, 0);
  for (const char* name : {"llama-tiny", "mistral-tiny"}) {
    const auto config = *gptbench::model::find_named_llama_config(name);
    const Model reference = gptbench::model::init_model(config, 5);  // fp32
    reference->to(cuda);
    reference->eval();
    const Model model = gptbench::model::init_model(config, 5);
    model->to(cuda, at::kHalf);
    model->eval();
    const int64_t b = 3, t = 24, prefill = 16;
    const at::Tensor ids = at::randint(config.vocab_size, {b, t}, at::TensorOptions().dtype(at::kLong).device(cuda));

    const Steps ref = decode_steps(reference, ids, prefill);
    const Steps fused = decode_steps(model, ids, prefill);
    model->set_gemv_max_rows(0);
    const Steps aten = decode_steps(model, ids, prefill);
    model->set_gemv_max_rows(gptbench::kernels::kGemvDefaultMaxRows);

    EXPECT_EQ(fused.linear, test_support::gemv_name("gemv_fp16_rows3")) << name;
    EXPECT_EQ(aten.linear, "aten") << name;
    const double err_fused = (fused.logits - ref.logits).abs().max().item<double>();
    const double err_aten = (aten.logits - ref.logits).abs().max().item<double>();
    const double floor = std::ldexp(ref.logits.abs().max().item<double>(), -12);
    EXPECT_LE(err_fused, 2 * err_aten + floor) << name << ": fused " << err_fused << ", aten " << err_aten;
    // The comparison can fail: the fp16 model's own error is far below what a missing norm gain gives.
    EXPECT_LT(err_aten, 0.05 * ref.logits.abs().max().item<double>()) << name;
    std::printf("[ llama ] %s: %lld decode steps x %lld rows, max |logit - fp32| fused %.3e, aten %.3e (%s)\n", name,
                static_cast<long long>(t - prefill), static_cast<long long>(b), err_fused, err_aten,
                fused.linear.c_str());
  }
}

}  // namespace
