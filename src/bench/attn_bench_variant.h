// attn-bench's variants: names of the variant registry (gptbench/attention/variant.h) whose kernel
// is flash or sdpa, where sdpa may name the one SDPA backend it is forced to: sdpa-flash,
// sdpa-cudnn, sdpa-efficient, sdpa-math (bare sdpa lets PyTorch choose). Modifiers as the
// registry's: +alibi, +sparse (each cell's window comes from --window, its sinks from --global-tokens).
#pragma once

#include <ATen/SDPBackend.h>  // at::SDPBackend

#include <optional>  // std::optional
#include <string>    // std::string
#include <tuple>     // std::tuple

#include "gptbench/attention/attention.h"  // AttentionSpec

namespace gptbench::bench {

struct AttnVariant {
  std::string name;                             // as given, e.g. "sdpa-cudnn+alibi"
  attention::AttentionSpec spec;                // kernel flash or sdpa; window set per cell
  std::optional<at::SDPBackend> sdpa_backend;  // the only SDPA backend allowed; nullopt = PyTorch's choice

  // Our dense causal flash: what every row's flash_over_this compares against.
  bool is_dense_flash() const {
    return spec.kernel == attention::Kernel::kFlash && !spec.alibi() && !spec.sparse();
  }
};

// Throws UsageError naming --variants and listing the valid names for anything else.
AttnVariant parse_attn_variant(const std::string& name);

// Enables exactly one SDPA backend for its lifetime, restoring the previous switches after.
class SdpaBackendScope {
 public:
  explicit SdpaBackendScope(at::SDPBackend only);
  ~SdpaBackendScope();
  SdpaBackendScope(const SdpaBackendScope&) = delete;
  SdpaBackendScope& operator=(const SdpaBackendScope&) = delete;

 private:
  std::tuple<bool, bool, bool, bool> saved_;  // flash, cuDNN, memory-efficient, math
};

}  // namespace gptbench::bench
