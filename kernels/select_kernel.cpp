// select_attention_kernel: the single answer to "supported?" and "which kernel runs?".
// The op calls it before every launch, so the two can never disagree.
#include <fmt/format.h>  // fmt::format

#include <string>  // std::string

#include "attention_inputs.h"             // window_active, mask_policy
#include "flash_config.h"                 // prefill_tiles (tile sizes in the kernel name)
#include "gptbench/attention/flash_op.h"  // AttentionProblem, KernelChoice


namespace gptbench::attention {
namespace {

const char* policy_name(kernels::MaskPolicy p) {
  switch (p) {
    case kernels::MaskPolicy::kCausal: return "causal";
    case kernels::MaskPolicy::kAlibi: return "alibi";
    case kernels::MaskPolicy::kWindow: return "window";
    case kernels::MaskPolicy::kAlibiWindow: return "alibi_window";
  }
  return "unknown";
}

KernelChoice unsupported(std::string reason) { return KernelChoice{false, "", std::move(reason)}; }

}  // namespace

bool flash_kernels_compiled() {
#ifdef GPTBENCH_HAVE_FLASH_KERNELS
  return true;
#else
  return false;
#endif
}

KernelChoice select_attention_kernel(const AttentionProblem& pr) {
  const bool window = detail::window_active(pr.window, pr.q_pos0, pr.q_len);
  const auto policy = detail::mask_policy(pr.bias == ScoreBias::kAlibi, window);

  if (pr.device == c10::DeviceType::CPU) {
    const char* compute = pr.dtype == c10::ScalarType::Double ? "fp64" : "fp32";
    return KernelChoice{true, fmt::format("cpu_reference_{}_{}", compute, policy_name(policy)),
                        "naive ATen math (the test reference)"};
  }
  if (pr.device != c10::DeviceType::CUDA) {
    return unsupported(fmt::format("device {} is not supported (CPU reference or CUDA flash kernels only)",
                                   c10::DeviceTypeName(pr.device)));
  }
#ifndef GPTBENCH_HAVE_FLASH_KERNELS
  return unsupported("flash kernels not compiled in this build (configured without nvcc)");
#else
  const char* dtype = nullptr;
  if (pr.dtype == c10::ScalarType::Half) dtype = "fp16";
  if (pr.dtype == c10::ScalarType::BFloat16) dtype = "bf16";
  if (dtype == nullptr) {
    return unsupported(fmt::format("dtype {} is not supported by the flash kernels (fp16 or bf16 only)",
                                   c10::toString(pr.dtype)));
  }
  if (pr.head_dim != 64 && pr.head_dim != 128) {
    return unsupported(fmt::format("head dim {} is not supported by the flash kernels (64 or 128)", pr.head_dim));
  }
  if (pr.sm_version != 0 && pr.sm_version < 80) {
    return unsupported(fmt::format("CUDA device {} is sm_{}; the flash kernels need sm_80 or newer", pr.device_index,
                                   pr.sm_version));
  }
  if (pr.q_len == 1) {
    return KernelChoice{true,
                        fmt::format("flash_decode_splitkv_{}_d{}_{}{}", dtype, pr.head_dim, policy_name(policy),
                                    pr.key_layout == KeyLayout::kRolling ? "_rolling" : ""),
                        "one query per row: split-KV decode + log-sum-exp combine"};
  }
  if (pr.key_layout == KeyLayout::kRolling) {
    return unsupported(fmt::format("key_pos (rolling cache) needs Tq == 1 (decode), got Tq = {}; "
                                   "prefill takes contiguous keys",
                                   pr.q_len));
  }
  const kernels::PrefillTiles tiles = kernels::prefill_tiles(static_cast<int>(pr.head_dim), policy);
  return KernelChoice{true,
                      fmt::format("flash_prefill_{}_d{}_bm{}_bn{}_{}", dtype, pr.head_dim, tiles.block_m, tiles.block_n,
                                  policy_name(policy)),
                      "fused prefill (mma.sync m16n8k16, cp.async double buffering)"};
#endif
}

}  // namespace gptbench::attention
