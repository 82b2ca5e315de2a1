// `--variant nsa`: Native Sparse Attention (Yuan et al. 2025; docs/variants.md): per head, gates
// g = sigmoid(W_g q + b_g) mix a compressed-block branch, a top-n selected-block branch (both
// nsa_branches.h: our CUDA kernels where they take the call, ATen otherwise) and a sliding-window
// branch (our flash kernel where its selection supports the call, the banded standard attention
// otherwise). Decodes from the dense KV cache; the compressed keys and values of a generation are kept
// between calls and extended block by block.
#pragma once

#include <ATen/core/Tensor.h>  // at::Tensor

#include <cstdint>  // int64_t
#include <memory>   // std::unique_ptr
#include <string>   // std::string
#include <utility>  // std::pair
#include <vector>   // std::vector

#include "gptbench/attention/attention.h"     // AttentionImpl, AttentionSpec
#include "gptbench/attention/learned_spec.h"  // NsaSizes

namespace gptbench::attention {

// The gates' start: the compressed branch at sigmoid(-4) = 0.018, the selected and window branches
// sharing the rest equally, so that the three gates sum to 1 and the start is a convex mixture (at
// T <= min(w, n * l') both of those branches are the dense causal attention).
inline constexpr double kNsaCmpGateLogit = -4.0;

class NsaAttention final : public AttentionImpl {
 public:
  explicit NsaAttention(const AttentionSpec& spec);
  ~NsaAttention() override;
  // Keys at positions 0 .. Tk - 1 (no rolling cache), queries the last Tq of them.
  at::Tensor forward(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                     const AttentionPositions& positions, const at::Tensor& slopes) override;
  // "nsa_l32_d16_sel64_n16_w512:<sparse>+<window>": the sparse branches' kernels ("aten", or
  // "nsa_select_fp16_d64") and the window branch's ("flash:...", or "standard").
  std::string last_kernel() const override;
  // kNsaParameterNames: compression as mean pooling (weight [I/l ... I/l], positions 0), gates at rest.
  std::vector<std::pair<std::string, at::Tensor>> make_layer_parameters(int64_t n_head, int64_t head_dim) override;

 private:
  // (B, Hkv, nc, D) x2 in the compute type: the compressed blocks of k and v, reused across the calls
  // of one generation while no gradient is recorded (decode), recomputed otherwise.
  std::pair<at::Tensor, at::Tensor> compressed(const at::Tensor& k, const at::Tensor& v,
                                               const AttentionPositions& positions, c10::ScalarType type);
  // The window branch's implementation for this call: q (B, H, Tq, D), k (B, Hkv, Tk, D).
  AttentionImpl& window_for(const at::Tensor& q, const at::Tensor& k, const AttentionPositions& positions);

  NsaSizes sizes_;
  AttentionSpec window_spec_;  // the window branch's attention: causal, window w, no position bias
  std::unique_ptr<AttentionImpl> window_;
  std::string sparse_kernel_ = "aten";  // what computed the last call's compressed and selected branches
  at::Tensor cmp_k_weight_, cmp_k_pos_, cmp_v_weight_, cmp_v_pos_;  // (D, l*D), (l, D)
  at::Tensor gate_weight_, gate_bias_;                              // (H, 3, D), (H, 3)
  struct Compressed {
    const void* keys = nullptr;  // the cache buffer they came from (a reorder or a new cache moves it)
    const void* values = nullptr;
    at::Tensor key_start;        // the generation's (B,) key_start
    int64_t key_start_max = 0;
    int64_t next_pos = -1;       // the keys they cover: positions before this
    at::Tensor k, v;             // (B, Hkv, nc, D)
  } memo_;
};

}  // namespace gptbench::attention
