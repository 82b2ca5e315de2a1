// Maps an AttentionSpec to its implementation.
#include <fmt/format.h>  // fmt::format

#include "gptbench/attention/attention.h"  // make_attention
#include "gptbench/util/error.h"           // Error
#include "sdpa_attention.h"                // SdpaAttention
#include "standard_attention.h"            // StandardAttention

namespace gptbench::attention {

std::unique_ptr<AttentionImpl> make_attention(const AttentionSpec& spec) {
  switch (spec.kernel) {
    case Kernel::kStandard:
      return std::make_unique<StandardAttention>(spec);
    case Kernel::kSdpa:
      return std::make_unique<SdpaAttention>(spec);
    case Kernel::kFlash:
      break;
  }
  throw Error("attention kernel not available in this build");
}

std::unique_ptr<AttentionImpl> make_reference_attention(const AttentionSpec& spec) {
  return std::make_unique<StandardAttention>(spec, Blocking::kDense);
}

}  // namespace gptbench::attention
