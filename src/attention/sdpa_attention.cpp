// SDPA with the cheapest mask form each case allows.
#include "sdpa_attention.h"

#include <ATen/SDPBackend.h>                       // at::SDPBackend
#include <ATen/TensorOperators.h>                  // Tensor operators
#include <ATen/ops/_fused_sdp_choice.h>            // at::_fused_sdp_choice
#include <ATen/ops/scaled_dot_product_attention.h> // at::scaled_dot_product_attention
#include <ATen/ops/where.h>                        // at::where
#include <ATen/ops/zeros.h>                        // at::zeros

#include "gptbench/attention/attention_mask.h"  // visibility_mask, alibi_additive_mask
#include "gptbench/kernels/grouped_query.h"     // check_grouped_heads

namespace gptbench::attention {

std::string sdpa_backend_name(int64_t backend) {
  switch (static_cast<at::SDPBackend>(backend)) {
    case at::SDPBackend::math: return "math";
    case at::SDPBackend::flash_attention: return "flash_attention";
    case at::SDPBackend::efficient_attention: return "efficient_attention";
    case at::SDPBackend::cudnn_attention: return "cudnn_attention";
    case at::SDPBackend::overrideable: return "overrideable";
    default: return "error";
  }
}

at::Tensor SdpaAttention::forward(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                  const AttentionPositions& positions, const at::Tensor& slopes) {
  const int64_t tq = q.size(2), tk = k.size(2);
  // Grouped-query attention: SDPA's own enable_gqa (its flash backends index the kv head; the math
  // backend repeats K and V, which is how PyTorch itself runs GQA there).
  kernels::check_grouped_heads("attention", q.size(1), k.size(1));
  const bool gqa = k.size(1) != q.size(1);
  const bool plain = !positions.q_pos.defined() && !positions.left_padded && !spec_.alibi() && !spec_.sparse() && !positions.key_pos.defined();
  // Plain causal prefill (queries start at position 0, Tq == Tk) or single-token decode: no mask at all.
  if (plain && ((tq == tk && positions.q_pos0 == 0) || tq == 1)) {
    const bool is_causal = tq > 1;
    last_kernel_ = "sdpa:" + sdpa_backend_name(at::_fused_sdp_choice(q, k, v, {}, 0.0, is_causal, {}, gqa));
    return at::scaled_dot_product_attention(q, k, v, {}, 0.0, is_causal, {}, gqa);
  }
  std::string backend;
  at::Tensor out = run_blocked(q, k, v, positions, spec_, Blocking::kAuto, [&](const AttentionBlock& blk) {
    at::Tensor visible = visibility_mask(blk.qk, positions, spec_).unsqueeze(1);  // (B, 1, n, m)
    at::Tensor mask = visible;
    if (spec_.alibi()) {
      mask = alibi_additive_mask(blk.qk, visible, slopes, q.scalar_type());  // (B, H, n, m), SDPA wants q's dtype
    }
    backend = sdpa_backend_name(at::_fused_sdp_choice(blk.q, blk.k, blk.v, mask, 0.0, false, {}, gqa));
    at::Tensor o = at::scaled_dot_product_attention(blk.q, blk.k, blk.v, mask, 0.0, false, {}, gqa);
    // Padding queries see no key; their output is defined as 0 (some backends give NaN there).
    return o.masked_fill(rows_without_keys(visible), 0.0);
  });
  last_kernel_ = "sdpa:" + backend + (spec_.alibi() ? "+additive-mask" : "+bool-mask");
  return out;
}

}  // namespace gptbench::attention
