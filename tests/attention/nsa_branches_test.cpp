// nsa's branches piece by piece: the ATen path (nsa_branches.h) equals nsa_branch_reference.h's fp64
// loops of the compressed attention, the block scores, the top-n and the selected attention, in prefill
// with left padding and in the last rows alone (decode), grouped heads included. This is what lets the
// GPU test (nsa_select_gpu_test.cpp) hold our kernels to those loops piece by piece.
#include <ATen/TensorOperators.h>  // Tensor operators
#include <ATen/ops/randn.h>        // at::randn
#include <ATen/ops/tensor.h>       // at::tensor
#include <gtest/gtest.h>           // TEST, EXPECT_*

#include <cstdint>  // int64_t
#include <vector>   // std::vector

#include "gptbench/attention/learned_spec.h"  // NsaSizes
#include "nsa_branch_reference.h"             // nsa_reference_*
#include "nsa_branches.h"                     // nsa_sparse_branches, nsa_complete_blocks

using namespace gptbench;
using namespace gptbench::testing;

namespace {

double max_diff(const at::Tensor& a, const at::Tensor& b) { return (a - b).abs().max().item<double>(); }

}  // namespace

TEST(NsaBranches, TheAtenPathEqualsTheFp64LoopsOfEachPiece) {
  const std::vector<int64_t> key_start = {0, 5};
  struct Case {
    int64_t heads, kv_heads, t;
    NsaBranchSizes sizes;
  };
  const Case cases[] = {{4, 4, 70, {8, 4, 8, 4}}, {4, 2, 70, {8, 4, 8, 4}}, {2, 1, 53, {16, 8, 16, 3}},
                        {2, 2, 45, {8, 8, 4, 30}}};  // the last: n above the block count (every block)
  for (const Case& c : cases) {
    attention::NsaSizes sizes;
    sizes.block = c.sizes.block;
    sizes.stride = c.sizes.stride;
    sizes.select_block = c.sizes.select_block;
    sizes.topk = c.sizes.topk;
    const int64_t nc = attention::nsa_complete_blocks(c.t, sizes), d = 8;
    const at::Tensor q = at::randn({2, c.heads, c.t, d}, at::kDouble) * 2;
    const at::Tensor k = at::randn({2, c.kv_heads, c.t, d}, at::kDouble), v = at::randn({2, c.kv_heads, c.t, d}, at::kDouble);
    const at::Tensor kc = at::randn({2, c.kv_heads, nc, d}, at::kDouble), vc = at::randn({2, c.kv_heads, nc, d}, at::kDouble);
    for (const int64_t tail : {c.t, int64_t{3}}) {  // prefill, then the last 3 queries alone
      const int64_t q_pos0 = c.t - tail;
      const at::Tensor qs = q.narrow(2, q_pos0, tail).contiguous();
      attention::AttentionPositions pos;
      pos.key_start = at::tensor(key_start);
      pos.q_pos0 = q_pos0;
      const attention::NsaBranches aten = attention::nsa_sparse_branches(qs, k, v, kc, vc, pos, sizes);
      EXPECT_EQ(aten.kernel, "aten");
      const at::Tensor blocks = nsa_reference_top_blocks(
          nsa_reference_block_scores(qs, kc, c.t, key_start, q_pos0, c.sizes), c.sizes.topk);
      EXPECT_LT(max_diff(aten.cmp, nsa_reference_compressed(qs, kc, vc, key_start, q_pos0, c.sizes)), 1e-12)
          << c.heads << "/" << c.kv_heads << " heads, T " << c.t << ", " << tail << " queries";
      EXPECT_LT(max_diff(aten.slc, nsa_reference_selected(qs, k, v, blocks, key_start, q_pos0, c.sizes.select_block)),
                1e-12)
          << c.heads << "/" << c.kv_heads << " heads, T " << c.t << ", " << tail << " queries";
    }
  }
}
