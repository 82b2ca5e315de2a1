// fp64 loops of nsa's compressed and selected branches, piece by piece (docs/variants.md): the
// compressed attention, every selection block's score, the top-n blocks, and attention over given
// blocks. Written from the equations, not from src/attention: nsa_attention_test.cpp proves them equal
// to the ATen path on the CPU, and nsa_select_gpu_test.cpp holds our CUDA kernels to them (each piece
// alone, so that a near tie that rounding decides either way is told apart from a wrong block).
// Tensors: CPU fp64 contiguous; q (B, H, Tq, D) at positions q_pos0 + t, k, v (B, Hkv, Tk, D), kc, vc
// (B, Hkv, nc, D); positions relative to key_start[b]; a padding query gives 0 and no block.
#pragma once

#include <ATen/core/TensorAccessor.h>  // at::TensorAccessor
#include <ATen/ops/full.h>   // at::full
#include <ATen/ops/zeros.h>  // at::zeros

#include <algorithm>  // std::min, std::max, std::stable_sort
#include <cmath>      // std::exp, std::sqrt, INFINITY
#include <cstdint>    // int64_t
#include <vector>     // std::vector

namespace gptbench::testing {

struct NsaBranchSizes {
  int64_t block, stride, select_block, topk;  // l, d, l', n
};

// softmax(q . keys / sqrt(D)) of one query row over the listed key rows of x[b][hk].
inline std::vector<double> nsa_softmax(const at::TensorAccessor<double, 4>& q, int64_t b, int64_t h, int64_t t,
                                       const at::TensorAccessor<double, 4>& x, int64_t hk,
                                       const std::vector<int64_t>& rows) {
  const int64_t d = q.size(3);
  std::vector<double> w;
  double top = -INFINITY, total = 0;
  for (int64_t r : rows) {
    double dot = 0;
    for (int64_t e = 0; e < d; ++e) dot += q[b][h][t][e] * x[b][hk][r][e];
    w.push_back(dot / std::sqrt(static_cast<double>(d)));
    top = std::max(top, w.back());
  }
  for (double& s : w) total += (s = std::exp(s - top));
  for (double& s : w) s /= total;
  return w;
}

// f(b, h, t, rel) for every (row, head, query) of a (B, heads, Tq) grid whose query is not padding.
template <typename F>
void nsa_for_each_query(int64_t batch, int64_t heads, int64_t q_len, const std::vector<int64_t>& key_start,
                        int64_t q_pos0, F f) {
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t h = 0; h < heads; ++h)
      for (int64_t t = 0; t < q_len; ++t)
        if (q_pos0 + t >= key_start[b]) f(b, h, t, q_pos0 + t - key_start[b]);
}

// The compressed blocks query rel sees: those ending at or before it.
inline std::vector<int64_t> nsa_seen_blocks(int64_t rel, int64_t nc, const NsaBranchSizes& s) {
  std::vector<int64_t> seen;
  for (int64_t i = 0; i < nc && i * s.stride + s.block - 1 <= rel; ++i) seen.push_back(i);
  return seen;
}

// o_cmp: (B, H, Tq, D).
inline at::Tensor nsa_reference_compressed(const at::Tensor& q, const at::Tensor& kc, const at::Tensor& vc,
                                           const std::vector<int64_t>& key_start, int64_t q_pos0,
                                           const NsaBranchSizes& s) {
  at::Tensor out = at::zeros(q.sizes(), at::kDouble);
  auto qa = q.accessor<double, 4>(), ka = kc.accessor<double, 4>(), va = vc.accessor<double, 4>();
  auto oa = out.accessor<double, 4>();
  const int64_t group = q.size(1) / kc.size(1);
  nsa_for_each_query(q.size(0), q.size(1), q.size(2), key_start, q_pos0, [&](int64_t b, int64_t h, int64_t t, int64_t rel) {
    const std::vector<int64_t> seen = nsa_seen_blocks(rel, kc.size(2), s);
    const std::vector<double> w = nsa_softmax(qa, b, h, t, ka, h / group, seen);
    for (size_t i = 0; i < seen.size(); ++i)
      for (int64_t e = 0; e < q.size(3); ++e) oa[b][h][t][e] += w[i] * va[b][h / group][seen[i]][e];
  });
  return out;
}

// Block scores (B, Hkv, Tq, ns), ns = ceil(Tk / l'): +inf for the initial and the two local blocks,
// the importance sum_h sum_i p_cmp(h, i) |[i d, i d + l) ∩ [j l', (j+1) l')| / l for the other blocks
// with j l' <= rel, -inf for the rest.
inline at::Tensor nsa_reference_block_scores(const at::Tensor& q, const at::Tensor& kc, int64_t k_len,
                                             const std::vector<int64_t>& key_start, int64_t q_pos0,
                                             const NsaBranchSizes& s) {
  const int64_t hkv = kc.size(1), group = q.size(1) / hkv, ns = (k_len + s.select_block - 1) / s.select_block;
  at::Tensor out = at::full({q.size(0), hkv, q.size(2), ns}, -INFINITY, at::kDouble);
  auto qa = q.accessor<double, 4>(), ka = kc.accessor<double, 4>();
  auto oa = out.accessor<double, 4>();
  nsa_for_each_query(q.size(0), hkv, q.size(2), key_start, q_pos0, [&](int64_t b, int64_t hk, int64_t t, int64_t rel) {
        const int64_t own = rel / s.select_block;
        const std::vector<int64_t> seen = nsa_seen_blocks(rel, kc.size(2), s);
        std::vector<double> importance(own + 1, 0.0);
        for (int64_t g = 0; g < group; ++g) {
          const std::vector<double> p = nsa_softmax(qa, b, hk * group + g, t, ka, hk, seen);
          for (size_t i = 0; i < seen.size(); ++i)
            for (int64_t j = 0; j <= own; ++j) {
              const int64_t lo = std::max(seen[i] * s.stride, j * s.select_block);
              const int64_t hi = std::min(seen[i] * s.stride + s.block, (j + 1) * s.select_block);
              if (hi > lo) importance[j] += p[i] * static_cast<double>(hi - lo) / static_cast<double>(s.block);
            }
        }
        for (int64_t j = 0; j <= own; ++j) oa[b][hk][t][j] = j == 0 || j == own || j == own - 1 ? INFINITY : importance[j];
      });
  return out;
}

// The n = min(topk, ns) best blocks of each query (B, Hkv, Tq, n) int64: highest score first, equal
// scores the lower block first, -inf never; -1 fills unused slots.
inline at::Tensor nsa_reference_top_blocks(const at::Tensor& scores, int64_t topk) {
  const int64_t ns = scores.size(3), n = std::min(topk, ns);
  at::Tensor out = at::full({scores.size(0), scores.size(1), scores.size(2), n}, -1, at::kLong);
  auto sa = scores.accessor<double, 4>();
  auto oa = out.accessor<int64_t, 4>();
  for (int64_t b = 0; b < scores.size(0); ++b)
    for (int64_t hk = 0; hk < scores.size(1); ++hk)
      for (int64_t t = 0; t < scores.size(2); ++t) {
        std::vector<int64_t> order;
        for (int64_t j = 0; j < ns; ++j)
          if (sa[b][hk][t][j] > -INFINITY) order.push_back(j);
        std::stable_sort(order.begin(), order.end(),
                         [&](int64_t x, int64_t y) { return sa[b][hk][t][x] > sa[b][hk][t][y]; });
        for (int64_t c = 0; c < n && c < static_cast<int64_t>(order.size()); ++c) oa[b][hk][t][c] = order[c];
      }
  return out;
}

// o_slc for given blocks (B, Hkv, Tq, n) int64 (-1: none): attention over their tokens up to the query.
inline at::Tensor nsa_reference_selected(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                         const at::Tensor& blocks, const std::vector<int64_t>& key_start,
                                         int64_t q_pos0, int64_t select_block) {
  at::Tensor out = at::zeros(q.sizes(), at::kDouble);
  auto qa = q.accessor<double, 4>(), ka = k.accessor<double, 4>(), va = v.accessor<double, 4>();
  auto ba = blocks.accessor<int64_t, 4>();
  auto oa = out.accessor<double, 4>();
  const int64_t group = q.size(1) / k.size(1);
  nsa_for_each_query(q.size(0), q.size(1), q.size(2), key_start, q_pos0, [&](int64_t b, int64_t h, int64_t t, int64_t rel) {
        std::vector<int64_t> rows;
        for (int64_t c = 0; c < blocks.size(3); ++c) {
          const int64_t j = ba[b][h / group][t][c];
          for (int64_t x = j * select_block; j >= 0 && x < (j + 1) * select_block && x <= rel; ++x)
            rows.push_back(key_start[b] + x);
        }
        const std::vector<double> w = nsa_softmax(qa, b, h, t, ka, h / group, rows);
        for (size_t i = 0; i < rows.size(); ++i)
          for (int64_t e = 0; e < q.size(3); ++e) oa[b][h][t][e] += w[i] * va[b][h / group][rows[i]][e];
      });
  return out;
}

}  // namespace gptbench::testing
