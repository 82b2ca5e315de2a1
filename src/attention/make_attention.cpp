// Maps an AttentionSpec to its implementation.
#include <fmt/format.h>  // fmt::format

#include "gptbench/attention/attention.h"  // make_attention
#include "gptbench/util/error.h"           // Error
#include "standard_attention.h"            // StandardAttention

namespace gptbench::attention {

std::unique_ptr<AttentionImpl> make_attention(const AttentionSpec& spec) {
  switch (spec.kernel) {
    case Kernel::kStandard:
      return std::make_unique<StandardAttention>(spec);
    case Kernel::kSdpa:
    case Kernel::kFlash:
      break;
  }
  throw Error("attention kernel not available in this build");
}

}  // namespace gptbench::attention
