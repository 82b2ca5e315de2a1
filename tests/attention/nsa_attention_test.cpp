// `--variant nsa` against a slow fp64 loop written from the paper's equations (docs/variants.md):
// prefill with left padding and grouped-query heads, decode step by step from a growing cache equal
// to prefill's rows, selection of every block (g_slc = 1) or an unbounded window (g_win = 1) equal to
// dense causal attention, gradients reaching the compression and the gates, the start, and the names.
#include <ATen/TensorOperators.h>  // Tensor operators
#include <ATen/core/TensorAccessor.h>  // at::TensorAccessor
#include <ATen/ops/randn.h>        // at::randn
#include <ATen/ops/zeros.h>        // at::zeros
#include <c10/core/GradMode.h>     // c10::AutoGradMode
#include <gtest/gtest.h>           // TEST, EXPECT_*

#include <algorithm>  // std::min, std::max, std::stable_sort
#include <cmath>      // std::exp, std::sqrt
#include <map>        // std::map
#include <memory>     // std::unique_ptr
#include <string>     // std::string
#include <vector>     // std::vector

#include "gptbench/attention/attention.h"  // make_attention, make_reference_attention, AttentionImpl
#include "gptbench/attention/variant.h"    // parse_variant, variant_name, list_variants
#include "gptbench/util/error.h"           // UsageError
#include "learned_test_support.h"           // left_padded_positions, nsa_flags

using namespace gptbench::attention;
using gptbench::UsageError;

namespace {

constexpr int64_t kB = 2, kD = 8;
const std::vector<int64_t> kKeyStart = {0, 5};  // row 1 is left-padded by 5

AttentionPositions positions_at(int64_t q_pos0) { return gptbench::testing::left_padded_positions(kKeyStart, q_pos0); }

// Small sizes that make every branch and rule matter at T ~ 70: 16 compressed blocks of 8 at
// stride 4, 9 selection blocks of 8 of which 4 are taken, a window of 10.
VariantFlags small_sizes() { return gptbench::testing::nsa_flags(8, 4, 8, 4, 10); }

struct Nsa {
  AttentionSpec spec;
  std::unique_ptr<AttentionImpl> impl;
  std::map<std::string, at::Tensor> params;  // the layer's parameters (shared with impl)
};

Nsa make_nsa(const VariantFlags& flags, int64_t heads) {
  Nsa n{parse_variant("nsa", flags), nullptr, {}};
  n.impl = make_attention(n.spec);
  for (auto& [name, tensor] : n.impl->make_layer_parameters(heads, kD)) n.params[name] = tensor;
  return n;
}

// Trained-looking parameters: the compression and the gates away from their start.
void randomise(Nsa& n) {
  c10::AutoGradMode no_grad(false);
  for (auto& [name, p] : n.params) p.add_(at::randn(p.sizes()) * (name.find("weight") != std::string::npos ? 0.2 : 0.7));
}

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

using Acc4 = at::TensorAccessor<double, 4>;
using Vec = std::vector<double>;

// softmax_j(q.k_j / sqrt(D)) over the listed keys.
std::vector<double> softmax_weights(const Vec& q, const std::vector<Vec>& keys) {
  std::vector<double> s;
  double top = -1e300, total = 0;
  for (const Vec& key : keys) {
    double dot = 0;
    for (int64_t e = 0; e < kD; ++e) dot += q[e] * key[e];
    s.push_back(dot / std::sqrt(static_cast<double>(kD)));
    top = std::max(top, s.back());
  }
  for (double& x : s) total += (x = std::exp(x - top));
  for (double& x : s) x /= total;
  return s;
}

// The softmax-weighted values of the listed keys; 0 when none.
Vec attend(const Vec& q, const std::vector<Vec>& keys, const std::vector<Vec>& values) {
  Vec out(kD, 0.0);
  const std::vector<double> w = softmax_weights(q, keys);
  for (size_t j = 0; j < keys.size(); ++j)
    for (int64_t e = 0; e < kD; ++e) out[e] += w[j] * values[j][e];
  return out;
}

Vec row(const Acc4& x, int64_t b, int64_t h, int64_t t) {
  Vec r(kD);
  for (int64_t e = 0; e < kD; ++e) r[e] = x[b][h][t][e];
  return r;
}

// phi(block) = W . vec(x[block] + P) for the l tokens of row b, head hk from absolute position `start`.
Vec compress(const Acc4& x, const at::Tensor& w, const at::Tensor& pos, int64_t b, int64_t hk, int64_t start,
             int64_t l) {
  auto wa = w.accessor<double, 2>();
  auto pa = pos.accessor<double, 2>();
  Vec out(kD, 0.0);
  for (int64_t c = 0; c < kD; ++c)
    for (int64_t r = 0; r < l; ++r)
      for (int64_t e = 0; e < kD; ++e) out[c] += wa[c][r * kD + e] * (x[b][hk][start + r][e] + pa[r][e]);
  return out;
}

// The paper's NSA for every query, in fp64 loops: q (B, H, T, D), k, v (B, Hkv, T, D) fp64, positions
// relative to each row's key_start; a padding query outputs 0.
at::Tensor nsa_reference(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const Nsa& n) {
  const NsaSizes s = n.spec.learned.nsa;
  const int64_t h_count = q.size(1), hkv = k.size(1), t_count = q.size(2), group = h_count / hkv;
  std::map<std::string, at::Tensor> p;
  for (const auto& [name, tensor] : n.params) p[name] = tensor.detach().to(at::kDouble).contiguous();
  auto qa = q.accessor<double, 4>(), ka = k.accessor<double, 4>(), va = v.accessor<double, 4>();
  auto gw = p["nsa_gate_weight"].accessor<double, 3>();
  auto gb = p["nsa_gate_bias"].accessor<double, 2>();
  at::Tensor out = at::zeros(q.sizes(), at::kDouble);
  auto oa = out.accessor<double, 4>();
  for (int64_t b = 0; b < q.size(0); ++b) {
    const int64_t ks = kKeyStart[b];
    for (int64_t hk = 0; hk < hkv; ++hk) {
      // Every compressed block of the row: block i holds relative positions i*d .. i*d + l - 1.
      std::vector<Vec> kc_all, vc_all;
      for (int64_t i = 0; ks + i * s.stride + s.block <= t_count; ++i) {
        kc_all.push_back(compress(ka, p["nsa_cmp_k_weight"], p["nsa_cmp_k_pos"], b, hk, ks + i * s.stride, s.block));
        vc_all.push_back(compress(va, p["nsa_cmp_v_weight"], p["nsa_cmp_v_pos"], b, hk, ks + i * s.stride, s.block));
      }
      for (int64_t t = ks; t < t_count; ++t) {
        const int64_t rel = t - ks;
        // The compressed blocks that end at or before the query.
        std::vector<Vec> kc, vc;
        for (size_t i = 0; i < kc_all.size() && static_cast<int64_t>(i) * s.stride + s.block - 1 <= rel; ++i) {
          kc.push_back(kc_all[i]);
          vc.push_back(vc_all[i]);
        }
        // Importance of each selection block, summed over the group's heads: p_cmp(i) |block_i ∩ sel_j| / l.
        const int64_t eligible = rel / s.select_block + 1;
        std::vector<double> importance(eligible, 0.0);
        for (int64_t g = 0; g < group; ++g) {
          const std::vector<double> p_cmp = softmax_weights(row(qa, b, hk * group + g, t), kc);
          for (size_t i = 0; i < kc.size(); ++i)
            for (int64_t j = 0; j < eligible; ++j) {
              const int64_t lo = std::max<int64_t>(static_cast<int64_t>(i) * s.stride, j * s.select_block);
              const int64_t hi = std::min<int64_t>(static_cast<int64_t>(i) * s.stride + s.block, (j + 1) * s.select_block);
              if (hi > lo) importance[j] += p_cmp[i] * static_cast<double>(hi - lo) / s.block;
            }
        }
        // The initial and the two local blocks first, then by importance; equal ones by index.
        const int64_t own = rel / s.select_block;
        std::vector<int64_t> order;
        for (int64_t j = 0; j < eligible; ++j) order.push_back(j);
        auto forced = [&](int64_t j) { return j == 0 || j == own || j == own - 1; };
        std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t c) {
          if (forced(a) != forced(c)) return forced(a);
          return !forced(a) && importance[a] > importance[c];
        });
        order.resize(std::min<int64_t>(s.topk, eligible));
        std::vector<Vec> ks_sel, vs_sel, ks_win, vs_win;
        for (int64_t j : order)
          for (int64_t r = j * s.select_block; r < (j + 1) * s.select_block && r <= rel; ++r) {
            ks_sel.push_back(row(ka, b, hk, ks + r));
            vs_sel.push_back(row(va, b, hk, ks + r));
          }
        for (int64_t r = std::max<int64_t>(0, rel - s.window + 1); r <= rel; ++r) {
          ks_win.push_back(row(ka, b, hk, ks + r));
          vs_win.push_back(row(va, b, hk, ks + r));
        }
        for (int64_t g = 0; g < group; ++g) {
          const int64_t h = hk * group + g;
          const Vec qh = row(qa, b, h, t);
          const Vec o[3] = {attend(qh, kc, vc), attend(qh, ks_sel, vs_sel), attend(qh, ks_win, vs_win)};
          for (int64_t c = 0; c < 3; ++c) {
            double z = gb[h][c];
            for (int64_t e = 0; e < kD; ++e) z += gw[h][c][e] * qh[e];
            for (int64_t e = 0; e < kD; ++e) oa[b][h][t][e] += sigmoid(z) * o[c][e];
          }
        }
      }
    }
  }
  return out;
}

double max_diff(const at::Tensor& a, const at::Tensor& b) {
  return (a.to(at::kDouble) - b.to(at::kDouble)).abs().max().item<double>();
}

}  // namespace

// The window branch runs the fp32 standard attention (the others compute in fp64 for fp64 inputs):
// 1e-5 is fp32's rounding on values of order 1, far below a wrong block or position (order 0.1).
constexpr double kFp32Branch = 1e-5;

TEST(Nsa, PrefillMatchesTheFp64DefinitionWithPaddingAndGroupedHeads) {
  const int64_t t = 70;
  for (int64_t hkv : {4, 2}) {  // multi-head, then two query heads per key/value head
    Nsa n = make_nsa(small_sizes(), 4);
    randomise(n);
    const at::Tensor q = at::randn({kB, 4, t, kD}, at::kDouble), k = at::randn({kB, hkv, t, kD}, at::kDouble),
                     v = at::randn({kB, hkv, t, kD}, at::kDouble);
    c10::AutoGradMode no_grad(false);
    const at::Tensor got = n.impl->forward(q, k, v, positions_at(0), {});
    EXPECT_LT(max_diff(got, nsa_reference(q, k, v, n)), kFp32Branch) << "Hkv " << hkv;
    EXPECT_EQ(n.impl->last_kernel(), "nsa_l8_d4_sel8_n4_w10:aten+standard");
  }
}

TEST(Nsa, DecodeFromAGrowingCacheEqualsPrefillRows) {
  const int64_t t = 60, t0 = 21, hkv = 2;
  Nsa n = make_nsa(small_sizes(), 4);
  randomise(n);
  const at::Tensor q = at::randn({kB, 4, t, kD}, at::kDouble), k = at::randn({kB, hkv, t, kD}, at::kDouble),
                   v = at::randn({kB, hkv, t, kD}, at::kDouble);
  c10::AutoGradMode no_grad(false);  // as generation runs: the compressed blocks are kept between calls
  const at::Tensor prefill = n.impl->forward(q, k, v, positions_at(0), {});
  // A cache buffer as DenseKvCache holds it: keys are written, then the queries read a prefix of it.
  at::Tensor kbuf = at::zeros({kB, hkv, t, kD}, at::kDouble), vbuf = at::zeros({kB, hkv, t, kD}, at::kDouble);
  kbuf.narrow(2, 0, t0).copy_(k.narrow(2, 0, t0));
  vbuf.narrow(2, 0, t0).copy_(v.narrow(2, 0, t0));
  const AttentionPositions start = positions_at(0);
  EXPECT_LT(max_diff(n.impl->forward(q.narrow(2, 0, t0), kbuf.narrow(2, 0, t0), vbuf.narrow(2, 0, t0), start, {}),
                     prefill.narrow(2, 0, t0)),
            kFp32Branch);
  AttentionPositions step = start;  // the same key_start tensor, as every step of a generation passes
  for (int64_t i = t0; i < t; ++i) {
    kbuf.narrow(2, i, 1).copy_(k.narrow(2, i, 1));
    vbuf.narrow(2, i, 1).copy_(v.narrow(2, i, 1));
    step.q_pos0 = i;
    const at::Tensor one = n.impl->forward(q.narrow(2, i, 1), kbuf.narrow(2, 0, i + 1), vbuf.narrow(2, 0, i + 1), step, {});
    EXPECT_LT(max_diff(one, prefill.narrow(2, i, 1)), kFp32Branch) << "step " << i;  // the window's fp32 blocks differ
  }
}

TEST(Nsa, SelectingEveryBlockOrAnUnboundedWindowIsDenseCausalAttention) {
  const int64_t t = 50;
  const VariantFlags all = gptbench::testing::nsa_flags(8, 4, 8, 7, 64);  // n >= the 7 blocks of 50 tokens, w >= T
  const at::Tensor q = at::randn({kB, 4, t, kD}, at::kDouble), k = at::randn({kB, 4, t, kD}, at::kDouble),
                   v = at::randn({kB, 4, t, kD}, at::kDouble);
  const at::Tensor dense = make_reference_attention({})->forward(q, k, v, positions_at(0), {});
  for (int64_t branch : {1, 2}) {  // g_slc = 1, then g_win = 1, the other gates 0 (sigmoid(+-60) in fp64)
    Nsa n = make_nsa(all, 4);
    randomise(n);
    c10::AutoGradMode no_grad(false);
    n.params["nsa_gate_weight"].zero_();
    n.params["nsa_gate_bias"].fill_(-60.0);
    n.params["nsa_gate_bias"].select(1, branch).fill_(60.0);
    EXPECT_LT(max_diff(n.impl->forward(q, k, v, positions_at(0), {}), dense), kFp32Branch) << branch;  // dense: fp32
  }
}

TEST(Nsa, StartsAsAConvexMixtureCloseToDenseAttention) {
  Nsa n = make_nsa(small_sizes(), 4);
  const at::Tensor gates = n.params["nsa_gate_bias"].to(at::kDouble).sigmoid();  // (H, 3)
  EXPECT_LT((gates.sum(1) - 1).abs().max().item<double>(), 1e-6);
  EXPECT_EQ(n.params["nsa_gate_weight"].abs().sum().item<double>(), 0.0);
  // T <= w and every block selected: the selected and window branches are dense, the compressed one is
  // a mean-pooled attention; at g_cmp = 0.018 the output stays within a few percent of dense.
  n = make_nsa(gptbench::testing::nsa_flags(8, 4, 8, 4, 32), 4);
  const at::Tensor q = at::randn({1, 4, 32, kD}), k = at::randn({1, 4, 32, kD}), v = at::randn({1, 4, 32, kD});
  AttentionPositions p;
  p.key_start = at::zeros({1}, at::kLong);
  const at::Tensor dense = make_reference_attention({})->forward(q, k, v, p, {});
  c10::AutoGradMode no_grad(false);
  const double rel = ((n.impl->forward(q, k, v, p, {}) - dense).norm() / dense.norm()).item<double>();
  EXPECT_LT(rel, 0.05);
  EXPECT_GT(rel, 0.0);  // the compressed branch is there
}

TEST(Nsa, GradientsReachTheCompressionAndTheGates) {
  Nsa n = make_nsa(small_sizes(), 4);
  randomise(n);
  for (auto& [name, p] : n.params) p.set_requires_grad(true);  // as the layer's register_parameter does
  const at::Tensor q = at::randn({kB, 4, 40, kD}), k = at::randn({kB, 4, 40, kD}), v = at::randn({kB, 4, 40, kD});
  (n.impl->forward(q, k, v, positions_at(0), {}) * at::randn({kB, 4, 40, kD})).sum().backward();
  for (const auto& [name, p] : n.params) {
    ASSERT_TRUE(p.grad().defined()) << name;
    EXPECT_GT(p.grad().abs().sum().item<double>(), 0.0) << name;
  }
}

TEST(Nsa, NamesFlagsAndCompositionRules) {
  const AttentionSpec spec = parse_variant("nsa");
  EXPECT_EQ(variant_name(spec), "nsa");
  EXPECT_EQ(spec.learned.nsa.block, 32);
  EXPECT_EQ(spec.learned.nsa.stride, 16);
  EXPECT_EQ(spec.learned.nsa.select_block, 64);
  EXPECT_EQ(spec.learned.nsa.topk, 16);
  EXPECT_EQ(spec.learned.nsa.window, 512);
  EXPECT_TRUE(spec.learned.per_layer());
  EXPECT_FALSE(spec.learned.recurrent());
  EXPECT_EQ(parse_variant("nsa", small_sizes()).learned.nsa.select_block, 8);
  for (const char* bad : {"nsa+flash", "sdpa+nsa", "nsa+sparse", "nsa+alibi", "nsa+maskmix"})
    EXPECT_THROW(parse_variant(bad), UsageError) << bad;
  EXPECT_THROW(parse_variant("standard", small_sizes()), UsageError);  // nsa's flags without nsa
  VariantFlags f;
  f.nsa_stride = 40;  // > the block of 32: tokens would be skipped
  EXPECT_THROW(parse_variant("nsa", f), UsageError);
  f = {};
  f.nsa_topk = 2;  // fewer than the three blocks always taken
  EXPECT_THROW(parse_variant("nsa", f), UsageError);
  f = {};
  f.nsa_window = 0;
  EXPECT_THROW(parse_variant("nsa", f), UsageError);
  bool listed = false;
  for (const auto& info : list_variants()) listed = listed || info.name == "nsa";
  EXPECT_TRUE(listed);
}
