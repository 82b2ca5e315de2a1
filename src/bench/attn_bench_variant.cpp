// attn-bench's variant names onto the registry's spec plus a forced SDPA backend.
#include "attn_bench_variant.h"

#include <ATen/Context.h>  // at::globalContext (SDPA backend switches)
#include <fmt/format.h>    // fmt::format

#include "gptbench/attention/variant.h"  // parse_variant
#include "gptbench/util/error.h"         // UsageError

namespace gptbench::bench {
namespace {

struct ForcedBackend {
  const char* name;  // what follows "sdpa-"
  at::SDPBackend backend;
};
constexpr ForcedBackend kForcedBackends[] = {
    {"flash", at::SDPBackend::flash_attention},
    {"cudnn", at::SDPBackend::cudnn_attention},
    {"efficient", at::SDPBackend::efficient_attention},
    {"math", at::SDPBackend::math},
};

std::string valid_kernels() {
  std::string s = "flash, sdpa";
  for (const ForcedBackend& b : kForcedBackends) s += fmt::format(", sdpa-{}", b.name);
  return s;
}

}  // namespace

AttnVariant parse_attn_variant(const std::string& name) {
  AttnVariant v;
  v.name = name;
  const size_t plus = name.find('+');
  const std::string kernel = name.substr(0, plus);
  const std::string modifiers = plus == std::string::npos ? "" : name.substr(plus);
  std::string registry_kernel = kernel;
  if (kernel.rfind("sdpa-", 0) == 0) {
    for (const ForcedBackend& b : kForcedBackends)
      if (kernel == fmt::format("sdpa-{}", b.name)) v.sdpa_backend = b.backend;
    if (!v.sdpa_backend)
      throw UsageError(fmt::format("--variants {}: unknown kernel \"{}\" (valid: {}; modifiers +alibi, +sparse)", name,
                                   kernel, valid_kernels()));
    registry_kernel = "sdpa";
  }
  try {
    v.spec = attention::parse_variant(registry_kernel + modifiers);
  } catch (const UsageError& e) {
    throw UsageError(fmt::format("--variants {}: {}", name, e.what()));
  }
  if (v.spec.kernel == attention::Kernel::kStandard)
    throw UsageError(fmt::format("--variants {}: attn-bench times flash and SDPA (valid kernels: {})", name,
                                 valid_kernels()));
  return v;
}

SdpaBackendScope::SdpaBackendScope(at::SDPBackend only) {
  auto& ctx = at::globalContext();
  saved_ = {ctx.userEnabledFlashSDP(), ctx.userEnabledCuDNNSDP(), ctx.userEnabledMemEfficientSDP(),
            ctx.userEnabledMathSDP()};
  ctx.setSDPUseFlash(only == at::SDPBackend::flash_attention);
  ctx.setSDPUseCuDNN(only == at::SDPBackend::cudnn_attention);
  ctx.setSDPUseMemEfficient(only == at::SDPBackend::efficient_attention);
  ctx.setSDPUseMath(only == at::SDPBackend::math);
}

SdpaBackendScope::~SdpaBackendScope() {
  auto& ctx = at::globalContext();
  ctx.setSDPUseFlash(std::get<0>(saved_));
  ctx.setSDPUseCuDNN(std::get<1>(saved_));
  ctx.setSDPUseMemEfficient(std::get<2>(saved_));
  ctx.setSDPUseMath(std::get<3>(saved_));
}

}  // namespace gptbench::bench
