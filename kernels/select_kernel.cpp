// select_attention_kernel: the single answer to "supported?" and "which kernel runs?".
// The op calls it once per call (chosen_kernel.h), so the two can never disagree. What is
// compiled comes from the kernel table (flash_policies.h), tile sizes from flash_config.h.
#include <fmt/format.h>  // fmt::format

#include <optional>  // std::optional
#include <string>    // std::string
#include <utility>   // std::move

#include "attention_inputs.h"               // window_active, mask_policy, element_type_of
#include "flash_config.h"                   // PrefillConfig (tile sizes in the kernel name)
#include "flash_policies.h"                 // the kernel table, policy_name, visit_head_dim_and_policy
#include "flash_prefill_sm90_config.h"      // PrefillSm90Config (its tile sizes in the kernel name)
#include "gptbench/kernels/attention_op.h"  // AttentionProblem, KernelChoice, flash_sm90_kernels_compiled
#include "gptbench/kernels/flash_arch.h"    // FlashArch, kFlashArchNames
#include "gptbench/util/enum_names.h"       // enum_name

namespace gptbench::kernels {
namespace {

KernelChoice unsupported(std::string reason) { return KernelChoice{false, "", std::move(reason)}; }

// "fp16 or bf16", "64 or 128": a table's entries for a message.
template <typename Table, typename Name>
std::string one_of(const Table& table, Name name) {
  std::string s;
  for (const auto& entry : table) s += fmt::format("{}{}", s.empty() ? "" : " or ", name(entry));
  return s;
}

struct PrefillTiles {
  int block_m = 0, block_n = 0;
};

PrefillTiles prefill_tiles(int head_dim, MaskPolicy policy, FlashArch arch) {
  return visit_head_dim_and_policy(head_dim, policy, PrefillTiles{}, [arch](auto dim, auto pol) {
    using Sm80 = PrefillConfig<decltype(dim)::value, decltype(pol)::value>;
    using Sm90 = PrefillSm90Config<decltype(dim)::value, decltype(pol)::value>;
    return arch == FlashArch::kSm90 ? PrefillTiles{Sm90::kBlockM, Sm90::kBlockN}
                                    : PrefillTiles{Sm80::kBlockM, Sm80::kBlockN};
  });
}

// Why the sm_90a prefill kernel cannot run this problem; "" when it can.
std::string sm90_obstacle(const AttentionProblem& pr) {
  if (!flash_sm90_kernels_compiled()) return "this build has no sm_90a instances (CMAKE_CUDA_ARCHITECTURES lacks 90a)";
  if (pr.sm_version / 10 != 9) {
    return fmt::format("CUDA device {} is sm_{}; the sm_90a kernel needs sm_90", pr.device_index, pr.sm_version);
  }
  if (!pr.tma_layout) return "an input has a zero stride (a broadcast view), which TMA descriptors cannot describe";
  return "";
}

// The prefill kernel for pr: the caller's explicit choice, else sm_90a where it can run, else sm_80.
// An explicit sm90 that cannot run is unsupported, with the reason (never a silent fallback).
KernelChoice choose_prefill(const AttentionProblem& pr, MaskPolicy policy, const char* dtype, const std::string& gqa) {
  const std::string obstacle = sm90_obstacle(pr);
  if (pr.flash_arch == FlashArch::kSm90 && !obstacle.empty()) {
    return unsupported(fmt::format("flash_arch sm90 cannot run here: {}", obstacle));
  }
  const bool sm90 = pr.flash_arch != FlashArch::kSm80 && obstacle.empty();
  const FlashArch arch = sm90 ? FlashArch::kSm90 : FlashArch::kSm80;
  const PrefillTiles tiles = prefill_tiles(static_cast<int>(pr.head_dim), policy, arch);
  KernelChoice choice{true,
                      fmt::format("flash_prefill_{}{}_d{}_bm{}_bn{}_{}{}", sm90 ? "sm90_" : "", dtype, pr.head_dim,
                                  tiles.block_m, tiles.block_n, policy_name(policy), gqa),
                      sm90 ? "fused prefill (sm_90a: wgmma, TMA, warp-specialised persistent CTAs)"
                           : "fused prefill (mma.sync m16n8k16, cp.async double buffering)"};
  choice.prefill_arch = arch;
  return choice;
}

}  // namespace

bool flash_kernels_compiled() {
#ifdef GPTBENCH_HAVE_FLASH_KERNELS
  return true;
#else
  return false;
#endif
}

bool flash_sm90_kernels_compiled() {
#ifdef GPTBENCH_HAVE_FLASH_SM90_KERNELS
  return true;
#else
  return false;
#endif
}

KernelChoice select_attention_kernel(const AttentionProblem& pr) {
  const bool window = detail::window_active(pr.window, pr.q_pos0, pr.q_len);
  const MaskPolicy policy = detail::mask_policy(pr.bias == ScoreBias::kAlibi, window);

  if (pr.device != c10::DeviceType::CUDA && pr.flash_arch != FlashArch::kAuto) {
    return unsupported(fmt::format("flash_arch {} needs a CUDA device (got {})", enum_name(kFlashArchNames, pr.flash_arch),
                                   c10::DeviceTypeName(pr.device)));
  }
  if (pr.device == c10::DeviceType::CPU) {
    const char* compute = pr.dtype == c10::ScalarType::Double ? "fp64" : "fp32";
    return KernelChoice{true, fmt::format("cpu_reference_{}_{}", compute, policy_name(policy)),
                        "naive ATen math (the test reference)"};
  }
  if (pr.device != c10::DeviceType::CUDA) {
    return unsupported(fmt::format("device {} is not supported (CPU reference or CUDA flash kernels only)",
                                   c10::DeviceTypeName(pr.device)));
  }
  if (!flash_kernels_compiled()) return unsupported("flash kernels not compiled in this build (configured without nvcc)");
  const std::optional<ElementType> element = detail::element_type_of(pr.dtype);
  if (!element || !is_flash_element_type(*element)) {
    return unsupported(fmt::format("dtype {} is not supported by the flash kernels ({} only)",
                                   c10::toString(pr.dtype),
                                   one_of(kFlashElementTypes, [](const FlashElementType& e) { return e.name; })));
  }
  if (!is_flash_head_dim(static_cast<int>(pr.head_dim))) {
    return unsupported(fmt::format("head dim {} is not supported by the flash kernels ({})", pr.head_dim,
                                   one_of(kFlashHeadDims, [](int d) { return d; })));
  }
  if (pr.sm_version != 0 && pr.sm_version < 80) {
    return unsupported(fmt::format("CUDA device {} is sm_{}; the flash kernels need sm_80 or newer", pr.device_index,
                                   pr.sm_version));
  }
  const char* dtype = element_type_name(*element);
  // Grouped-query attention: "_gqa<G>" with G = H / Hkv query heads per key/value head (none when G = 1).
  const int64_t group = pr.kv_heads > 0 ? pr.heads / pr.kv_heads : 1;
  const std::string gqa = group > 1 ? fmt::format("_gqa{}", group) : "";
  if (pr.q_len == 1) {
    return KernelChoice{true,
                        fmt::format("flash_decode_splitkv_{}_d{}_{}{}{}", dtype, pr.head_dim, policy_name(policy),
                                    pr.key_layout == KeyLayout::kRolling ? "_rolling" : "", gqa),
                        "one query per row: split-KV decode + log-sum-exp combine (one CTA per block of query "
                        "heads sharing a key/value head)"};
  }
  if (pr.key_layout == KeyLayout::kRolling) {
    return unsupported(fmt::format("key_pos (rolling cache) needs Tq == 1 (decode), got Tq = {}; "
                                   "prefill takes contiguous keys",
                                   pr.q_len));
  }
  return choose_prefill(pr, policy, dtype, gqa);
}

}  // namespace gptbench::kernels
