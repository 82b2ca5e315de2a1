// The options of the learned and linear attention variants, `--variant maskmix`, `--variant
// performer` and `--variant nsa` (docs/variants.md defines what each computes). Each is a whole
// variant: it composes with no kernel or modifier.
#pragma once

#include <cstdint>  // int64_t, uint64_t
#include <vector>   // std::vector

namespace gptbench::attention {

enum class LearnedKind { kNone, kMaskMix, kPerformer, kNsa };

inline constexpr int64_t kMaskMixAll = 0;  // the window that holds every earlier key ("all")
inline const std::vector<int64_t> kDefaultMaskMixWindows = {1, 4, 16, 64, 256, kMaskMixAll};
inline constexpr int64_t kDefaultFeatures = 256;  // performer's m when --features is not given
inline constexpr int64_t kPerformerChunk = 64;    // performer's prefill chunk

// NSA's block sizes, stride, selected-block count and window (Yuan et al. 2025): the paper's defaults.
struct NsaSizes {
  int64_t block = 32;         // l: tokens per compressed block (--nsa-block)
  int64_t stride = 16;        // d: tokens between compressed blocks' starts, d <= l (--nsa-stride)
  int64_t select_block = 64;  // l': tokens per selection block (--nsa-select-block)
  int64_t topk = 16;          // n: selected blocks per query, the initial and 2 local ones included (--nsa-topk)
  int64_t window = 512;       // w: the sliding window branch's keys, the query's own included (--nsa-window)
};

// nsa's per-layer parameters, checkpoint keys h.{i}.attn.<name> (docs/variants.md): the compression of
// keys and values (weight (D, l*D), intra-block position embedding (l, D)) and the gates ((H, 3, D), (H, 3)).
inline constexpr const char* kNsaParameterNames[] = {"nsa_cmp_k_weight", "nsa_cmp_k_pos",   "nsa_cmp_v_weight",
                                                     "nsa_cmp_v_pos",    "nsa_gate_weight", "nsa_gate_bias"};

// The options that define what a trained learned variant computes: config.json records them
// (learned_options.h has their keys and flags), the flags may state them.
enum class LearnedOption { kMaskMixWindows, kFeatures, kFeatureSeed, kNsaBlock, kNsaStride, kNsaSelectBlock, kNsaTopk, kNsaWindow };

struct LearnedSpec {
  LearnedKind kind = LearnedKind::kNone;
  std::vector<int64_t> maskmix_windows;  // maskmix: strictly increasing, kMaskMixAll (last) = every key
  int64_t features = 0;                  // performer: random features m
  uint64_t feature_seed = 0;             // performer: the draw of the features ω
  NsaSizes nsa;                          // nsa: block sizes, stride, top-n, window
  // The options stated rather than defaulted (a bit per LearnedOption): by a flag, or by the checkpoint's
  // record (config.json), whose values replace defaults at load and refuse conflicting flags.
  uint32_t stated = 0;

  bool is_stated(LearnedOption o) const { return ((stated >> static_cast<unsigned>(o)) & 1u) != 0; }
  void state(LearnedOption o) { stated |= 1u << static_cast<unsigned>(o); }

  // The implementation holds one layer's learned parameters: a model makes one per layer.
  bool per_layer() const { return kind == LearnedKind::kMaskMix || kind == LearnedKind::kNsa; }
  // Decode keeps attention::RecurrentState per layer instead of a KV cache.
  bool recurrent() const { return kind == LearnedKind::kPerformer; }
};

}  // namespace gptbench::attention
