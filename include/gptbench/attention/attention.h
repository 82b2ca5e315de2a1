// The attention interface every implementation (standard, sdpa, flash) honours, and the
// positions/mask description they share. Semantics, one place for all of them:
//
// Positions live on one "padded time" axis shared by the batch. Query i has position
// q_pos0 + i. Key j has position j (contiguous keys: prefill, dense KV cache) unless
// key_pos is defined (rolling cache: slot j holds position key_pos[b][j], -1 = empty).
// key_start[b] is the first real (non-padding) position of row b (left padding).
// Key visible to query iff  key_start[b] <= kpos <= qpos  and
//   (window == 0 or qpos - kpos < window or kpos - key_start[b] < global_tokens).
// ALiBi adds -slope[h] * (qpos - kpos) to the scaled score. Softmax is in fp32.
// A query with no visible key (a padding query) outputs exactly 0.
#pragma once

#include <ATen/core/Tensor.h>  // at::Tensor
#include <c10/core/Device.h>      // c10::Device
#include <c10/core/ScalarType.h>  // c10::ScalarType

#include <cstdint>  // int64_t
#include <memory>   // std::unique_ptr
#include <optional>  // std::optional
#include <string>   // std::string
#include <utility>  // std::pair
#include <vector>   // std::vector

#include "gptbench/attention/learned_spec.h"     // LearnedSpec
#include "gptbench/attention/recurrent_state.h"  // RecurrentState

#include "gptbench/kernels/flash_arch.h"  // FlashArch

namespace gptbench::attention {

enum class Kernel { kStandard, kSdpa, kFlash };
enum class PositionMode { kLearned, kAlibi, kAlibiWithLearned };  // kAlibi: no wpe

// What a variant string such as "flash+alibi+sparse" means.
struct AttentionSpec {
  Kernel kernel = Kernel::kStandard;
  PositionMode positions = PositionMode::kLearned;
  int64_t window = 0;         // 0 = dense causal; W = query sees itself and the W-1 keys before it
  int64_t global_tokens = 0;  // sink tokens (only with a window)
  LearnedSpec learned;        // maskmix / performer (then kernel is kStandard, no modifier)
  kernels::FlashArch flash_arch = kernels::FlashArch::kAuto;  // flash only: which prefill kernel (--flash-arch)

  bool alibi() const { return positions != PositionMode::kLearned; }
  bool uses_learned_positions() const { return positions != PositionMode::kAlibi; }
  bool sparse() const { return window > 0; }
};

// Per-forward-call position information, shared by every layer.
struct AttentionPositions {
  at::Tensor key_start;     // (B,) int64 on the model's device
  int64_t q_pos0 = 0;       // position of query 0
  at::Tensor key_pos;       // undefined, or (B, Tk) int64 for a rolling cache
  bool left_padded = true;  // false only when every key_start is 0 (lets SDPA skip the mask)
  // Undefined, or (1,) int64 on the device: query 0's position, read there instead of q_pos0
  // (single-token decode replayed from a CUDA graph). Only the flash kernel takes it; the
  // keys are then the whole cache buffer and the kernel bounds them by this position.
  at::Tensor q_pos{};
};

class AttentionImpl {
 public:
  virtual ~AttentionImpl() = default;
  // q: (B, H, Tq, D); k, v: (B, Hkv, Tk, D) with H % Hkv == 0 (grouped-query attention: query head
  // h reads key/value head h / (H / Hkv); Hkv == H is multi-head attention; no implementation copies
  // K or V to serve a group); slopes: (H,) fp32 or undefined. Returns (B, H, Tq, D).
  virtual at::Tensor forward(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                             const AttentionPositions& positions, const at::Tensor& slopes) = 0;
  // The kernel that actually ran in the last forward, e.g. "standard", "sdpa:flash", "flash:fwd_hd64_causal".
  virtual std::string last_kernel() const = 0;
  // Learned tensors of one layer (maskmix: "maskmix_logits" (H, windows); nsa: its compression and gates),
  // made once: the layer registers them as its attention's parameters (checkpoint key h.{i}.attn.<name>) so
  // that they train, load and save with it. Only for spec.learned.per_layer(), whose models make one
  // implementation per layer.
  virtual std::vector<std::pair<std::string, at::Tensor>> make_layer_parameters(int64_t n_head, int64_t head_dim);
  // spec.learned.recurrent() only: q, k, v (B, H, T, D) are T new tokens at positions q_pos0 onwards,
  // folded into `state` (decode without a KV cache). Returns (B, H, T, D).
  virtual at::Tensor forward_recurrent(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                       const AttentionPositions& positions, RecurrentState& state);
};

std::unique_ptr<AttentionImpl> make_attention(const AttentionSpec& spec);

// Throws UsageError when the variant cannot run with this head count, head dim, dtype and device
// (for flash: asks the kernel selection function), or when n_head is not a multiple of n_kv_head
// (the key/value heads; n_head when not given). Called before a model is loaded.
void check_supported(const AttentionSpec& spec, int64_t n_head, int64_t head_dim, c10::ScalarType dtype,
                     c10::Device device, std::optional<int64_t> n_kv_head = std::nullopt);
// The brute-force reference used by tests: explicit fp32 attention with one full Tq x Tk mask.
std::unique_ptr<AttentionImpl> make_reference_attention(const AttentionSpec& spec);

}  // namespace gptbench::attention
