// Our CUDA kernels for nsa's compressed and selected branches (kernels/nsa_select_op.h) against the
// fp64 loops of nsa_branch_reference.h (which nsa_branches_test.cpp proves equal to the ATen path),
// piece by piece: the compressed attention on every row; the chosen blocks equal to the reference's
// top-n except where two blocks' scores tie to within rounding (counted and printed); the selected
// attention equal to attention over the blocks the kernel chose, on every row; the selected kernel
// alone on random block lists. fp16 and bf16, D 64 and 128, groups of 1 and 4 heads, T not a multiple
// of any block, n from 3 to every block, left padding, prefill and one-query decode calls. Inputs are
// rounded to the kernel's dtype first, so the reference sees exactly the kernel's inputs.
#include <ATen/TensorOperators.h>  // Tensor operators
#include <ATen/ops/full.h>         // at::full
#include <ATen/ops/randint.h>      // at::randint
#include <ATen/ops/randn.h>        // at::randn
#include <ATen/ops/tensor.h>       // at::tensor
#include <gtest/gtest.h>           // TEST, GTEST_SKIP
#include <torch/cuda.h>            // torch::cuda::is_available

#include <algorithm>  // std::sort, std::min, std::set_symmetric_difference
#include <cmath>      // std::abs, std::isfinite, INFINITY
#include <iterator>   // std::back_inserter
#include <cstdio>     // std::printf
#include <cstdint>    // int64_t
#include <string>     // std::string
#include <vector>     // std::vector

#include "gptbench/attention/learned_spec.h"   // NsaSizes
#include "gptbench/kernels/nsa_select_op.h"    // nsa_sparse_cuda, nsa_selected_cuda, nsa_select_kernel_name
#include "nsa_branch_reference.h"              // nsa_reference_*
#include "nsa_branches.h"                      // nsa_sparse_branches, nsa_complete_blocks

using namespace gptbench;
using namespace gptbench::testing;

namespace {

// fp32 accumulation over up to a few thousand terms of outputs of order 1; a wrong block, token or
// position moves an output by ~0.1.
constexpr double kTolerance = 2e-3;
// Two blocks whose reference scores differ by less than this (relative) may come in either order.
constexpr double kTieRelative = 1e-4;

const std::vector<int64_t> kKeyStart = {0, 9};  // row 1 left-padded by 9

struct Case {
  at::ScalarType dtype;
  int64_t d, heads, kv_heads, t;
  NsaBranchSizes sizes;
};

// The cases: every axis moves at least once from the first.
const Case kCases[] = {
    {at::kHalf, 64, 4, 4, 333, {16, 8, 16, 4}},
    {at::kBFloat16, 64, 4, 4, 333, {16, 8, 16, 4}},
    {at::kHalf, 128, 4, 4, 200, {16, 8, 16, 4}},
    {at::kHalf, 64, 8, 2, 333, {16, 8, 16, 5}},          // groups of 4 heads share a selection
    {at::kHalf, 64, 4, 4, 1000, {32, 16, 64, 16}},       // the paper's sizes
    {at::kHalf, 64, 4, 4, 333, {16, 8, 16, 64}},         // n above the 21 blocks: every block
    {at::kBFloat16, 128, 8, 2, 517, {32, 16, 32, 7}},
    {at::kHalf, 64, 2, 2, 150, {8, 8, 4, 9}},            // selection blocks shorter than the stride
};

struct Inputs {
  at::Tensor q, k, v, kc, vc;  // CPU fp64, the values the kernel reads (q, k, v rounded to its dtype)
};

Inputs random_inputs(const Case& c) {
  attention::NsaSizes s;
  s.block = c.sizes.block;
  s.stride = c.sizes.stride;
  const int64_t nc = attention::nsa_complete_blocks(c.t, s);
  auto rounded = [&](at::Tensor x) { return x.to(c.dtype).to(at::kDouble); };
  // Queries at twice the keys' scale: peaked block scores, so that exact ties are rare.
  return {rounded(at::randn({2, c.heads, c.t, c.d}) * 2), rounded(at::randn({2, c.kv_heads, c.t, c.d})),
          rounded(at::randn({2, c.kv_heads, c.t, c.d})), at::randn({2, c.kv_heads, nc, c.d}).to(at::kDouble),
          at::randn({2, c.kv_heads, nc, c.d}).to(at::kDouble)};
}

double max_diff(const at::Tensor& a, const at::Tensor& b) {
  return (a.cpu().to(at::kDouble) - b.to(at::kDouble)).abs().max().item<double>();
}

std::string describe(const Case& c) {
  return std::string(c10::toString(c.dtype)) + " D" + std::to_string(c.d) + " H" + std::to_string(c.heads) + "/" +
         std::to_string(c.kv_heads) + " T" + std::to_string(c.t) + " l" + std::to_string(c.sizes.block) + " d" +
         std::to_string(c.sizes.stride) + " l'" + std::to_string(c.sizes.select_block) + " n" + std::to_string(c.sizes.topk);
}

struct SelectionCheck {
  int64_t rows = 0, equal = 0, near_tie = 0, wrong = 0;
};

// The kernel's blocks (B, Hkv, Tq, n) against the reference's top-n by the reference scores: the same
// set, or sets that differ only in blocks scored within kTieRelative of the last one chosen.
SelectionCheck check_selection(const at::Tensor& kernel_blocks, const at::Tensor& scores, int64_t topk) {
  SelectionCheck r;
  const at::Tensor reference = nsa_reference_top_blocks(scores, topk);
  const at::Tensor got = kernel_blocks.cpu().to(at::kLong);
  auto ga = got.accessor<int64_t, 4>(), ra = reference.accessor<int64_t, 4>();
  auto sa = scores.accessor<double, 4>();
  for (int64_t b = 0; b < got.size(0); ++b)
    for (int64_t h = 0; h < got.size(1); ++h)
      for (int64_t t = 0; t < got.size(2); ++t) {
        std::vector<int64_t> x, y;  // the chosen blocks, -1 slots left out
        for (int64_t c = 0; c < got.size(3); ++c) {
          if (ga[b][h][t][c] >= 0) x.push_back(ga[b][h][t][c]);
          if (ra[b][h][t][c] >= 0) y.push_back(ra[b][h][t][c]);
        }
        ++r.rows;
        std::sort(x.begin(), x.end());
        std::sort(y.begin(), y.end());
        if (x == y) {
          ++r.equal;
          continue;
        }
        // A near tie: as many blocks, and every block in one list only scored within kTieRelative of the
        // reference's last chosen score (forced blocks score +inf and never tie).
        double boundary = INFINITY;
        for (int64_t j : y) boundary = std::min(boundary, sa[b][h][t][j]);
        std::vector<int64_t> differ;
        std::set_symmetric_difference(x.begin(), x.end(), y.begin(), y.end(), std::back_inserter(differ));
        bool tie = x.size() == y.size() && std::isfinite(boundary);
        for (int64_t j : differ) tie = tie && std::abs(sa[b][h][t][j] - boundary) <= kTieRelative * std::abs(boundary) + 1e-12;
        ++(tie ? r.near_tie : r.wrong);
      }
  return r;
}

}  // namespace

TEST(NsaSelectGpu, BranchesMatchTheFp64LoopsInPrefillAndDecode) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device: the nsa kernel test runs on the GPU machine";
  const c10::Device cuda(c10::kCUDA);
  const at::Tensor starts = at::tensor(kKeyStart).to(cuda);
  for (const Case& c : kCases) {
    const Inputs in = random_inputs(c);
    const kernels::NsaKernelSizes ks{c.sizes.block, c.sizes.stride, c.sizes.select_block, c.sizes.topk};
    const at::Tensor qg = in.q.to(cuda, c.dtype), kg = in.k.to(cuda, c.dtype), vg = in.v.to(cuda, c.dtype);
    const at::Tensor kcg = in.kc.to(cuda, at::kFloat), vcg = in.vc.to(cuda, at::kFloat);
    ASSERT_EQ(kernels::nsa_select_unsupported_reason(qg, c.kv_heads, ks), "") << describe(c);
    // Prefill: every query at once.
    const kernels::NsaSparseBranches got = kernels::nsa_sparse_cuda(qg, kg, vg, kcg, vcg, starts, 0, ks);
    const at::Tensor scores = nsa_reference_block_scores(in.q, in.kc, c.t, kKeyStart, 0, c.sizes);
    const double cmp = max_diff(got.cmp, nsa_reference_compressed(in.q, in.kc, in.vc, kKeyStart, 0, c.sizes));
    const double slc = max_diff(got.slc, nsa_reference_selected(in.q, in.k, in.v, got.blocks.cpu().to(at::kLong),
                                                                kKeyStart, 0, c.sizes.select_block));
    const SelectionCheck sel = check_selection(got.blocks, scores, c.sizes.topk);
    std::printf("%s prefill: cmp max diff %.3g, slc max diff %.3g, selections %lld equal, %lld near ties, %lld wrong\n",
                describe(c).c_str(), cmp, slc, static_cast<long long>(sel.equal), static_cast<long long>(sel.near_tie),
                static_cast<long long>(sel.wrong));
    EXPECT_LT(cmp, kTolerance) << describe(c);
    EXPECT_LT(slc, kTolerance) << describe(c);
    EXPECT_EQ(sel.wrong, 0) << describe(c);
    EXPECT_GE(sel.equal, sel.rows * 99 / 100) << describe(c);  // ties are rare at these scales
    // Decode: one query at a time against the keys up to it, at positions across the range.
    for (const int64_t t : {c.t - 1, c.t / 2 + 3, int64_t{5}}) {
      const at::Tensor q1 = qg.narrow(2, t, 1), k1 = kg.narrow(2, 0, t + 1), v1 = vg.narrow(2, 0, t + 1);
      const kernels::NsaSparseBranches one = kernels::nsa_sparse_cuda(q1, k1, v1, kcg, vcg, starts, t, ks);
      const at::Tensor q1_ref = in.q.narrow(2, t, 1).contiguous();
      const double cmp1 = max_diff(one.cmp, nsa_reference_compressed(q1_ref, in.kc, in.vc, kKeyStart, t, c.sizes));
      const double slc1 = max_diff(
          one.slc, nsa_reference_selected(q1_ref, in.k.narrow(2, 0, t + 1).contiguous(), in.v.narrow(2, 0, t + 1).contiguous(),
                                          one.blocks.cpu().to(at::kLong), kKeyStart, t, c.sizes.select_block));
      const SelectionCheck sel1 =
          check_selection(one.blocks, nsa_reference_block_scores(q1_ref, in.kc, t + 1, kKeyStart, t, c.sizes), c.sizes.topk);
      EXPECT_LT(cmp1, kTolerance) << describe(c) << " decode at " << t;
      EXPECT_LT(slc1, kTolerance) << describe(c) << " decode at " << t;
      EXPECT_EQ(sel1.wrong, 0) << describe(c) << " decode at " << t;
    }
  }
}

TEST(NsaSelectGpu, SelectedKernelAloneMatchesFp64OnRandomBlockLists) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device: the nsa kernel test runs on the GPU machine";
  const c10::Device cuda(c10::kCUDA);
  const at::Tensor starts = at::tensor(kKeyStart).to(cuda);
  for (const Case& c : kCases) {
    const Inputs in = random_inputs(c);
    // Random blocks in [-1, ns): blocks after the query and -1 slots must be skipped; repeats are not
    // produced by the selection, so each list is made of distinct blocks.
    const int64_t ns = (c.t + c.sizes.select_block - 1) / c.sizes.select_block, n = std::min<int64_t>(c.sizes.topk, ns);
    at::Tensor blocks = at::full({2, c.kv_heads, c.t, n}, -1, at::kLong);
    auto ba = blocks.accessor<int64_t, 4>();
    const at::Tensor draws = at::randint(0, 1 << 30, {2, c.kv_heads, c.t, n}, at::kLong);
    auto da = draws.accessor<int64_t, 4>();
    for (int64_t b = 0; b < 2; ++b)
      for (int64_t h = 0; h < c.kv_heads; ++h)
        for (int64_t t = 0; t < c.t; ++t)
          for (int64_t s = 0; s < n; ++s) {
            const int64_t j = da[b][h][t][s] % (ns + 1) - 1;
            bool repeat = false;
            for (int64_t u = 0; u < s; ++u) repeat = repeat || ba[b][h][t][u] == j;
            ba[b][h][t][s] = repeat ? -1 : j;
          }
    const at::Tensor got = kernels::nsa_selected_cuda(in.q.to(cuda, c.dtype), in.k.to(cuda, c.dtype),
                                                      in.v.to(cuda, c.dtype), blocks.to(cuda, at::kInt), starts, 0,
                                                      c.sizes.select_block);
    const double diff =
        max_diff(got, nsa_reference_selected(in.q, in.k, in.v, blocks, kKeyStart, 0, c.sizes.select_block));
    std::printf("%s selected alone: max diff %.3g\n", describe(c).c_str(), diff);
    EXPECT_LT(diff, kTolerance) << describe(c);
  }
}

TEST(NsaSelectGpu, TheBranchesRunTheKernelsOnCudaHalvesAndSaySo) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device: the nsa kernel test runs on the GPU machine";
  const c10::Device cuda(c10::kCUDA);
  attention::NsaSizes s;
  s.block = 16;
  s.stride = 8;
  s.select_block = 16;
  s.topk = 4;
  const int64_t t = 100, nc = attention::nsa_complete_blocks(t, s);
  attention::AttentionPositions pos;
  pos.key_start = at::tensor(kKeyStart).to(cuda);
  const at::Tensor kc = at::randn({2, 4, nc, 64}, cuda), vc = at::randn({2, 4, nc, 64}, cuda);
  for (const at::ScalarType dtype : {at::kHalf, at::kBFloat16, at::kFloat}) {
    const at::Tensor x = at::randn({2, 4, t, 64}, cuda).to(dtype);
    const attention::NsaBranches out = attention::nsa_sparse_branches(x, x, x, kc, vc, pos, s);
    EXPECT_EQ(out.kernel, dtype == at::kFloat ? std::string("aten") : kernels::nsa_select_kernel_name(dtype, 64))
        << c10::toString(dtype);
    EXPECT_EQ(out.slc.scalar_type(), at::kFloat);
  }
}
