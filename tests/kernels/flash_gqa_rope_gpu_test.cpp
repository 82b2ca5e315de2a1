// Our CUDA flash kernels with grouped-query attention (G = H / Hkv in {1, 4, 8}) and RoPE applied
// by the fused pre-kernel (rope_split_qkv, rope_split_qkv_into_cache), D 64 and 128, fp16/bf16,
// causal/ALiBi/window, left padding, prefill and decode (split-KV, with the decode step's key and
// value stored into the cache by the RoPE kernel), against a reference computed in fp64 (fp32 RoPE
// angles, as transformers) on the unrounded projection. The rule of flash_attention_gpu_test:
// our max error <= 2x that of SDPA in the same dtype (RoPE by ATen in that dtype, K/V repeated per
// group) + a quarter ulp at 1.0. Padding queries must be exactly 0. Skips without a CUDA device.
#include <ATen/ATen.h>          // at::randn, at::scaled_dot_product_attention, at::repeat_interleave
#include <ATen/Context.h>       // at::hasCUDA
#include <gtest/gtest.h>        // TEST, EXPECT_*

#include <cmath>    // std::sqrt, std::ldexp, std::pow
#include <cstdint>  // int64_t
#include <limits>   // std::numeric_limits
#include <string>   // std::string
#include <vector>   // std::vector

#include "attention_test_support.h"         // Policy, test_alibi_slopes
#include "flash_arch_test_support.h"        // prefill_archs_on_this_device, prefill_kernel_is
#include "gptbench/kernels/attention_op.h"  // attention_op, attention_reference
#include "gptbench/kernels/rope_op.h"       // rope_split_qkv, rope_split_qkv_into_cache, rope_reference

namespace gptbench::kernels {
namespace {

using testing::Policy;

struct GqaCase {
  int64_t batch = 2, heads = 8, kv_heads = 8, len = 64, head_dim = 64;
  at::ScalarType dtype = at::kHalf;
  Policy policy = Policy::kCausal;
  int64_t window = 0;
  bool rope = false, decode = false;
  double rope_theta = 1e4;
  FlashArch arch = FlashArch::kAuto;  // the prefill kernel asked for (decode has one kernel)
};

std::string describe(const GqaCase& c) {
  return std::string(c.decode ? "decode" : "prefill") + " B=" + std::to_string(c.batch) + " H=" +
         std::to_string(c.heads) + " Hkv=" + std::to_string(c.kv_heads) + " T=" + std::to_string(c.len) +
         " D=" + std::to_string(c.head_dim) + " " + c10::toString(c.dtype) + " " + testing::policy_label(c.policy) +
         " W=" + std::to_string(c.window) + (c.rope ? " rope" : "") + " arch=" + testing::arch_label(c.arch);
}

at::Tensor inv_freq_of(int64_t head_dim, double theta) {
  std::vector<float> f(head_dim / 2);
  for (int64_t i = 0; i < head_dim / 2; ++i) f[i] = static_cast<float>(std::pow(theta, -2.0 * i / head_dim));
  return at::tensor(f).to(at::kCUDA);
}

struct Heads {
  at::Tensor q, k, v;  // (B, H, T, D), (B, Hkv, T, D)
};

Heads split(const at::Tensor& qkv, const GqaCase& c) {
  const at::Tensor h = qkv.view({c.batch, c.len, c.heads + 2 * c.kv_heads, c.head_dim}).transpose(1, 2);
  return {h.narrow(1, 0, c.heads), h.narrow(1, c.heads, c.kv_heads), h.narrow(1, c.heads + c.kv_heads, c.kv_heads)};
}

// q and k rotated by rope_reference (fp32 math, x's dtype out) at positions 0..T-1.
Heads rotated(Heads x, const at::Tensor& inv_freq, int64_t len) {
  const at::Tensor positions = at::arange(len, x.q.options().dtype(at::kLong));
  x.q = rope_reference(x.q, inv_freq, positions);
  x.k = rope_reference(x.k, inv_freq, positions);
  return x;
}

// Our path: the fused RoPE kernel (or plain views), then the flash kernel. Returns (B, H, Tq, D).
at::Tensor ours(const GqaCase& c, const at::Tensor& qkv, const at::Tensor& inv_freq, const at::Tensor& ks,
                AttentionOptions opt, std::string* kernel) {
  const int64_t T = c.len;
  if (!c.decode) {
    Heads h = split(qkv, c);
    if (c.rope) {
      const RotatedQkv r = rope_split_qkv(qkv, inv_freq, c.heads, c.kv_heads, 0);
      h = {r.q, r.k, r.v};
    }
    return attention_op(h.q, h.k, h.v, ks, opt, kernel);
  }
  // Decode: a cache of T slots holds the prefix (rotated at its positions), the step writes slot T - 1.
  at::Tensor cache = at::full({2, c.batch, c.kv_heads, T, c.head_dim}, std::numeric_limits<float>::quiet_NaN(),
                              qkv.options());
  const at::Tensor step = qkv.narrow(1, T - 1, 1);
  at::Tensor q;
  if (c.rope) {
    if (T > 1) {
      const RotatedQkv prefix = rope_split_qkv(qkv.narrow(1, 0, T - 1), inv_freq, c.heads, c.kv_heads, 0);
      cache.select(0, 0).narrow(2, 0, T - 1).copy_(prefix.k);
      cache.select(0, 1).narrow(2, 0, T - 1).copy_(prefix.v);
    }
    q = rope_split_qkv_into_cache(step, inv_freq, c.heads, c.kv_heads,
                                  at::full({1}, T - 1, qkv.options().dtype(at::kLong)), cache);
  } else {
    const Heads h = split(qkv, c);
    cache.select(0, 0).copy_(h.k);
    cache.select(0, 1).copy_(h.v);
    q = h.q.narrow(2, T - 1, 1);
  }
  opt.q_pos0 = T - 1;
  return attention_op(q, cache.select(0, 0), cache.select(0, 1), ks, opt, kernel);
}

void expect_ok(const GqaCase& c) {
  const auto cuda = at::TensorOptions().device(at::kCUDA);
  const int64_t B = c.batch, H = c.heads, T = c.len, D = c.head_dim, G = c.heads / c.kv_heads;
  const int64_t tq = c.decode ? 1 : T, q_pos0 = T - tq;
  std::vector<int32_t> starts(B, 0);
  for (int64_t b = 1; b < B; ++b) starts[b] = static_cast<int32_t>((T * b) / (2 * B));  // left padding
  const at::Tensor ks = at::tensor(starts, at::kInt).to(at::kCUDA);
  const at::Tensor raw = at::randn({B, T, (H + 2 * c.kv_heads) * D}, cuda.dtype(at::kFloat));
  const at::Tensor qkv = raw.to(c.dtype);
  const at::Tensor inv_freq = inv_freq_of(D, c.rope_theta);
  const double scale = 1.0 / std::sqrt(static_cast<double>(D));
  const at::Tensor slopes = at::tensor(testing::test_alibi_slopes(H)).to(at::kCUDA);

  AttentionOptions opt;
  opt.q_pos0 = q_pos0;
  opt.scale = scale;
  if (testing::policy_alibi(c.policy)) opt.alibi_slopes = slopes;
  opt.window = testing::policy_window(c.policy) ? c.window : 0;
  opt.flash_arch = c.arch;

  std::string kernel;
  const at::Tensor got = ours(c, qkv, inv_freq, ks, opt, &kernel);
  const std::string what = describe(c) + " kernel=" + kernel;
  if (!c.decode) {
    EXPECT_TRUE(testing::prefill_kernel_is(kernel, c.arch)) << what << ": another kernel ran";
  }
  if (G > 1) {
    EXPECT_NE(kernel.find("_gqa" + std::to_string(G)), std::string::npos) << what;
  }

  // Reference: fp64 attention over the dtype-rounded projection, RoPE in fp32 math kept unrounded.
  Heads ref_in = split(qkv.to(at::kDouble), c);
  if (c.rope) ref_in = rotated(ref_in, inv_freq, T);
  const at::Tensor ref = attention_reference(ref_in.q.narrow(2, q_pos0, tq), ref_in.k, ref_in.v, ks, {}, q_pos0,
                                             opt.alibi_slopes, opt.window, 0, scale);

  // SDPA in the dtype: RoPE by ATen rounded to the dtype, K/V repeated per group, an explicit mask.
  Heads s_in = split(qkv, c);
  if (c.rope) s_in = rotated(s_in, inv_freq, T);
  const at::Tensor qpos = (at::arange(tq, cuda.dtype(at::kLong)) + q_pos0).view({1, 1, tq, 1});
  const at::Tensor kpos = at::arange(T, cuda.dtype(at::kLong)).view({1, 1, 1, T});
  const at::Tensor start = ks.to(at::kLong).view({B, 1, 1, 1});
  at::Tensor visible = (kpos >= start) & (kpos <= qpos);
  if (opt.window > 0) visible = visible & ((qpos - kpos) < opt.window);
  at::Tensor mask = visible;
  if (testing::policy_alibi(c.policy)) {
    const at::Tensor bias = -slopes.view({1, H, 1, 1}) * (qpos - kpos).to(at::kFloat);
    mask = at::where(visible, bias, at::full({}, -std::numeric_limits<float>::infinity(), cuda.dtype(at::kFloat)))
               .to(c.dtype);
  }
  const at::Tensor sdpa = at::scaled_dot_product_attention(
      s_in.q.narrow(2, q_pos0, tq), at::repeat_interleave(s_in.k, G, 1), at::repeat_interleave(s_in.v, G, 1), mask,
      0.0, false, scale);

  const at::Tensor live = visible.any(-1, /*keepdim=*/true);
  auto max_err = [&](const at::Tensor& x) {
    const at::Tensor diff = (x.to(at::kDouble) - ref).abs();
    return at::where(live, diff, at::zeros({}, diff.options())).max().item<double>();
  };
  const double e_ours = max_err(got), e_sdpa = max_err(sdpa);
  const double floor = 0.25 * (c.dtype == at::kHalf ? std::ldexp(1.0, -10) : std::ldexp(1.0, -7));
  EXPECT_TRUE(at::isfinite(got).all().item<bool>()) << what;
  EXPECT_TRUE(at::where(live, at::zeros({}, got.options()), got).eq(0).all().item<bool>())
      << what << ": a query with no visible key is not exactly 0";
  EXPECT_LE(e_ours, 2.0 * e_sdpa + floor) << what << ": max abs err " << e_ours << " vs SDPA " << e_sdpa;
}

#define SKIP_WITHOUT_CUDA()                                                          \
  do {                                                                               \
    if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device: the flash kernels need one"; \
  } while (0)

void run_grid(bool decode) {
  const std::vector<int64_t> lens = decode ? std::vector<int64_t>{1, 700, 5000} : std::vector<int64_t>{17, 300, 1000};
  const std::vector<FlashArch> archs = decode ? std::vector<FlashArch>{FlashArch::kAuto} : testing::prefill_archs_on_this_device();
  for (FlashArch arch : archs)
  for (at::ScalarType dt : {at::kHalf, at::kBFloat16}) {
    for (int64_t d : {64, 128}) {
      for (int64_t kv_heads : {8, 2, 1}) {  // G = 1, 4, 8 with H = 8
        for (bool rope : {false, true}) {
          for (Policy policy : {Policy::kCausal, Policy::kAlibi, Policy::kWindow}) {
            for (int64_t len : lens) {
              GqaCase c;
              c.kv_heads = kv_heads;
              c.len = len;
              c.head_dim = d;
              c.dtype = dt;
              c.policy = policy;
              c.window = 37;
              c.rope = rope;
              c.decode = decode;
              c.arch = arch;
              expect_ok(c);
            }
          }
        }
      }
    }
  }
}

TEST(FlashGqaRopeGpu, PrefillGrid) {
  SKIP_WITHOUT_CUDA();
  run_grid(false);
}

TEST(FlashGqaRopeGpu, DecodeGrid) {
  SKIP_WITHOUT_CUDA();
  run_grid(true);
}

// Llama/Mistral shapes: H 32 over Hkv 8 (G 4) and 4 (G 8), D 128, rope_theta 10^6, long contexts.
TEST(FlashGqaRopeGpu, MistralShapes) {
  SKIP_WITHOUT_CUDA();
  for (int64_t kv_heads : {8, 4}) {
    for (bool decode : {false, true}) {
     for (FlashArch arch : decode ? std::vector<FlashArch>{FlashArch::kAuto} : testing::prefill_archs_on_this_device()) {
      GqaCase c;
      c.arch = arch;
      c.heads = 32;
      c.kv_heads = kv_heads;
      c.head_dim = 128;
      c.dtype = at::kBFloat16;
      c.rope = true;
      c.rope_theta = 1e6;
      c.decode = decode;
      c.len = decode ? 8192 : 2048;
      expect_ok(c);
     }
    }
  }
}

// The rule has teeth: RoPE at positions off by one (the decode step rotated at T instead of T - 1)
// must fail it.
TEST(FlashGqaRopeGpu, ComparisonRuleCatchesAWrongPosition) {
  SKIP_WITHOUT_CUDA();
  GqaCase c;
  c.kv_heads = 2;
  c.rope = true;
  c.len = 300;
  const at::Tensor qkv = at::randn({c.batch, c.len, (c.heads + 2 * c.kv_heads) * c.head_dim},
                                   at::TensorOptions().device(at::kCUDA).dtype(at::kFloat)).to(c.dtype);
  const at::Tensor inv_freq = inv_freq_of(c.head_dim, c.rope_theta);
  const RotatedQkv right = rope_split_qkv(qkv, inv_freq, c.heads, c.kv_heads, 0);
  const RotatedQkv shifted = rope_split_qkv(qkv, inv_freq, c.heads, c.kv_heads, 1);
  EXPECT_TRUE(at::equal(right.v, shifted.v));
  // q and k shifted together keep every score (RoPE is relative); q alone shifted does not.
  const at::Tensor ks = at::zeros({c.batch}, at::TensorOptions().device(at::kCUDA).dtype(at::kInt));
  const at::Tensor a = attention_op(right.q, right.k, right.v, ks).to(at::kFloat);
  const at::Tensor b = attention_op(shifted.q, shifted.k, shifted.v, ks).to(at::kFloat);
  const at::Tensor wrong = attention_op(shifted.q, right.k, right.v, ks).to(at::kFloat);
  EXPECT_LT((a - b).abs().max().item<double>(), 2e-2);
  EXPECT_GT((a - wrong).abs().max().item<double>(), 5e-2);
}

}  // namespace
}  // namespace gptbench::kernels
