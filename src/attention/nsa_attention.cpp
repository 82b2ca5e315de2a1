// The nsa variant: parameters, the window branch's kernel, the compressed-block memo, the gated sum.
#include "nsa_attention.h"

#include <ATen/TensorOperators.h>  // Tensor operators
#include <ATen/ops/cat.h>          // at::cat
#include <ATen/ops/eye.h>          // at::eye
#include <ATen/ops/tensor.h>       // at::tensor
#include <ATen/ops/zeros.h>        // at::zeros
#include <c10/core/GradMode.h>     // c10::GradMode
#include <fmt/format.h>            // fmt::format

#include <algorithm>  // std::min
#include <cmath>      // std::exp, std::log
#include <iterator>   // std::size
#include <tuple>      // std::tie

#include "flash_attention.h"                // FlashAttention
#include "gptbench/attention/flash_op_options.h"  // flash_op_options
#include "gptbench/kernels/attention_op.h"  // flash_kernels_compiled, make_attention_problem, select_attention_kernel
#include "gptbench/util/check.h"            // GPTBENCH_CHECK
#include "nsa_branches.h"                   // nsa_compress, nsa_sparse_branches, nsa_gates, nsa_complete_blocks
#include "standard_attention.h"             // StandardAttention

namespace gptbench::attention {

NsaAttention::NsaAttention(const AttentionSpec& spec) : sizes_(spec.learned.nsa) {
  window_spec_.window = sizes_.window;
  window_spec_.flash_arch = spec.flash_arch;
}

NsaAttention::~NsaAttention() = default;

std::vector<std::pair<std::string, at::Tensor>> NsaAttention::make_layer_parameters(int64_t n_head, int64_t head_dim) {
  const int64_t l = sizes_.block, d = head_dim;
  auto mean_pool = [&] {
    at::Tensor w = at::zeros({d, l * d}, at::kFloat);
    for (int64_t r = 0; r < l; ++r) w.narrow(1, r * d, d).copy_(at::eye(d, at::kFloat) / static_cast<double>(l));
    return w;
  };
  cmp_k_weight_ = mean_pool();
  cmp_v_weight_ = mean_pool();
  cmp_k_pos_ = at::zeros({l, d}, at::kFloat);
  cmp_v_pos_ = at::zeros({l, d}, at::kFloat);
  gate_weight_ = at::zeros({n_head, 3, d}, at::kFloat);
  const double g_cmp = 1.0 / (1.0 + std::exp(-kNsaCmpGateLogit)), g_rest = (1.0 - g_cmp) / 2;
  const auto rest_logit = static_cast<float>(std::log(g_rest / (1.0 - g_rest)));
  gate_bias_ = at::tensor({static_cast<float>(kNsaCmpGateLogit), rest_logit, rest_logit}).repeat({n_head, 1});
  const at::Tensor* tensors[] = {&cmp_k_weight_, &cmp_k_pos_, &cmp_v_weight_, &cmp_v_pos_, &gate_weight_, &gate_bias_};
  std::vector<std::pair<std::string, at::Tensor>> out;
  for (size_t i = 0; i < std::size(kNsaParameterNames); ++i) out.push_back({kNsaParameterNames[i], *tensors[i]});
  return out;
}

AttentionImpl& NsaAttention::window_for(const at::Tensor& q, const at::Tensor& k, const AttentionPositions& positions) {
  // Our flash kernel where its selection supports this call (CUDA, fp16/bf16, its head dims), else the
  // banded standard attention: the same function the op asks decides, so "can run" is "will run".
  bool flash = q.is_cuda() && kernels::flash_kernels_compiled();
  if (flash) {
    AttentionSpec as_flash = window_spec_;
    as_flash.kernel = Kernel::kFlash;
    const kernels::AttentionProblem problem = kernels::make_attention_problem(
        q.device(), q.scalar_type(), {q.size(0), q.size(1), q.size(2), k.size(2), q.size(3), k.size(1)},
        flash_op_options(as_flash, positions, {}));
    flash = kernels::select_attention_kernel(problem).supported;
  }
  const Kernel kernel = flash ? Kernel::kFlash : Kernel::kStandard;
  if (!window_ || window_spec_.kernel != kernel) {
    window_spec_.kernel = kernel;
    window_ = flash ? std::unique_ptr<AttentionImpl>(std::make_unique<FlashAttention>(window_spec_))
                    : std::make_unique<StandardAttention>(window_spec_);
  }
  return *window_;
}

std::pair<at::Tensor, at::Tensor> NsaAttention::compressed(const at::Tensor& k, const at::Tensor& v,
                                                           const AttentionPositions& positions, c10::ScalarType type) {
  const at::Tensor wk = cmp_k_weight_.to(k.device(), type), pk = cmp_k_pos_.to(k.device(), type);
  const at::Tensor wv = cmp_v_weight_.to(k.device(), type), pv = cmp_v_pos_.to(k.device(), type);
  const int64_t tk = k.size(2);
  const int64_t blocks = nsa_complete_blocks(tk, sizes_);  // those of a row that starts at 0: the most
  auto compress = [&](int64_t first) {
    return std::make_pair(nsa_compress(k, wk, pk, positions.key_start, first, blocks - first, sizes_),
                          nsa_compress(v, wv, pv, positions.key_start, first, blocks - first, sizes_));
  };
  if (c10::GradMode::is_enabled()) {  // training: the compression is part of the graph, nothing kept
    memo_ = {};
    return compress(0);
  }
  const bool continues = memo_.keys == k.data_ptr() && memo_.values == v.data_ptr() &&
                         memo_.key_start.is_same(positions.key_start) && memo_.next_pos == positions.q_pos0 &&
                         memo_.k.scalar_type() == type && memo_.k.size(0) == k.size(0);
  if (!continues) {
    memo_ = {k.data_ptr(), v.data_ptr(), positions.key_start, positions.key_start.max().item<int64_t>(), 0, {}, {}};
    std::tie(memo_.k, memo_.v) = compress(0);
  } else {
    // Blocks complete for every row before this call stay; the rest (new, or partial for a padded row) are redone.
    const int64_t keep = std::min(nsa_complete_blocks(memo_.next_pos - memo_.key_start_max, sizes_), memo_.k.size(2));
    if (keep < blocks) {
      auto [fresh_k, fresh_v] = compress(keep);
      memo_.k = at::cat({memo_.k.narrow(2, 0, keep), fresh_k}, 2);
      memo_.v = at::cat({memo_.v.narrow(2, 0, keep), fresh_v}, 2);
    }
  }
  memo_.next_pos = tk;
  return {memo_.k, memo_.v};
}

at::Tensor NsaAttention::forward(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                 const AttentionPositions& positions, const at::Tensor& /*slopes*/) {
  GPTBENCH_CHECK(gate_weight_.defined(), "nsa attention ran before its layer made its parameters");
  GPTBENCH_CHECK(!positions.key_pos.defined() && !positions.q_pos.defined(),
                 "nsa reads contiguous keys from a dense KV cache at host positions (no rolling cache, no CUDA graph)");
  const c10::ScalarType type = nsa_compute_type(q);
  const auto [kc, vc] = compressed(k, v, positions, type);
  const NsaBranches sparse = nsa_sparse_branches(q, k, v, kc, vc, positions, sizes_);
  sparse_kernel_ = sparse.kernel;
  const at::Tensor win = window_for(q, k, positions).forward(q, k, v, positions, {}).to(type);
  const at::Tensor g =
      nsa_gates(q.to(type), gate_weight_.to(q.device(), type), gate_bias_.to(q.device(), type));  // (B, H, Tq, 3)
  const at::Tensor out = g.narrow(3, 0, 1) * sparse.cmp + g.narrow(3, 1, 1) * sparse.slc + g.narrow(3, 2, 1) * win;
  return out.to(q.scalar_type());
}

std::string NsaAttention::last_kernel() const {
  return fmt::format("nsa_l{}_d{}_sel{}_n{}_w{}:{}+{}", sizes_.block, sizes_.stride, sizes_.select_block,
                     sizes_.topk, sizes_.window, sparse_kernel_, window_ ? window_->last_kernel() : "standard");
}

}  // namespace gptbench::attention
