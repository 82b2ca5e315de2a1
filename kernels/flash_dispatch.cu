// Runtime values (element type, head dim, mask policy) -> compiled instantiation, through the
// kernel table (flash_policies.h). The caller (the torch op) has already asked the selection
// function, so a miss here is a bug and returns cudaErrorInvalidValue rather than running
// anything else.
#include <algorithm>  // std::clamp, std::min, std::max

#include "flash_config.h"     // decode split constants
#include "flash_element.cuh"  // DeviceElement
#include "flash_instances.h"  // run_flash_prefill, run_flash_decode, flash_decode_ctas_per_sm
#include "flash_launch.h"     // the entry points defined here
#include "flash_policies.h"   // visit_flash_instance, kFlashInstancesPerStage
#include "flash_prefill_sm90.h"  // run_flash_prefill_sm90

// kernels/CMakeLists.txt generates one file per instantiation from the table; it counted these.
static_assert(gptbench::kernels::kFlashInstancesPerStage == GPTBENCH_FLASH_INSTANCES_PER_STAGE,
              "kernels/CMakeLists.txt read a different kernel table than flash_policies.h states");

namespace gptbench::kernels {
namespace {

// Calls f(ElementTag, HeadDimTag, PolicyTag) for p's runtime values; `miss` when none.
template <typename R, typename F>
R dispatch(const AttentionParams& p, R miss, F&& f) {
  return visit_flash_instance(p.dtype, p.head_dim, p.policy, miss, f);
}

// Grouped-query attention needs H a multiple of Hkv (the op checked it; a miss is a bug).
bool valid_heads(const AttentionParams& p) { return p.kv_heads > 0 && p.heads % p.kv_heads == 0; }

}  // namespace

cudaError_t launch_flash_prefill(const AttentionParams& p, PrefillKernel kernel, cudaStream_t stream) {
  if (p.key_pos != nullptr || !valid_heads(p)) return cudaErrorInvalidValue;
  if (p.batch == 0 || p.heads == 0 || p.q_len == 0) return cudaSuccess;
  if (kernel == PrefillKernel::kSm90) {
#ifdef GPTBENCH_HAVE_FLASH_SM90_KERNELS
    return dispatch(p, cudaErrorInvalidValue, [&](auto type, auto dim, auto policy) {
      return run_flash_prefill_sm90<DeviceElement<decltype(type)::value>, decltype(dim)::value,
                                    decltype(policy)::value>(p, stream);
    });
#else
    return cudaErrorNotSupported;  // the selection never names it in such a build
#endif
  }
  return dispatch(p, cudaErrorInvalidValue, [&](auto type, auto dim, auto policy) {
    return run_flash_prefill<DeviceElement<decltype(type)::value>, decltype(dim)::value, decltype(policy)::value>(
        p, stream);
  });
}

cudaError_t launch_flash_decode(const AttentionParams& p, cudaStream_t stream) {
  if (p.q_len != 1 || p.num_splits < 1 || !valid_heads(p)) return cudaErrorInvalidValue;
  if (p.num_splits > 1 && (p.partial_out == nullptr || p.partial_lse == nullptr)) return cudaErrorInvalidValue;
  if (p.batch == 0 || p.heads == 0) return cudaSuccess;
  return dispatch(p, cudaErrorInvalidValue, [&](auto type, auto dim, auto policy) {
    return run_flash_decode<DeviceElement<decltype(type)::value>, decltype(dim)::value, decltype(policy)::value>(
        p, stream);
  });
}

int choose_decode_splits(const AttentionParams& p, int num_sms, int min_keys_per_split) {
  if (!valid_heads(p)) return 1;
  // CTAs per split: one per row and block of query heads that share a key/value head.
  const int batch_heads = p.batch * (p.heads / decode_heads_per_cta(p.heads / p.kv_heads));
  if (p.decode_span <= 0 || batch_heads <= 0) return 1;
  const int per_sm = dispatch(p, 1, [&](auto type, auto dim, auto policy) {
    return flash_decode_ctas_per_sm<DeviceElement<decltype(type)::value>, decltype(dim)::value,
                                    decltype(policy)::value>(p);
  });
  // Exactly one wave of resident CTAs: a second, partial wave is a tail that costs more than
  // the extra splits gain (NOTES.md, run 2: 11 splits = 1.33 waves ran 11-14 % slower than 8).
  const int by_occupancy = std::max(1, per_sm) * std::max(1, num_sms) / batch_heads;
  const int min_keys = std::max(1, min_keys_per_split);
  const int by_length = (p.decode_span + min_keys - 1) / min_keys;
  return std::clamp(std::min(by_occupancy, by_length), 1, kDecodeMaxSplits);
}

}  // namespace gptbench::kernels
