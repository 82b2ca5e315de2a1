// Runtime values (dtype, head dim, mask policy) -> compiled instantiation. The caller
// (the torch op) has already asked the selection function, so a miss here is a bug and
// returns cudaErrorInvalidValue rather than running anything else.
#include <cuda_bf16.h>  // __nv_bfloat16
#include <cuda_fp16.h>  // __half

#include <algorithm>    // std::clamp, std::min, std::max
#include <type_traits>  // std::integral_constant

#include "flash_config.h"     // decode split constants
#include "flash_instances.h"  // run_flash_prefill, run_flash_decode, flash_decode_ctas_per_sm
#include "flash_launch.h"     // the entry points defined here

namespace gptbench::kernels {
namespace {

template <typename T>
struct TypeTag {
  using type = T;
};
template <MaskPolicy P>
using PolicyTag = std::integral_constant<MaskPolicy, P>;
template <int D>
using DimTag = std::integral_constant<int, D>;

// Calls f(TypeTag<T>, DimTag<D>, PolicyTag<P>) for p's runtime values; `miss` when none.
template <typename R, typename F>
R dispatch(const AttentionParams& p, R miss, F&& f) {
  auto by_policy = [&](auto type, auto dim) -> R {
    switch (p.policy) {
      case MaskPolicy::kCausal: return f(type, dim, PolicyTag<MaskPolicy::kCausal>{});
      case MaskPolicy::kAlibi: return f(type, dim, PolicyTag<MaskPolicy::kAlibi>{});
      case MaskPolicy::kWindow: return f(type, dim, PolicyTag<MaskPolicy::kWindow>{});
      case MaskPolicy::kAlibiWindow: return f(type, dim, PolicyTag<MaskPolicy::kAlibiWindow>{});
    }
    return miss;
  };
  auto by_dim = [&](auto type) -> R {
    switch (p.head_dim) {
      case 64: return by_policy(type, DimTag<64>{});
      case 128: return by_policy(type, DimTag<128>{});
      default: return miss;
    }
  };
  switch (p.dtype) {
    case ElementType::kFp16: return by_dim(TypeTag<__half>{});
    case ElementType::kBf16: return by_dim(TypeTag<__nv_bfloat16>{});
  }
  return miss;
}

}  // namespace

cudaError_t launch_flash_prefill(const AttentionParams& p, cudaStream_t stream) {
  if (p.key_pos != nullptr) return cudaErrorInvalidValue;
  if (p.batch == 0 || p.heads == 0 || p.q_len == 0) return cudaSuccess;
  return dispatch(p, cudaErrorInvalidValue, [&](auto type, auto dim, auto policy) {
    return run_flash_prefill<typename decltype(type)::type, decltype(dim)::value, decltype(policy)::value>(p, stream);
  });
}

cudaError_t launch_flash_decode(const AttentionParams& p, cudaStream_t stream) {
  if (p.q_len != 1 || p.num_splits < 1) return cudaErrorInvalidValue;
  if (p.num_splits > 1 && (p.partial_out == nullptr || p.partial_lse == nullptr)) return cudaErrorInvalidValue;
  if (p.batch == 0 || p.heads == 0) return cudaSuccess;
  return dispatch(p, cudaErrorInvalidValue, [&](auto type, auto dim, auto policy) {
    return run_flash_decode<typename decltype(type)::type, decltype(dim)::value, decltype(policy)::value>(p, stream);
  });
}

int choose_decode_splits(const AttentionParams& p, int num_sms) {
  const int batch_heads = p.batch * p.heads;
  if (p.decode_span <= 0 || batch_heads <= 0) return 1;
  const int per_sm = dispatch(p, 1, [](auto type, auto dim, auto policy) {
    return flash_decode_ctas_per_sm<typename decltype(type)::type, decltype(dim)::value, decltype(policy)::value>();
  });
  // Exactly one wave of resident CTAs: a second, partial wave is a tail that costs more than
  // the extra splits gain (NOTES.md, run 2: 11 splits = 1.33 waves ran 11-14 % slower than 8).
  const int by_occupancy = std::max(1, per_sm) * std::max(1, num_sms) / batch_heads;
  const int by_length = (p.decode_span + kDecodeMinKeysPerSplit - 1) / kDecodeMinKeysPerSplit;
  return std::clamp(std::min(by_occupancy, by_length), 1, kDecodeMaxSplits);
}

}  // namespace gptbench::kernels
