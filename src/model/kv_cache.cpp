// Dense preallocated KV cache.
#include "gptbench/model/kv_cache.h"

#include <ATen/ops/empty.h>  // at::empty

#include "gptbench/util/check.h"  // GPTBENCH_CHECK

namespace gptbench::model {

KvCache::KvCache(int64_t n_layer, int64_t batch, int64_t n_head, int64_t capacity, int64_t head_dim,
                 c10::ScalarType dtype, c10::Device device)
    : capacity_(capacity) {
  const auto options = at::TensorOptions().dtype(dtype).device(device);
  for (int64_t l = 0; l < n_layer; ++l) {
    k_.push_back(at::empty({batch, n_head, capacity, head_dim}, options));
    v_.push_back(at::empty({batch, n_head, capacity, head_dim}, options));
  }
}

std::pair<at::Tensor, at::Tensor> KvCache::update(int64_t layer, int64_t pos0, const at::Tensor& k_new,
                                                  const at::Tensor& v_new) {
  const int64_t t = k_new.size(2);
  GPTBENCH_CHECK(pos0 + t <= capacity_, "KV cache overflow: positions up to {} requested, capacity {}", pos0 + t,
                 capacity_);
  k_[layer].narrow(2, pos0, t).copy_(k_new);
  v_[layer].narrow(2, pos0, t).copy_(v_new);
  return {k_[layer].narrow(2, 0, pos0 + t), v_[layer].narrow(2, 0, pos0 + t)};
}

int64_t KvCache::bytes() const {
  int64_t total = 0;
  for (size_t l = 0; l < k_.size(); ++l) total += k_[l].nbytes() + v_[l].nbytes();
  return total;
}

}  // namespace gptbench::model
