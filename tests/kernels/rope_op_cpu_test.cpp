// RoPE (gptbench/kernels/rope_op.h) on the CPU against an fp64 transcription of transformers'
// LlamaRotaryEmbedding + apply_rotary_pos_emb (rotate_half convention; angle = position * inv_freq
// rounded to fp32 as transformers computes it, cos and sin in fp64 here), for head dims 8..128,
// positions up to 2^17, rope_theta 10^4 and 5*10^5, fp32/fp16/bf16; the split of a fused qkv
// projection with Hkv in {H, H/4, 1}; the decode store into a KV cache; argument errors.
#include <ATen/ATen.h>    // at::randn, at::tensor, at::full
#include <gtest/gtest.h>  // TEST, EXPECT_*

#include <cmath>    // std::cos, std::sin, std::pow
#include <cstdint>  // int64_t
#include <limits>   // std::numeric_limits
#include <string>   // std::string
#include <vector>   // std::vector

#include "gptbench/kernels/rope_op.h"  // rope, rope_split_qkv, rope_split_qkv_into_cache
#include "gptbench/util/error.h"       // gptbench::Error

namespace gptbench::kernels {
namespace {

// Llama's default inv_freq: theta^(-2i/D), i < D/2, in fp32.
at::Tensor default_inv_freq(int64_t head_dim, double theta) {
  std::vector<float> f(head_dim / 2);
  for (int64_t i = 0; i < head_dim / 2; ++i) f[i] = static_cast<float>(std::pow(theta, -2.0 * i / head_dim));
  return at::tensor(f);
}

// transformers: emb = cat(freqs, freqs); out = x * cos(emb) + rotate_half(x) * sin(emb), with
// freqs = position * inv_freq in fp32 and rotate_half(x) = cat(-x[D/2:], x[:D/2]). Loops in fp64.
at::Tensor transcription(const at::Tensor& x, const at::Tensor& inv_freq, int64_t pos0) {
  const at::Tensor xd = x.to(at::kDouble).contiguous();
  at::Tensor out = at::empty_like(xd);
  auto xa = xd.accessor<double, 4>();
  auto oa = out.accessor<double, 4>();
  auto fa = inv_freq.accessor<float, 1>();
  const int64_t half = x.size(3) / 2;
  for (int64_t b = 0; b < x.size(0); ++b)
    for (int64_t h = 0; h < x.size(1); ++h)
      for (int64_t t = 0; t < x.size(2); ++t)
        for (int64_t d = 0; d < x.size(3); ++d) {
          const int64_t i = d % half;
          const double angle = static_cast<double>(static_cast<float>(pos0 + t) * fa[i]);  // fp32 product
          const double rotated = d < half ? -xa[b][h][t][d + half] : xa[b][h][t][d - half];
          oa[b][h][t][d] = xa[b][h][t][d] * std::cos(angle) + rotated * std::sin(angle);
        }
  return out;
}

double max_err(const at::Tensor& got, const at::Tensor& want) {
  return (got.to(at::kDouble) - want).abs().max().item<double>();
}

// One rounding to dtype of values below 4, plus fp32 arithmetic.
double tolerance(at::ScalarType dtype) {
  return dtype == at::kHalf ? 2e-3 : dtype == at::kBFloat16 ? 1.6e-2 : 5e-6;
}

TEST(RopeCpu, MatchesTransformersTranscription) {
  for (at::ScalarType dtype : {at::kFloat, at::kHalf, at::kBFloat16}) {
    for (int64_t d : {8, 64, 128}) {
      for (double theta : {1e4, 5e5}) {
        for (int64_t pos0 : {int64_t{0}, int64_t{5}, int64_t{4090}, int64_t{1} << 17}) {
          const at::Tensor x = at::randn({2, 3, 7, d}).to(dtype);
          const at::Tensor inv_freq = default_inv_freq(d, theta);
          const at::Tensor got = rope(x, inv_freq, pos0);
          EXPECT_EQ(got.scalar_type(), dtype);
          EXPECT_EQ(got.sizes(), x.sizes());
          EXPECT_LT(max_err(got, transcription(x, inv_freq, pos0)), tolerance(dtype))
              << c10::toString(dtype) << " D=" << d << " theta=" << theta << " pos0=" << pos0;
        }
      }
    }
  }
}

// The rule has teeth: the interleaved (GPT-J) pairing, or positions off by one, fail it.
TEST(RopeCpu, TranscriptionCatchesWrongConventions) {
  const at::Tensor x = at::randn({1, 2, 5, 16});
  const at::Tensor inv_freq = default_inv_freq(16, 1e4);
  EXPECT_GT(max_err(rope(x, inv_freq, 3), transcription(x, inv_freq, 4)), 1e-2);
  const at::Tensor interleaved = x.view({1, 2, 5, 8, 2}).transpose(3, 4).reshape({1, 2, 5, 16});
  EXPECT_GT(max_err(rope(interleaved, inv_freq, 3), transcription(x, inv_freq, 3)), 1e-2);
}

TEST(RopeCpu, SplitQkvRotatesQueriesAndKeysOnly) {
  const int64_t B = 2, T = 6, H = 8, D = 32, pos0 = 11;
  const at::Tensor inv_freq = default_inv_freq(D, 1e4);
  for (int64_t kv_heads : {8, 2, 1}) {
    const at::Tensor qkv = at::randn({B, T, (H + 2 * kv_heads) * D});
    const RotatedQkv r = rope_split_qkv(qkv, inv_freq, H, kv_heads, pos0);
    const at::Tensor heads = qkv.view({B, T, H + 2 * kv_heads, D}).transpose(1, 2);
    ASSERT_EQ(r.q.sizes(), (at::IntArrayRef{B, H, T, D}));
    ASSERT_EQ(r.k.sizes(), (at::IntArrayRef{B, kv_heads, T, D}));
    ASSERT_EQ(r.v.sizes(), (at::IntArrayRef{B, kv_heads, T, D}));
    EXPECT_LT(max_err(r.q, transcription(heads.narrow(1, 0, H), inv_freq, pos0)), 5e-6) << kv_heads;
    EXPECT_LT(max_err(r.k, transcription(heads.narrow(1, H, kv_heads), inv_freq, pos0)), 5e-6) << kv_heads;
    EXPECT_TRUE(at::equal(r.v, heads.narrow(1, H + kv_heads, kv_heads))) << kv_heads;
  }
}

TEST(RopeCpu, IntoCacheStoresTheRotatedStepAtTheDevicePosition) {
  const int64_t B = 3, H = 8, Hkv = 2, D = 16, capacity = 10;
  const at::Tensor inv_freq = default_inv_freq(D, 1e4);
  for (int64_t pos : {0, 4, 9}) {
    const at::Tensor qkv = at::randn({B, 1, (H + 2 * Hkv) * D});
    at::Tensor cache = at::full({2, B, Hkv, capacity, D}, std::numeric_limits<float>::quiet_NaN());
    const at::Tensor q = rope_split_qkv_into_cache(qkv, inv_freq, H, Hkv, at::full({1}, pos, at::kLong), cache);
    const RotatedQkv want = rope_split_qkv(qkv, inv_freq, H, Hkv, pos);
    EXPECT_TRUE(at::equal(q, want.q)) << pos;
    EXPECT_TRUE(at::equal(cache.select(0, 0).narrow(2, pos, 1), want.k)) << pos;
    EXPECT_TRUE(at::equal(cache.select(0, 1).narrow(2, pos, 1), want.v)) << pos;
    // Every other slot is untouched (still NaN).
    EXPECT_EQ(at::isnan(cache).sum().item<int64_t>(), 2 * B * Hkv * (capacity - 1) * D) << pos;
  }
}

TEST(RopeCpu, RejectsBadArgumentsNamingThem) {
  auto message_of = [](auto&& fn) -> std::string {
    try {
      fn();
    } catch (const gptbench::Error& e) {
      return e.what();
    }
    return "no gptbench::Error thrown";
  };
  const at::Tensor inv8 = default_inv_freq(8, 1e4);
  EXPECT_NE(message_of([&] { rope(at::randn({2, 3, 4, 7}), inv8, 0); }).find("even"), std::string::npos);
  EXPECT_NE(message_of([&] { rope(at::randn({2, 3, 4}), inv8, 0); }).find("4-D"), std::string::npos);
  EXPECT_NE(message_of([&] { rope(at::randn({2, 3, 4, 16}), inv8, 0); }).find("inv_freq must be (D/2,) = (8)"),
            std::string::npos);
  EXPECT_NE(message_of([&] { rope(at::randn({2, 3, 4, 8}), inv8.to(at::kDouble), 0); }).find("fp32"),
            std::string::npos);
  const at::Tensor qkv = at::randn({2, 1, 12 * 8});  // (H + 2 Hkv) D with H 8, Hkv 2, D 8
  EXPECT_NO_THROW(rope_split_qkv(qkv, inv8, 8, 2, 0));
  EXPECT_NE(message_of([&] { rope_split_qkv(qkv, inv8, 7, 2, 0); }).find("multiple"), std::string::npos);
  EXPECT_NE(message_of([&] { rope_split_qkv(qkv, inv8, 5, 1, 0); }).find("not (H + 2 Hkv) * D"), std::string::npos);
  at::Tensor cache = at::zeros({2, 2, 2, 5, 8});
  const at::Tensor pos = at::full({1}, 2, at::kLong);
  EXPECT_NO_THROW(rope_split_qkv_into_cache(qkv, inv8, 8, 2, pos, cache));
  EXPECT_NE(message_of([&] { rope_split_qkv_into_cache(at::randn({2, 2, 96}), inv8, 8, 2, pos, cache); }).find("T == 1"),
            std::string::npos);
  EXPECT_NE(message_of([&] { rope_split_qkv_into_cache(qkv, inv8, 8, 2, pos.to(at::kInt), cache); }).find("q_pos"),
            std::string::npos);
  EXPECT_NE(message_of([&] { rope_split_qkv_into_cache(qkv, inv8, 8, 2, at::full({1}, 5, at::kLong), cache); })
                .find("outside the cache's 5 slots"),
            std::string::npos);
  at::Tensor small = at::zeros({2, 2, 1, 5, 8});
  EXPECT_NE(message_of([&] { rope_split_qkv_into_cache(qkv, inv8, 8, 2, pos, small); }).find("kv_buffer"),
            std::string::npos);
}

}  // namespace
}  // namespace gptbench::kernels
