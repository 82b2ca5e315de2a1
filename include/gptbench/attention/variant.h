// The variant registry: parses and lists variant names such as "flash+alibi+sparse".
// Grammar: an optional kernel (standard | sdpa | flash; default standard) and modifiers
// (alibi | alibi-wpe | sparse) joined with '+', each at most once, in any order.
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
