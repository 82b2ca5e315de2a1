// NSA's compressed and selected branches (nsa_branches.h).
#include "nsa_branches.h"

#include <ATen/TensorOperators.h>  // Tensor operators
#include <ATen/ops/arange.h>       // at::arange
#include <ATen/ops/cat.h>          // at::cat
#include <ATen/ops/div.h>          // at::div
#include <ATen/ops/gather.h>       // at::gather
#include <ATen/ops/matmul.h>       // at::matmul
#include <ATen/ops/maximum.h>      // at::maximum
#include <ATen/ops/minimum.h>      // at::minimum
#include <ATen/ops/sigmoid.h>      // at::sigmoid
#include <ATen/ops/softmax.h>      // at::softmax
#include <ATen/ops/sort.h>         // at::sort
#include <ATen/ops/where.h>        // at::where
#include <ATen/ops/zeros.h>        // at::zeros
#include <c10/core/GradMode.h>     // c10::GradMode

#include <algorithm>  // std::max, std::min
#include <cmath>      // std::sqrt
#include <limits>     // std::numeric_limits
#include <vector>     // std::vector

#include "gptbench/kernels/nsa_select_op.h"  // nsa_sparse_cuda, nsa_select_unsupported_reason
#include "gptbench/util/check.h"             // GPTBENCH_CHECK

namespace gptbench::attention {
namespace {

// Elements a query chunk may hold in its intermediates (scores, gathered keys and values): 2^26 fp32 =
// 256 MiB on the CPU; 2^28 (1 GiB) on a GPU, where each chunk costs some 30 launches and a 64K-token
// prefill at the default sizes then takes ~400 chunks per layer instead of ~1700.
constexpr int64_t kChunkElementsCpu = int64_t{1} << 26;
constexpr int64_t kChunkElementsCuda = int64_t{1} << 28;

// x (B, Hkv, Tk, D) at the token indices idx (B, Hkv | 1, N) -> (B, Hkv, N, D), gathered without copying x.
at::Tensor gather_tokens(const at::Tensor& x, const at::Tensor& idx) {
  const int64_t b = x.size(0), h = x.size(1), d = x.size(3), n = idx.size(2);
  return at::gather(x, 2, idx.unsqueeze(-1).expand({b, h, n, d}));
}

// softmax over the last dim of the visible entries; a row with none gives 0 everywhere.
at::Tensor masked_softmax(const at::Tensor& scores, const at::Tensor& visible) {
  const double neg_inf = -std::numeric_limits<double>::infinity();
  return at::softmax(scores.masked_fill(visible.logical_not(), neg_inf), -1).masked_fill(visible.logical_not(), 0.0);
}

// Importance of each selection block: p_slc[j] = sum_i p_cmp[i] * |block_i ∩ sel_j| / l, with
// block_i = [i*d, i*d + l) and sel_j = [j*l', (j+1)*l'). p_cmp (B, Hkv, n, nc) -> (B, Hkv, n, ns).
at::Tensor selection_importance(const at::Tensor& p_cmp, int64_t ns, const NsaSizes& s) {
  const int64_t nc = p_cmp.size(-1);
  const auto long_opts = p_cmp.options().dtype(at::kLong);
  at::Tensor importance = at::zeros({p_cmp.size(0), p_cmp.size(1), p_cmp.size(2), ns}, p_cmp.options());
  const at::Tensor start = at::arange(nc, long_opts) * s.stride;  // (nc,)
  const int64_t offsets = (s.block + s.select_block - 1) / s.select_block + 1;  // selection blocks a block can touch
  for (int64_t o = 0; o < offsets; ++o) {
    const at::Tensor j = at::div(start, s.select_block, "floor") + o;  // (nc,)
    const at::Tensor overlap = (at::minimum(start + s.block, (j + 1) * s.select_block) -
                                at::maximum(start, j * s.select_block)).clamp_min(0);
    const at::Tensor share = at::where(j < ns, overlap, 0).to(p_cmp.scalar_type()) / static_cast<double>(s.block);
    importance.index_add_(3, j.clamp_max(ns - 1), p_cmp * share);
  }
  return importance;
}

}  // namespace

c10::ScalarType nsa_compute_type(const at::Tensor& x) {
  return x.scalar_type() == at::kDouble ? at::kDouble : at::kFloat;
}

int64_t nsa_complete_blocks(int64_t keys, const NsaSizes& sizes) {
  return keys < sizes.block ? 0 : (keys - sizes.block) / sizes.stride + 1;
}

at::Tensor nsa_compress(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& pos,
                        const at::Tensor& key_start, int64_t first, int64_t count, const NsaSizes& sizes) {
  const int64_t b = x.size(0), h = x.size(1), tk = x.size(2), d = x.size(3), l = sizes.block;
  const auto long_opts = x.options().dtype(at::kLong);
  const at::Tensor token = key_start.view({b, 1, 1}) + (at::arange(first, first + count, long_opts) * sizes.stride).view({1, count, 1}) +
                           at::arange(l, long_opts).view({1, 1, l});  // (B, count, l)
  const at::Tensor blocks = gather_tokens(x, token.clamp(0, tk - 1).view({b, 1, count * l}))
                                .to(weight.scalar_type())
                                .view({b, h, count, l, d});
  return at::matmul((blocks + pos).reshape({b, h, count, l * d}), weight.t());  // (B, Hkv, count, D)
}

NsaBranches nsa_sparse_branches(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& kc,
                                const at::Tensor& vc, const AttentionPositions& positions, const NsaSizes& s) {
  const int64_t b = q.size(0), h = q.size(1), tq = q.size(2), d = q.size(3);
  const int64_t hkv = k.size(1), tk = k.size(2), g = h / hkv, nc = kc.size(2);
  GPTBENCH_CHECK(positions.q_pos0 + tq == tk, "nsa: the keys must be positions 0 .. {} with the queries last, got "
                 "{} keys for {} queries at {}", tk - 1, tk, tq, positions.q_pos0);
  const kernels::NsaKernelSizes kernel_sizes{s.block, s.stride, s.select_block, s.topk};
  const bool records_grad = c10::GradMode::is_enabled() && (q.requires_grad() || k.requires_grad() ||
                                                             v.requires_grad() || kc.requires_grad() || vc.requires_grad());
  if (!records_grad && kernels::nsa_select_unsupported_reason(q, hkv, kernel_sizes).empty()) {
    kernels::NsaSparseBranches out = kernels::nsa_sparse_cuda(q, k, v, kc.to(at::kFloat), vc.to(at::kFloat),
                                                              positions.key_start, positions.q_pos0, kernel_sizes);
    return {out.cmp.to(kc.scalar_type()), out.slc.to(kc.scalar_type()), kernels::nsa_select_kernel_name(q.scalar_type(), d)};
  }
  const c10::ScalarType type = kc.scalar_type();
  // The gathered tokens stay in fp16/bf16 on a GPU (its matmuls accumulate in fp32; the softmax is fp32):
  // the n * l' tokens per query are this branch's memory traffic, and fp32 copies would triple it.
  const bool half = q.scalar_type() == at::kHalf || q.scalar_type() == at::kBFloat16;
  const c10::ScalarType gathered = q.is_cuda() && half ? q.scalar_type() : type;
  const auto long_opts = q.options().dtype(at::kLong);
  const int64_t ns = (tk + s.select_block - 1) / s.select_block;  // selection blocks of a row starting at 0
  const int64_t nsel = std::min(s.topk, ns);
  const int64_t sel_tokens = nsel * s.select_block;
  const at::Tensor qg = (q.to(type) * (1.0 / std::sqrt(static_cast<double>(d)))).view({b, hkv, g, tq, d});
  const at::Tensor kcg = kc.unsqueeze(2), vcg = vc.unsqueeze(2);  // (B, Hkv, 1, nc, D)
  const at::Tensor key_start = positions.key_start.view({b, 1});
  const at::Tensor block_end = at::arange(nc, long_opts) * s.stride + (s.block - 1);   // (nc,) relative
  const at::Tensor sel_start = at::arange(ns, long_opts) * s.select_block;            // (ns,) relative
  const at::Tensor in_block = at::arange(s.select_block, long_opts);                  // (l',)
  const int64_t per_query = b * (h * (2 * nc + 2 * sel_tokens) + hkv * (3 * ns + 2 * sel_tokens * d));
  const int64_t budget = q.is_cuda() ? kChunkElementsCuda : kChunkElementsCpu;
  const int64_t chunk = std::max<int64_t>(1, budget / std::max<int64_t>(1, per_query));
  std::vector<at::Tensor> cmp_out, slc_out;
  for (int64_t c0 = 0; c0 < tq; c0 += chunk) {
    const int64_t n = std::min(chunk, tq - c0);
    const at::Tensor rel = at::arange(positions.q_pos0 + c0, positions.q_pos0 + c0 + n, long_opts).view({1, n}) -
                           key_start;                                                  // (B, n)
    const at::Tensor real = rel >= 0, relc = rel.clamp_min(0);
    const at::Tensor qc = qg.narrow(3, c0, n);                                          // (B, Hkv, G, n, D)
    // Compressed branch: the blocks that end at or before the query.
    const at::Tensor seen = (block_end.view({1, 1, nc}) <= relc.unsqueeze(-1)) & real.unsqueeze(-1);  // (B, n, nc)
    const at::Tensor p_cmp = masked_softmax(at::matmul(qc, kcg.transpose(-2, -1)), seen.view({b, 1, 1, n, nc}));
    cmp_out.push_back(at::matmul(p_cmp, vcg));                                          // (B, Hkv, G, n, D)
    // Selection: the initial block and the two local ones, then the most important of the rest.
    const at::Tensor importance = selection_importance(p_cmp.sum(2), ns, s);            // (B, Hkv, n, ns)
    const at::Tensor own = at::div(relc, s.select_block, "floor").unsqueeze(-1);        // (B, n, 1)
    const at::Tensor j = at::arange(ns, long_opts).view({1, 1, ns});
    const at::Tensor eligible = (sel_start.view({1, 1, ns}) <= relc.unsqueeze(-1)) & real.unsqueeze(-1);
    const at::Tensor forced = eligible & ((j == 0) | (j == own) | (j == own - 1));       // (B, n, ns)
    const double inf = std::numeric_limits<double>::infinity();
    const at::Tensor score = at::where(forced.unsqueeze(1), inf,
                                       at::where(eligible.unsqueeze(1), importance, -inf));  // (B, Hkv, n, ns)
    // Stable: equal scores keep the lower block first (the reference's order).
    auto [ranked, order] = at::sort(score, /*stable=*/true, /*dim=*/-1, /*descending=*/true);
    const at::Tensor chosen = ranked.narrow(-1, 0, nsel) > -inf;                          // (B, Hkv, n, nsel)
    const at::Tensor token_rel = order.narrow(-1, 0, nsel).unsqueeze(-1) * s.select_block + in_block;  // (.., nsel, l')
    const at::Tensor visible = (chosen.unsqueeze(-1) & (token_rel <= relc.view({b, 1, n, 1, 1})))
                                   .view({b, hkv, n, 1, sel_tokens});
    const at::Tensor token = (token_rel + key_start.view({b, 1, 1, 1, 1})).clamp(0, tk - 1).view({b, hkv, n * sel_tokens});
    const at::Tensor ks = gather_tokens(k, token).to(gathered).view({b, hkv, n, sel_tokens, d});
    const at::Tensor vs = gather_tokens(v, token).to(gathered).view({b, hkv, n, sel_tokens, d});
    const at::Tensor scores = at::matmul(qc.transpose(2, 3).to(gathered), ks.transpose(-2, -1)).to(type);
    const at::Tensor p_slc = masked_softmax(scores, visible);                             // (B, Hkv, n, G, S)
    slc_out.push_back(at::matmul(p_slc.to(gathered), vs).to(type).transpose(2, 3));      // (B, Hkv, G, n, D)
  }
  return {at::cat(cmp_out, 3).reshape({b, h, tq, d}), at::cat(slc_out, 3).reshape({b, h, tq, d}), "aten"};
}

at::Tensor nsa_gates(const at::Tensor& q, const at::Tensor& weight, const at::Tensor& bias) {
  const int64_t h = q.size(1);
  return at::sigmoid(at::matmul(q, weight.transpose(1, 2)) + bias.view({1, h, 1, 3}));  // (B, H, Tq, 3)
}

}  // namespace gptbench::attention
