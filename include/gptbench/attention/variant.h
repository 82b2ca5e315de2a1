// The variant registry: parses and lists variant names such as "flash+alibi+sparse".
// Grammar: an optional kernel (standard | sdpa | flash; default standard) and modifiers
// (alibi | alibi-wpe | sparse) joined with '+', each at most once, in any order; or one learned
// variant alone (maskmix | performer | nsa: learned_spec.h, docs/variants.md).
#pragma once

#include <cstdint>   // int64_t
#include <optional>  // std::optional
#include <string>   // std::string
#include <vector>   // std::vector

#include "gptbench/attention/attention.h"  // AttentionSpec

namespace gptbench::attention {

inline constexpr int64_t kDefaultWindow = 256;  // sparse window when --window is not given

struct VariantFlags {
  std::optional<int64_t> window;         // --window, when given
  std::optional<int64_t> global_tokens;  // --global-tokens, when given
  std::optional<std::string> maskmix_windows = std::nullopt;  // --maskmix-windows, e.g. "1,4,16,64,256,all"
  std::optional<int64_t> features = std::nullopt;             // --features: performer's m
  std::optional<uint64_t> feature_seed = std::nullopt;        // --feature-seed: performer's draw
  std::optional<int64_t> nsa_block = std::nullopt;            // --nsa-block: nsa's compressed block l
  std::optional<int64_t> nsa_stride = std::nullopt;           // --nsa-stride: nsa's compression stride d
  std::optional<int64_t> nsa_select_block = std::nullopt;     // --nsa-select-block: nsa's selection block l'
  std::optional<int64_t> nsa_topk = std::nullopt;             // --nsa-topk: nsa's selected blocks n
  std::optional<int64_t> nsa_window = std::nullopt;           // --nsa-window: nsa's sliding window w
};

// Throws UsageError naming the flag and listing valid names for anything unknown or inconsistent.
AttentionSpec parse_variant(const std::string& name, const VariantFlags& flags = {});

// The canonical name of a spec ("flash+alibi+sparse"); parse_variant(variant_name(s)) == s up to flags.
std::string variant_name(const AttentionSpec& spec);

struct VariantInfo {
  std::string name;
  std::string description;
};
// Every kernel x modifier combination with a one-line description of what it computes.
std::vector<VariantInfo> list_variants();

}  // namespace gptbench::attention
