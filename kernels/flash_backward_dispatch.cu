// Runtime values (element type, head dim) -> the compiled backward instantiation, through the
// kernel table (flash_policies.h). The policy needs no dispatch: the backward reads it at run time.
#include <iterator>  // std::size
#include <utility>   // std::make_index_sequence

#include "flash_backward.h"   // the entry point defined here
#include "flash_element.cuh"  // DeviceElement
#include "flash_instances.h"  // run_flash_backward
#include "flash_policies.h"   // detail::visit_element_type, detail::visit_head_dim

namespace gptbench::kernels {

cudaError_t launch_flash_backward(const AttentionBackwardParams& p, cudaStream_t stream) {
  const AttentionParams& f = p.fwd;
  if (f.key_pos != nullptr || f.kv_heads != f.heads || f.lse == nullptr || f.out == nullptr || p.delta == nullptr ||
      (!p.deterministic && p.dq_accum == nullptr)) {
    return cudaErrorInvalidValue;
  }
  if (f.batch == 0 || f.heads == 0 || f.q_len == 0 || f.k_len == 0) return cudaSuccess;
  auto by_type = [&](auto type) {
    auto by_dim = [&](auto dim) {
      return run_flash_backward<DeviceElement<decltype(type)::value>, decltype(dim)::value>(p, stream);
    };
    return detail::visit_head_dim(f.head_dim, cudaErrorInvalidValue, by_dim,
                                  std::make_index_sequence<std::size(kFlashHeadDims)>{});
  };
  return detail::visit_element_type(f.dtype, cudaErrorInvalidValue, by_type,
                                    std::make_index_sequence<std::size(kFlashElementTypes)>{});
}

}  // namespace gptbench::kernels
