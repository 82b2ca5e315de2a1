// Preallocated key/value cache: one (B, H, capacity, D) buffer pair per layer, allocated
// once before prefill so decode never allocates. Positions follow attention.h: the cache
// slot of position p is p (dense cache).
#pragma once

#include <ATen/core/Tensor.h>  // at::Tensor
#include <c10/core/ScalarType.h>  // c10::ScalarType
#include <c10/core/Device.h>      // c10::Device

#include <cstdint>  // int64_t
#include <utility>  // std::pair
#include <vector>   // std::vector

namespace gptbench::model {

class KvCache {
 public:
  KvCache(int64_t n_layer, int64_t batch, int64_t n_head, int64_t capacity, int64_t head_dim,
          c10::ScalarType dtype, c10::Device device);

  // Stores k_new/v_new (B, H, T, D) at positions [pos0, pos0 + T) of `layer` and returns the
  // keys/values visible to those queries: (B, H, pos0 + T, D) views of the cache.
  std::pair<at::Tensor, at::Tensor> update(int64_t layer, int64_t pos0, const at::Tensor& k_new,
                                           const at::Tensor& v_new);

  int64_t capacity() const { return capacity_; }
  int64_t bytes() const;  // both buffers of every layer

 private:
  std::vector<at::Tensor> k_, v_;
  int64_t capacity_;
};

}  // namespace gptbench::model
