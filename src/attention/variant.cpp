// Variant name parsing: one table of kernels and one of modifiers.
#include "gptbench/attention/variant.h"

#include <fmt/format.h>  // fmt::format

#include <exception>  // std::exception
#include <sstream>    // std::stringstream
#include <string>     // std::stoll
#include <utility>    // std::pair

#include "gptbench/attention/learned_options.h"  // maskmix_windows_problem
#include "gptbench/util/error.h"                 // UsageError

namespace gptbench::attention {
namespace {

struct KernelName {
  const char* name;
  Kernel kernel;
  const char* description;
};
constexpr KernelName kKernels[] = {
    {"standard", Kernel::kStandard, "explicit QK^T, mask, fp32 softmax, V (the reference)"},
    {"sdpa", Kernel::kSdpa, "at::scaled_dot_product_attention (the backend PyTorch picks is recorded)"},
    {"flash", Kernel::kFlash, "gptbench's own fused CUDA kernel"},
};

struct ModifierName {
  const char* name;
  const char* description;
};
constexpr ModifierName kModifiers[] = {
    {"alibi", "ALiBi distance bias, replaces the learned position embeddings"},
    {"alibi-wpe", "ALiBi distance bias, keeps the learned position embeddings"},
    {"sparse", "sliding-window causal attention (--window W, --global-tokens G)"},
};

struct LearnedName {
  const char* name;
  LearnedKind kind;
  const char* description;
};
constexpr LearnedName kLearned[] = {
    {"maskmix", LearnedKind::kMaskMix,
     "learned per-head sigmoid mixture of causal windows as a score bias (--maskmix-windows; starts as standard)"},
    {"performer", LearnedKind::kPerformer,
     "FAVOR+ causal linear attention, positive orthogonal random features (--features, --feature-seed); decodes "
     "from a constant-size state, no KV cache"},
    {"nsa", LearnedKind::kNsa,
     "Native Sparse Attention: gated compressed-block, top-n selected-block and sliding-window branches "
     "(--nsa-block, --nsa-stride, --nsa-select-block, --nsa-topk, --nsa-window)"},
};

std::string valid_names() {
  std::string s;
  for (const auto& k : kKernels) s += fmt::format("{}{}", s.empty() ? "" : ", ", k.name);
  for (const auto& m : kModifiers) s += fmt::format(", {}", m.name);
  for (const auto& l : kLearned) s += fmt::format(", {} (alone)", l.name);
  return s;
}

// "1,4,16,64,256,all" -> {1, 4, 16, 64, 256, kMaskMixAll}: positive and strictly increasing, "all" last.
std::vector<int64_t> parse_maskmix_windows(const std::string& text) {
  std::vector<int64_t> windows;
  std::stringstream items(text);
  std::string item;
  while (std::getline(items, item, ',')) {
    int64_t w = kMaskMixAll;
    if (item != "all") {
      size_t used = 0;
      try {
        w = std::stoll(item, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used == 0 || used != item.size() || w < 1)
        throw UsageError(fmt::format("--maskmix-windows {}: \"{}\" is not a positive window size or \"all\"", text, item));
    }
    windows.push_back(w);
  }
  if (windows.empty() || text.back() == ',')
    throw UsageError(fmt::format("--maskmix-windows \"{}\": give window sizes and/or \"all\", e.g. 1,4,16,all", text));
  const std::string problem = maskmix_windows_problem(windows);
  if (!problem.empty()) throw UsageError(fmt::format("--maskmix-windows {}: {}", text, problem));
  return windows;
}

// nsa's sizes: each flag refused unless the variant is nsa; l >= d >= 1, n >= 3 (the initial block and the
// two local blocks are always selected), everything positive.
void apply_nsa_flags(AttentionSpec& spec, const std::string& name, const VariantFlags& flags) {
  struct Given {
    const char* flag;
    LearnedOption option;
    const std::optional<int64_t>* value;
  };
  const Given given[] = {{"nsa-block", LearnedOption::kNsaBlock, &flags.nsa_block},
                         {"nsa-stride", LearnedOption::kNsaStride, &flags.nsa_stride},
                         {"nsa-select-block", LearnedOption::kNsaSelectBlock, &flags.nsa_select_block},
                         {"nsa-topk", LearnedOption::kNsaTopk, &flags.nsa_topk},
                         {"nsa-window", LearnedOption::kNsaWindow, &flags.nsa_window}};
  for (const auto& [flag, option, value] : given) {
    if (value->has_value() && spec.learned.kind != LearnedKind::kNsa)
      throw UsageError(fmt::format("--{} given, but variant {} is not nsa", flag, name));
    if (value->has_value() && **value < 1) throw UsageError(fmt::format("--{} must be at least 1, got {}", flag, **value));
    if (value->has_value()) spec.learned.state(option);
  }
  if (spec.learned.kind != LearnedKind::kNsa) return;
  NsaSizes& n = spec.learned.nsa;
  n.block = flags.nsa_block.value_or(n.block);
  n.stride = flags.nsa_stride.value_or(n.stride);
  n.select_block = flags.nsa_select_block.value_or(n.select_block);
  n.topk = flags.nsa_topk.value_or(n.topk);
  n.window = flags.nsa_window.value_or(n.window);
  if (n.stride > n.block)
    throw UsageError(fmt::format("--nsa-stride {} is larger than --nsa-block {}: compression would skip tokens",
                                 n.stride, n.block));
  if (n.topk < 3)
    throw UsageError(fmt::format("--nsa-topk must be at least 3 (the initial block and the two local blocks are always "
                                 "selected), got {}",
                                 n.topk));
}

// The learned-variant flags: each refused unless its variant is chosen.
void apply_learned_flags(AttentionSpec& spec, const std::string& name, const VariantFlags& flags) {
  const LearnedKind kind = spec.learned.kind;
  if (flags.maskmix_windows && kind != LearnedKind::kMaskMix)
    throw UsageError(fmt::format("--maskmix-windows given, but variant {} is not maskmix", name));
  if ((flags.features || flags.feature_seed) && kind != LearnedKind::kPerformer)
    throw UsageError(fmt::format("--{} given, but variant {} is not performer",
                                 flags.features ? "features" : "feature-seed", name));
  if (kind == LearnedKind::kMaskMix) {
    spec.learned.maskmix_windows =
        flags.maskmix_windows ? parse_maskmix_windows(*flags.maskmix_windows) : kDefaultMaskMixWindows;
    if (flags.maskmix_windows) spec.learned.state(LearnedOption::kMaskMixWindows);
  }
  if (kind == LearnedKind::kPerformer) {
    if (flags.features && *flags.features < 1)
      throw UsageError(fmt::format("--features must be at least 1, got {}", *flags.features));
    spec.learned.features = flags.features.value_or(kDefaultFeatures);
    spec.learned.feature_seed = flags.feature_seed.value_or(0);
    if (flags.features) spec.learned.state(LearnedOption::kFeatures);
    if (flags.feature_seed) spec.learned.state(LearnedOption::kFeatureSeed);
  }
  apply_nsa_flags(spec, name, flags);
}

}  // namespace

AttentionSpec parse_variant(const std::string& name, const VariantFlags& flags) {
  AttentionSpec spec;
  bool have_kernel = false, have_alibi = false, have_sparse = false;
  std::stringstream parts(name);
  std::string part;
  int count = 0;
  while (std::getline(parts, part, '+')) {
    ++count;
    bool known = false;
    for (const auto& l : kLearned) {
      if (part != l.name) continue;
      if (spec.learned.kind != LearnedKind::kNone)
        throw UsageError(fmt::format("--variant {}: more than one learned variant", name));
      spec.learned.kind = l.kind;
      known = true;
    }
    for (const auto& k : kKernels) {
      if (part != k.name) continue;
      if (have_kernel)
        throw UsageError(fmt::format("--variant {}: more than one kernel (pick one of standard, sdpa, flash)", name));
      spec.kernel = k.kernel;
      have_kernel = known = true;
    }
    if (part == "alibi" || part == "alibi-wpe") {
      if (have_alibi) throw UsageError(fmt::format("--variant {}: alibi given twice", name));
      spec.positions = part == "alibi" ? PositionMode::kAlibi : PositionMode::kAlibiWithLearned;
      have_alibi = known = true;
    } else if (part == "sparse") {
      if (have_sparse) throw UsageError(fmt::format("--variant {}: sparse given twice", name));
      have_sparse = known = true;
    }
    if (!known)
      throw UsageError(fmt::format("--variant {}: unknown part \"{}\" (valid parts, joined with '+': {}; see `gptbench variants`)",
                                   name, part, valid_names()));
  }
  if (count == 0 || name.back() == '+')
    throw UsageError(fmt::format("--variant \"{}\": empty variant name (valid parts: {})", name, valid_names()));
  if (spec.learned.kind != LearnedKind::kNone && count > 1)
    throw UsageError(fmt::format("--variant {}: maskmix, performer and nsa are whole variants and compose with no "
                                 "kernel or modifier: give one alone",
                                 name));
  apply_learned_flags(spec, name, flags);
  if (flags.window && *flags.window < 1)
    throw UsageError(fmt::format("--window must be at least 1, got {}", *flags.window));
  if (flags.global_tokens && *flags.global_tokens < 0)
    throw UsageError(fmt::format("--global-tokens must be at least 0, got {}", *flags.global_tokens));
  if (have_sparse) {
    spec.window = flags.window.value_or(kDefaultWindow);
    spec.global_tokens = flags.global_tokens.value_or(0);
  } else if (flags.window) {
    throw UsageError(fmt::format("--window {} given, but variant {} has no 'sparse' modifier", *flags.window, name));
  } else if (flags.global_tokens) {
    throw UsageError(
        fmt::format("--global-tokens {} given, but variant {} has no 'sparse' modifier", *flags.global_tokens, name));
  }
  return spec;
}

std::string variant_name(const AttentionSpec& spec) {
  for (const auto& l : kLearned)
    if (l.kind == spec.learned.kind) return l.name;
  std::string s;
  for (const auto& k : kKernels)
    if (k.kernel == spec.kernel) s = k.name;
  if (spec.positions == PositionMode::kAlibi) s += "+alibi";
  if (spec.positions == PositionMode::kAlibiWithLearned) s += "+alibi-wpe";
  if (spec.sparse()) s += "+sparse";
  return s;
}

std::vector<VariantInfo> list_variants() {
  std::vector<VariantInfo> out;
  const char* alibi_parts[] = {"", "alibi", "alibi-wpe"};
  for (const auto& k : kKernels) {
    for (const char* alibi : alibi_parts) {
      for (bool sparse : {false, true}) {
        std::string name = k.name, desc = k.description;
        if (*alibi) {
          name += std::string("+") + alibi;
          desc += std::string("; ") + (std::string(alibi) == "alibi" ? kModifiers[0].description : kModifiers[1].description);
        }
        if (sparse) {
          name += "+sparse";
          desc += std::string("; ") + kModifiers[2].description;
        }
        out.push_back({name, desc});
      }
    }
  }
  for (const auto& l : kLearned) out.push_back({l.name, l.description});
  return out;
}

}  // namespace gptbench::attention
