// The learned and linear variants (maskmix, performer) against slow fp64 loops written from their
// definitions (docs/variants.md): prefill with left padding, step-by-step decode equal to prefill's
// rows, maskmix's start equal to standard attention bit for bit, FAVOR+'s features orthogonal and
// its error against exact softmax attention shrinking as the feature count grows, and the names.
#include <ATen/TensorOperators.h>  // Tensor operators
#include <ATen/ops/diag.h>         // at::diag
#include <ATen/ops/equal.h>        // at::equal
#include <ATen/ops/matmul.h>       // at::matmul
#include <ATen/ops/ones.h>         // at::ones
#include <ATen/ops/randn.h>        // at::randn
#include <ATen/ops/softmax.h>      // at::softmax
#include <ATen/ops/zeros.h>        // at::zeros
#include <c10/core/GradMode.h>     // c10::AutoGradMode
#include <gtest/gtest.h>           // TEST, EXPECT_*

#include <cmath>       // std::exp, std::log, std::sqrt, std::pow, INFINITY
#include <cstdio>      // std::printf
#include <functional>  // std::function
#include <memory>      // std::unique_ptr
#include <string>      // std::string
#include <vector>      // std::vector

#include "gptbench/attention/attention.h"  // make_attention, AttentionImpl
#include "gptbench/attention/performer.h"  // orthogonal_random_features, favor_causal, empty_recurrent_state
#include "gptbench/attention/variant.h"    // parse_variant, variant_name, list_variants
#include "gptbench/util/error.h"           // UsageError
#include "learned_test_support.h"           // left_padded_positions

using namespace gptbench::attention;
using gptbench::UsageError;

namespace {

constexpr int64_t kB = 2, kH = 3, kD = 8;
const std::vector<int64_t> kKeyStart = {0, 3};  // row 1 is left-padded by 3

AttentionPositions positions_at(int64_t q_pos0) { return gptbench::testing::left_padded_positions(kKeyStart, q_pos0); }

// The fp64 loop: out[b][h][i] = sum_j weight(b, h, i, j) v_j / sum_j weight(b, h, i, j) over the real
// keys j <= i (j >= key_start[b]); a padding query (i < key_start[b]) outputs 0.
using PairWeight = std::function<double(int64_t b, int64_t h, int64_t i, int64_t j)>;
at::Tensor weighted_average(const at::Tensor& v, const PairWeight& weight) {
  const int64_t t = v.size(2);
  at::Tensor out = at::zeros(v.sizes(), at::kDouble);
  const at::Tensor vd = v.to(at::kDouble);
  auto va = vd.accessor<double, 4>();
  auto oa = out.accessor<double, 4>();
  for (int64_t b = 0; b < v.size(0); ++b)
    for (int64_t h = 0; h < v.size(1); ++h)
      for (int64_t i = kKeyStart[b]; i < t; ++i) {
        double total = 0;
        std::vector<double> acc(v.size(3), 0.0);
        for (int64_t j = kKeyStart[b]; j <= i; ++j) {
          const double w = weight(b, h, i, j);
          total += w;
          for (int64_t x = 0; x < v.size(3); ++x) acc[x] += w * va[b][h][j][x];
        }
        for (int64_t x = 0; x < v.size(3); ++x) oa[b][h][i][x] = acc[x] / total;
      }
  return out;
}

double dot64(const at::Tensor& a, const at::Tensor& b) { return (a.to(at::kDouble) * b.to(at::kDouble)).sum().item<double>(); }

// Exact softmax attention times exp(log_bias): weight = exp(q.k / sqrt(D) + log_bias(h, i - j)).
at::Tensor softmax_reference(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                             const std::function<double(int64_t h, int64_t distance)>& log_bias) {
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(3)));
  return weighted_average(v, [&](int64_t b, int64_t h, int64_t i, int64_t j) {
    return std::exp(dot64(q[b][h][i], k[b][h][j]) * scale + log_bias(h, i - j));
  });
}

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// maskmix's bias by its definition: log(sum_w sigmoid(theta[h, w]) [distance < win_w]).
double maskmix_log_bias(const at::Tensor& logits, const std::vector<int64_t>& windows, int64_t h, int64_t distance) {
  double mixture = 0;
  for (size_t w = 0; w < windows.size(); ++w)
    if (windows[w] == kMaskMixAll || distance < windows[w])
      mixture += sigmoid(logits[h][static_cast<int64_t>(w)].item<double>());
  return std::log(mixture);
}

struct MaskMix {
  AttentionSpec spec;
  std::unique_ptr<AttentionImpl> impl;
  at::Tensor logits;  // (H, windows)
};
MaskMix make_maskmix(const std::string& windows) {
  VariantFlags flags;
  flags.maskmix_windows = windows;
  MaskMix m{parse_variant("maskmix", flags), nullptr, {}};
  m.impl = make_attention(m.spec);
  auto params = m.impl->make_layer_parameters(kH, kD);
  EXPECT_EQ(params.size(), 1u);
  EXPECT_EQ(params[0].first, "maskmix_logits");
  m.logits = params[0].second;
  return m;
}

// Rows of `out` at the real queries, for comparisons (padding rows are 0 in both by definition).
double max_diff(const at::Tensor& a, const at::Tensor& b) {
  return (a.to(at::kDouble) - b.to(at::kDouble)).abs().max().item<double>();
}

}  // namespace

TEST(MaskMix, StartsAsStandardAttentionBitForBit) {
  const MaskMix m = make_maskmix("1,4,16,64,256,all");
  EXPECT_EQ(m.logits.sizes(), (std::vector<int64_t>{kH, 6}));
  const auto standard = make_attention(parse_variant("standard"));
  const int64_t t = 21;
  const at::Tensor q = at::randn({kB, kH, t, kD}), k = at::randn({kB, kH, t, kD}), v = at::randn({kB, kH, t, kD});
  EXPECT_TRUE(at::equal(m.impl->forward(q, k, v, positions_at(0), {}), standard->forward(q, k, v, positions_at(0), {})));
}

TEST(MaskMix, PrefillAndDecodeMatchTheFp64Definition) {
  const std::vector<int64_t> windows = {1, 3, 8, kMaskMixAll};
  MaskMix m = make_maskmix("1,3,8,all");
  {
    c10::AutoGradMode no_grad(false);
    m.logits.copy_(at::randn({kH, 4}) * 2.0);  // a trained-looking mixture
  }
  const int64_t t = 13;
  const at::Tensor q = at::randn({kB, kH, t, kD}), k = at::randn({kB, kH, t, kD}), v = at::randn({kB, kH, t, kD});
  const at::Tensor expected =
      softmax_reference(q, k, v, [&](int64_t h, int64_t d) { return maskmix_log_bias(m.logits, windows, h, d); });
  c10::AutoGradMode no_grad(false);
  const at::Tensor prefill = m.impl->forward(q, k, v, positions_at(0), {});
  EXPECT_LT(max_diff(prefill, expected), 1e-5);
  for (int64_t i = 0; i < t; ++i) {  // decode: one query over the keys so far (a dense KV cache's view)
    const at::Tensor step = m.impl->forward(q.narrow(2, i, 1), k.narrow(2, 0, i + 1), v.narrow(2, 0, i + 1),
                                            positions_at(i), {});
    EXPECT_LT(max_diff(step, prefill.narrow(2, i, 1)), 1e-6) << "step " << i;
  }
}

TEST(MaskMix, LogitsReceiveGradients) {
  MaskMix m = make_maskmix("2,all");
  m.logits.set_requires_grad(true);  // as the layer's register_parameter does
  {
    c10::AutoGradMode no_grad(false);
    m.logits.zero_();
  }
  const at::Tensor q = at::randn({kB, kH, 6, kD}), k = at::randn({kB, kH, 6, kD}), v = at::randn({kB, kH, 6, kD});
  (m.impl->forward(q, k, v, positions_at(0), {}) * v).sum().backward();
  ASSERT_TRUE(m.logits.grad().defined());
  EXPECT_GT(m.logits.grad().abs().sum().item<double>(), 0.0);
}

// phi by the paper's formula for every vector of x (B, H, T, D), in fp64 loops: [b][h][t][feature].
using Features = std::vector<std::vector<std::vector<std::vector<double>>>>;
Features phi(const at::Tensor& x, const at::Tensor& omega) {
  const int64_t m = omega.size(0), d = x.size(3);
  const double scale = 1.0 / std::pow(static_cast<double>(d), 0.25);
  auto xa = x.accessor<double, 4>();
  auto wa = omega.accessor<double, 2>();
  Features f(x.size(0), std::vector<std::vector<std::vector<double>>>(x.size(1), std::vector<std::vector<double>>(x.size(2))));
  for (int64_t b = 0; b < x.size(0); ++b)
    for (int64_t h = 0; h < x.size(1); ++h)
      for (int64_t t = 0; t < x.size(2); ++t) {
        double half_norm = 0;
        for (int64_t c = 0; c < d; ++c) half_norm += xa[b][h][t][c] * scale * xa[b][h][t][c] * scale / 2;
        for (int64_t r = 0; r < m; ++r) {
          double projection = 0;
          for (int64_t c = 0; c < d; ++c) projection += wa[r][c] * xa[b][h][t][c] * scale;
          f[b][h][t].push_back(std::exp(projection - half_norm) / std::sqrt(static_cast<double>(m)));
        }
      }
  return f;
}

// out(i) = sum_j phi(q_i).phi(k_j) v_j / sum_j phi(q_i).phi(k_j), causal, by the loop.
at::Tensor favor_reference(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& omega) {
  const Features fq = phi(q, omega), fk = phi(k, omega);
  return weighted_average(v, [&](int64_t b, int64_t h, int64_t i, int64_t j) {
    double s = 0;
    for (size_t r = 0; r < fq[b][h][i].size(); ++r) s += fq[b][h][i][r] * fk[b][h][j][r];
    return s;
  });
}

TEST(Performer, FeaturesAreOrthogonalBlocksWithChiNormsAndReproducible) {
  const at::Tensor omega = orthogonal_random_features(20, kD, 7);  // blocks of 8, 8, 4 rows
  EXPECT_EQ(omega.sizes(), (std::vector<int64_t>{20, kD}));
  for (int64_t r0 : {0, 8, 16}) {
    const at::Tensor block = omega.narrow(0, r0, r0 == 16 ? 4 : 8);
    const at::Tensor gram = at::matmul(block, block.t());
    EXPECT_LT((gram - at::diag(at::diag(gram))).abs().max().item<double>(), 1e-10) << r0;
  }
  EXPECT_TRUE(at::equal(omega, orthogonal_random_features(20, kD, 7)));
  EXPECT_FALSE(at::equal(omega, orthogonal_random_features(20, kD, 8)));
}

TEST(Performer, ChunkedPrefillAndStepwiseDecodeMatchTheFp64Definition) {
  const int64_t t = 150, m = 24;  // three chunks of 64, the last partial
  const at::Tensor q = at::randn({kB, kH, t, kD}, at::kDouble), k = at::randn({kB, kH, t, kD}, at::kDouble),
                   v = at::randn({kB, kH, t, kD}, at::kDouble);
  const at::Tensor omega = orthogonal_random_features(m, kD, 3);
  const at::Tensor expected = favor_reference(q, k, v, omega);
  VariantFlags flags;
  flags.features = m;
  flags.feature_seed = 3;
  const auto impl = make_attention(parse_variant("performer", flags));
  EXPECT_EQ(impl->last_kernel(), "performer_favor+_m24_chunk64");
  const at::Tensor prefill = impl->forward(q, k, v, positions_at(0), {});
  EXPECT_LT(max_diff(prefill, expected), 1e-10);
  // Decode from the state: a 70-token prefill, then one token at a time.
  RecurrentState state = empty_recurrent_state(kB, kH, m, kD, q);
  const at::Tensor head = impl->forward_recurrent(q.narrow(2, 0, 70), k.narrow(2, 0, 70), v.narrow(2, 0, 70),
                                                  positions_at(0), state);
  EXPECT_LT(max_diff(head, expected.narrow(2, 0, 70)), 1e-10);
  for (int64_t i = 70; i < t; ++i) {
    const at::Tensor step = impl->forward_recurrent(q.narrow(2, i, 1), k.narrow(2, i, 1), v.narrow(2, i, 1),
                                                    positions_at(i), state);
    EXPECT_LT(max_diff(step, expected.narrow(2, i, 1)), 1e-10) << "step " << i;
  }
  EXPECT_EQ(state.s.sizes(), (std::vector<int64_t>{kB, kH, m, kD}));  // constant in the context length
}

TEST(Performer, ErrorAgainstSoftmaxAttentionShrinksAsFeaturesGrow) {
  const int64_t t = 32, d = 16;
  const at::Tensor q = at::randn({1, 2, t, d}, at::kDouble) * 0.4, k = at::randn({1, 2, t, d}, at::kDouble) * 0.4,
                   v = at::randn({1, 2, t, d}, at::kDouble);
  AttentionPositions positions;
  positions.key_start = at::zeros({1}, at::kLong);
  const at::Tensor exact = at::softmax(
      (at::matmul(q, k.transpose(-2, -1)) / std::sqrt(double(d))).masked_fill(at::ones({t, t}, at::kBool).triu(1),
                                                                              -INFINITY),
      -1).matmul(v);
  std::vector<double> errors;
  for (int64_t m : {16, 64, 256, 1024}) {
    double total = 0;
    for (uint64_t seed = 0; seed < 6; ++seed) {
      RecurrentState state = empty_recurrent_state(1, 2, m, d, q);
      const at::Tensor approx = favor_causal(q, k, v, orthogonal_random_features(m, d, seed), positions, state, 64);
      total += ((approx - exact).norm() / exact.norm()).item<double>();
    }
    errors.push_back(total / 6);
    std::printf("performer m=%lld: mean relative error %.4f\n", static_cast<long long>(m), errors.back());
  }
  for (size_t i = 1; i < errors.size(); ++i) EXPECT_LT(errors[i], errors[i - 1]) << "m index " << i;
  EXPECT_LT(errors.back(), errors.front() / 4);  // ~1/sqrt(m): 8x from m = 16 to 1024, where the error is not yet saturated
}

TEST(LearnedVariants, NamesParseAloneAndRefuseCompositionAndStrayFlags) {
  EXPECT_EQ(variant_name(parse_variant("maskmix")), "maskmix");
  EXPECT_EQ(parse_variant("maskmix").learned.maskmix_windows, kDefaultMaskMixWindows);
  EXPECT_EQ(parse_variant("performer").learned.features, kDefaultFeatures);
  EXPECT_EQ(variant_name(parse_variant("performer")), "performer");
  for (const char* bad : {"maskmix+flash", "sdpa+performer", "performer+sparse", "maskmix+alibi", "maskmix+performer"})
    EXPECT_THROW(parse_variant(bad), UsageError) << bad;
  VariantFlags windows;
  windows.maskmix_windows = "1,4";
  EXPECT_THROW(parse_variant("performer", windows), UsageError);
  EXPECT_EQ(parse_variant("maskmix", windows).learned.maskmix_windows, (std::vector<int64_t>{1, 4}));
  for (const char* bad : {"4,1", "1,all,8", "0,all", "x", "", "1,,all", "1,4,", "all,all"}) {
    windows.maskmix_windows = bad;
    EXPECT_THROW(parse_variant("maskmix", windows), UsageError) << bad;
  }
  VariantFlags features;
  features.features = 0;
  EXPECT_THROW(parse_variant("performer", features), UsageError);
  features.features = 64;
  EXPECT_THROW(parse_variant("maskmix", features), UsageError);
  int listed = 0;
  for (const auto& info : list_variants()) listed += info.name == "maskmix" || info.name == "performer";
  EXPECT_EQ(listed, 2);
}
