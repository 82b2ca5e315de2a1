// The options of the learned and linear attention variants, `--variant maskmix` and `--variant
// performer` (docs/variants.md defines what each computes). Each is a whole variant: it composes
// with no kernel or modifier.
#pragma once

#include <cstdint>  // int64_t, uint64_t
#include <vector>   // std::vector

namespace gptbench::attention {

enum class LearnedKind { kNone, kMaskMix, kPerformer };

inline constexpr int64_t kMaskMixAll = 0;  // the window that holds every earlier key ("all")
inline const std::vector<int64_t> kDefaultMaskMixWindows = {1, 4, 16, 64, 256, kMaskMixAll};
inline constexpr int64_t kDefaultFeatures = 256;  // performer's m when --features is not given
inline constexpr int64_t kPerformerChunk = 64;    // performer's prefill chunk

struct LearnedSpec {
  LearnedKind kind = LearnedKind::kNone;
  std::vector<int64_t> maskmix_windows;  // maskmix: strictly increasing, kMaskMixAll (last) = every key
  int64_t features = 0;                  // performer: random features m
  uint64_t feature_seed = 0;             // performer: the draw of the features ω

  // The implementation holds one layer's learned parameters: a model makes one per layer.
  bool per_layer() const { return kind == LearnedKind::kMaskMix; }
  // Decode keeps attention::RecurrentState per layer instead of a KV cache.
  bool recurrent() const { return kind == LearnedKind::kPerformer; }
};

}  // namespace gptbench::attention
