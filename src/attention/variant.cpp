// Variant name parsing: one table of kernels and one of modifiers.
#include "gptbench/attention/variant.h"

#include <fmt/format.h>  // fmt::format

#include <sstream>  // std::stringstream

#include "gptbench/util/error.h"  // UsageError

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

std::string valid_names() {
  std::string s;
  for (const auto& k : kKernels) s += fmt::format("{}{}", s.empty() ? "" : ", ", k.name);
  for (const auto& m : kModifiers) s += fmt::format(", {}", m.name);
  return s;
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
  return out;
}

}  // namespace gptbench::attention
