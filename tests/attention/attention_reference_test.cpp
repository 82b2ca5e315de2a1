// Attention implementations against an independent fp64 loop that applies the rule of
// attention.h literally: causal, left padding (key_start), window, sinks, ALiBi, rolling-cache
// slots (key_pos), prefill and single-token decode, and grouped-query attention (Hkv in {H, H/4, 1};
// the loop's head mapping is itself checked against multi-head attention over repeat_interleave'd K/V).
#include <ATen/TensorOperators.h>  // Tensor operators
#include <ATen/ops/randn.h>   // at::randn
#include <ATen/ops/repeat_interleave.h>  // at::repeat_interleave
#include <ATen/ops/zeros.h>   // at::zeros
#include <ATen/ops/tensor.h>  // at::tensor
#include <gtest/gtest.h>      // TEST, EXPECT_*

#include <cmath>    // std::exp, std::sqrt
#include <string>   // std::string
#include <utility>  // std::move
#include <vector>   // std::vector

#include "gptbench/attention/alibi.h"    // alibi_slopes
#include "gptbench/attention/variant.h"  // parse_variant
#include "gptbench/util/error.h"         // gptbench::Error, UsageError

using namespace gptbench::attention;

namespace {

struct Problem {
  at::Tensor q, k, v;  // (B, H, Tq, D), (B, Hkv, Tk, D) fp32
  AttentionPositions positions;
  std::vector<int64_t> key_start;
  std::vector<std::vector<int64_t>> key_pos;  // empty: contiguous
};

// out[b][h][i][:] by the definition, in fp64; query head h reads key/value head h / (H / Hkv).
at::Tensor reference(const Problem& p, const AttentionSpec& spec, const std::vector<double>& slopes) {
  const int64_t b_n = p.q.size(0), h_n = p.q.size(1), tq = p.q.size(2), tk = p.k.size(2), d = p.q.size(3);
  const int64_t group = h_n / p.k.size(1);
  at::Tensor q = p.q.to(at::kDouble), k = p.k.to(at::kDouble), v = p.v.to(at::kDouble);
  at::Tensor out = at::zeros({b_n, h_n, tq, d}, at::kDouble);
  auto qa = q.accessor<double, 4>(), ka = k.accessor<double, 4>(), va = v.accessor<double, 4>();
  auto oa = out.accessor<double, 4>();
  for (int64_t b = 0; b < b_n; ++b)
    for (int64_t h = 0; h < h_n; ++h)
      for (int64_t i = 0; i < tq; ++i) {
        const int64_t qpos = p.positions.q_pos0 + i, start = p.key_start[b];
        std::vector<double> w(tk, 0.0);
        double mx = -1e300;
        std::vector<bool> vis(tk, false);
        for (int64_t j = 0; j < tk; ++j) {
          const int64_t kpos = p.key_pos.empty() ? j : p.key_pos[b][j];
          bool visible = kpos >= start && kpos <= qpos;
          if (spec.window > 0) visible = visible && (qpos - kpos < spec.window || kpos - start < spec.global_tokens);
          if (!visible) continue;
          double s = 0;
          for (int64_t x = 0; x < d; ++x) s += qa[b][h][i][x] * ka[b][h / group][j][x];
          s /= std::sqrt(static_cast<double>(d));
          if (spec.alibi()) s -= slopes[h] * static_cast<double>(qpos - kpos);
          w[j] = s;
          vis[j] = true;
          mx = std::max(mx, s);
        }
        double z = 0;
        for (int64_t j = 0; j < tk; ++j) z += vis[j] ? std::exp(w[j] - mx) : 0.0;
        for (int64_t j = 0; j < tk; ++j) {
          if (!vis[j]) continue;
          const double pj = std::exp(w[j] - mx) / z;
          for (int64_t x = 0; x < d; ++x) oa[b][h][i][x] += pj * va[b][h / group][j][x];
        }
      }
  return out;
}

Problem make_problem(int64_t tq, int64_t tk, std::vector<int64_t> key_start, int64_t q_pos0, uint64_t seed,
                     int64_t heads = 4, int64_t kv_heads = 4) {
  at::manual_seed(seed);
  Problem p;
  const int64_t b = static_cast<int64_t>(key_start.size()), d = 16;
  p.q = at::randn({b, heads, tq, d});
  p.k = at::randn({b, kv_heads, tk, d});
  p.v = at::randn({b, kv_heads, tk, d});
  p.key_start = key_start;
  p.positions.key_start = at::tensor(key_start, at::kLong);
  p.positions.q_pos0 = q_pos0;
  p.positions.left_padded = true;
  return p;
}

void set_key_pos(Problem& p, std::vector<std::vector<int64_t>> key_pos) {
  p.key_pos = std::move(key_pos);
  std::vector<int64_t> flat;
  for (const auto& row : p.key_pos) flat.insert(flat.end(), row.begin(), row.end());
  p.positions.key_pos = at::tensor(flat, at::kLong).view({static_cast<int64_t>(p.key_pos.size()), -1});
}

void expect_matches_reference(const Problem& p, const std::string& variant, VariantFlags flags = {}) {
  const AttentionSpec spec = parse_variant(variant, flags);
  const std::vector<double> slopes = alibi_slopes(p.q.size(1));
  const std::vector<float> slopes_f(slopes.begin(), slopes.end());
  const at::Tensor slopes_t = at::tensor(slopes_f);
  const at::Tensor ref = reference(p, spec, slopes).to(at::kFloat);
  for (const std::string kernel : {"standard", "sdpa"}) {
    AttentionSpec s = spec;
    s.kernel = kernel == "sdpa" ? Kernel::kSdpa : Kernel::kStandard;
    std::unique_ptr<AttentionImpl> impls[] = {make_attention(s), make_reference_attention(s)};
    for (auto& impl : impls) {
      const at::Tensor out = impl->forward(p.q, p.k, p.v, p.positions, slopes_t);
      EXPECT_LE((out - ref).abs().max().template item<double>(), 2e-5)
          << variant << " on " << impl->last_kernel() << " with " << p.q.size(1) << " heads over " << p.k.size(1);
    }
  }
}

}  // namespace

TEST(AttentionReference, PrefillWithPaddingAlibiWindowAndSinks) {
  Problem p = make_problem(150, 150, {0, 37}, 0, 1);  // long enough for the banded path (W=8, chunks of 64)
  expect_matches_reference(p, "standard");
  expect_matches_reference(p, "alibi");
  expect_matches_reference(p, "sparse", {int64_t{8}, std::nullopt});
  expect_matches_reference(p, "alibi+sparse", {int64_t{8}, int64_t{3}});
  expect_matches_reference(p, "sparse", {int64_t{1}, int64_t{0}});  // W = 1: each query sees only itself
}

TEST(AttentionReference, PrefillAfterACachedPrefix) {
  Problem p = make_problem(20, 90, {0, 11}, 70, 2);  // queries at positions 70..89
  expect_matches_reference(p, "alibi");
  expect_matches_reference(p, "alibi+sparse", {int64_t{16}, int64_t{2}});
}

TEST(AttentionReference, DecodeOverARollingCacheWithEmptySlotsAndAnyOrder) {
  // One query at position 40; 12 slots holding positions in shuffled order, two empty (-1).
  Problem p = make_problem(1, 12, {0, 30}, 40, 3);
  set_key_pos(p, {{40, 33, -1, 35, 36, 31, 38, 39, 34, 37, -1, 32}, {30, 31, 40, 39, 38, 37, 36, 35, 34, 33, 32, -1}});
  expect_matches_reference(p, "alibi+sparse", {int64_t{10}, int64_t{0}});
  expect_matches_reference(p, "alibi+sparse", {int64_t{4}, int64_t{2}});
  expect_matches_reference(p, "sparse", {int64_t{6}, int64_t{1}});
}

TEST(AttentionReference, PaddingQueriesOutputZero) {
  Problem p = make_problem(10, 10, {6}, 0, 4);
  const AttentionSpec spec = parse_variant("standard");
  for (const auto& s : {spec, parse_variant("sdpa")}) {
    const at::Tensor out = make_attention(s)->forward(p.q, p.k, p.v, p.positions, {});
    EXPECT_EQ(out.narrow(2, 0, 6).abs().max().item<double>(), 0.0);
    EXPECT_FALSE(out.isnan().any().item<bool>());
  }
}

// The loop's grouped head mapping is the definition: GQA equals multi-head attention in which each
// key/value head is repeated for its G query heads (repeat_interleave), to fp64 rounding.
TEST(AttentionReference, GroupedLoopEqualsMultiHeadOverRepeatedKeysInFp64) {
  for (int64_t kv_heads : {8, 2, 1}) {
    Problem grouped = make_problem(9, 21, {0, 5}, 12, 10 + kv_heads, 8, kv_heads);
    grouped.q = grouped.q.to(at::kDouble);
    grouped.k = grouped.k.to(at::kDouble);
    grouped.v = grouped.v.to(at::kDouble);
    Problem repeated = grouped;
    repeated.k = at::repeat_interleave(grouped.k, 8 / kv_heads, 1);
    repeated.v = at::repeat_interleave(grouped.v, 8 / kv_heads, 1);
    const std::vector<double> slopes = alibi_slopes(8);
    for (const char* variant : {"standard", "alibi+sparse"}) {
      const AttentionSpec spec = parse_variant(variant, std::string(variant) == "standard" ? VariantFlags{}
                                                                                           : VariantFlags{int64_t{4}, int64_t{2}});
      const double diff = (reference(grouped, spec, slopes) - reference(repeated, spec, slopes)).abs().max().item<double>();
      EXPECT_LE(diff, 1e-12) << variant << " over " << kv_heads << " kv heads";
    }
    // The reference implementation (make_reference_attention) agrees the same way.
    for (const char* variant : {"standard", "alibi+sparse"}) {
      const AttentionSpec spec = parse_variant(variant, std::string(variant) == "standard" ? VariantFlags{}
                                                                                           : VariantFlags{int64_t{4}, int64_t{2}});
      const std::vector<float> slopes_f(slopes.begin(), slopes.end());
      const at::Tensor s_t = at::tensor(slopes_f);
      const at::Tensor a = make_reference_attention(spec)->forward(grouped.q.to(at::kFloat), grouped.k.to(at::kFloat),
                                                                   grouped.v.to(at::kFloat), grouped.positions, s_t);
      const at::Tensor b = make_reference_attention(spec)->forward(
          repeated.q.to(at::kFloat), repeated.k.to(at::kFloat), repeated.v.to(at::kFloat), repeated.positions, s_t);
      EXPECT_LE((a - b).abs().max().item<double>(), 1e-6) << variant << " over " << kv_heads << " kv heads";
    }
  }
}

// Every implementation (standard banded and dense, sdpa, the reference) with Hkv in {H, H/4, 1}:
// prefill with padding, ALiBi, windows and sinks; prefill after a prefix; rolling-cache decode.
TEST(AttentionReference, GroupedQueryAttentionEveryVariant) {
  for (int64_t kv_heads : {8, 2, 1}) {
    Problem prefill = make_problem(150, 150, {0, 37}, 0, 20 + kv_heads, 8, kv_heads);
    expect_matches_reference(prefill, "standard");
    expect_matches_reference(prefill, "alibi");
    expect_matches_reference(prefill, "sparse", {int64_t{8}, std::nullopt});
    expect_matches_reference(prefill, "alibi+sparse", {int64_t{8}, int64_t{3}});
    Problem suffix = make_problem(20, 90, {0, 11}, 70, 30 + kv_heads, 8, kv_heads);
    expect_matches_reference(suffix, "alibi");
    expect_matches_reference(suffix, "sparse", {int64_t{16}, int64_t{2}});
    Problem decode = make_problem(1, 12, {0, 30}, 40, 40 + kv_heads, 8, kv_heads);
    set_key_pos(decode, {{40, 33, -1, 35, 36, 31, 38, 39, 34, 37, -1, 32}, {30, 31, 40, 39, 38, 37, 36, 35, 34, 33, 32, -1}});
    expect_matches_reference(decode, "alibi+sparse", {int64_t{6}, int64_t{1}});
    Problem plain = make_problem(33, 33, {0}, 0, 50 + kv_heads, 8, kv_heads);  // sdpa's unmasked is_causal path
    plain.positions.left_padded = false;
    expect_matches_reference(plain, "standard");
  }
}

TEST(AttentionReference, KeyValueHeadsMustDivideQueryHeads) {
  Problem p = make_problem(5, 5, {0}, 0, 60, 6, 4);
  for (const char* variant : {"standard", "sdpa"}) {
    try {
      make_attention(parse_variant(variant))->forward(p.q, p.k, p.v, p.positions, {});
      ADD_FAILURE() << variant << ": 6 query heads over 4 kv heads was accepted";
    } catch (const gptbench::Error& e) {
      EXPECT_NE(std::string(e.what()).find("multiple of the key/value head count"), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(check_supported(parse_variant("standard"), 6, 16, at::kFloat, c10::Device(c10::kCPU), 4),
               gptbench::UsageError);
  EXPECT_NO_THROW(check_supported(parse_variant("sdpa"), 8, 16, at::kFloat, c10::Device(c10::kCPU), 2));
}
