// Preallocated key/value caches, allocated once before prefill so decode never allocates.
// Positions follow attention.h. DenseKvCache keeps every position (slot p holds position p).
// RollingKvCache serves sliding-window models in O(G + W) memory per layer: G sink slots (each
// row's first G real tokens, once they leave the window) then a ring of W slots (slot G + p % W).
#pragma once

#include <ATen/core/Tensor.h>     // at::Tensor
#include <c10/core/Device.h>      // c10::Device
#include <c10/core/ScalarType.h>  // c10::ScalarType

#include <cstdint>  // int64_t
#include <memory>   // std::unique_ptr
#include <vector>   // std::vector

#include "gptbench/attention/attention.h"        // AttentionSpec
#include "gptbench/attention/recurrent_state.h"  // RecurrentState

namespace gptbench::model {

// What the new queries attend to: keys/values (B, Hkv, Tk, D) and, for a rolling cache, the
// position of each slot (B, Tk) int64 (-1 = empty); undefined key_pos means contiguous 0..Tk-1.
struct CacheView {
  at::Tensor k, v, key_pos;
};

// A cache stores the model's key/value heads only (n_kv_head < n_head under grouped-query attention).
struct CacheShape {
  int64_t n_layer, batch, n_kv_head, head_dim;
  c10::ScalarType dtype;
  c10::Device device;
};

class KvCache {
 public:
  virtual ~KvCache() = default;
  // Stores k_new/v_new (B, Hkv, T, D), the tokens at positions [pos0, pos0 + T), in `layer`, and
  // returns what those T queries attend to. Layers are updated in order 0..L-1 for each step.
  virtual CacheView update(int64_t layer, int64_t pos0, const at::Tensor& k_new, const at::Tensor& v_new) = 0;
  // Decode of one token whose position lives on the device (a (1,) int64 tensor), so that a CUDA
  // graph can replay the step at advancing positions: the layer's whole (2, B, Hkv, capacity, D)
  // buffer, keys then values. The caller stores the token's key and value at that position (the
  // fused qkv projection does it in its epilogue) and attends to all of it; the attention kernel
  // bounds the keys by the query position. Undefined when the cache cannot (the rolling cache).
  virtual at::Tensor device_position_buffer(int64_t layer) = 0;
  // A linear-attention variant's state for `layer` (RecurrentStateCache), which the attention folds the
  // new tokens into instead of calling update; null for caches of keys and values.
  virtual attention::RecurrentState* recurrent_state(int64_t /*layer*/) { return nullptr; }
  virtual int64_t bytes() const = 0;  // both buffers of every layer
  virtual const char* kind() const = 0;  // "dense" or "rolling", for reports
  // Beam search: rows (B',) int64 indexes the current batch rows; afterwards row r holds what row
  // rows[r] held (B' may differ from B, e.g. to fan a prefilled prompt out to its beams).
  virtual void reorder(const at::Tensor& rows) = 0;
};

class DenseKvCache final : public KvCache {
 public:
  DenseKvCache(const CacheShape& shape, int64_t capacity);
  CacheView update(int64_t layer, int64_t pos0, const at::Tensor& k_new, const at::Tensor& v_new) override;
  at::Tensor device_position_buffer(int64_t layer) override { return kv_[layer]; }
  int64_t bytes() const override;
  const char* kind() const override { return "dense"; }
  void reorder(const at::Tensor& rows) override;
  int64_t capacity() const { return capacity_; }

 private:
  std::vector<at::Tensor> kv_;     // per layer (2, B, Hkv, capacity, D): keys then values
  std::vector<at::Tensor> k_, v_;  // per layer (B, Hkv, capacity, D) views of kv_
  int64_t capacity_;
};

class RollingKvCache final : public KvCache {
 public:
  // key_start: (B,) int64, the first real position of each row (its sinks are start + 0..G-1).
  RollingKvCache(const CacheShape& shape, int64_t window, int64_t global_tokens, const at::Tensor& key_start);
  CacheView update(int64_t layer, int64_t pos0, const at::Tensor& k_new, const at::Tensor& v_new) override;
  at::Tensor device_position_buffer(int64_t) override { return {}; }  // host positions only
  int64_t bytes() const override;
  const char* kind() const override { return "rolling"; }
  void reorder(const at::Tensor& rows) override;

 private:
  void plan_step(int64_t pos0, int64_t t);  // once per step, at layer 0: slots, sink moves, key_pos

  std::vector<at::Tensor> k_, v_;  // per layer (B, Hkv, G + W, D)
  int64_t window_, sinks_;
  at::Tensor key_start_;  // (B,)
  at::Tensor key_pos_;    // (B, G + W), positions after the current step
  at::Tensor prev_key_pos_;  // (B, G + W), positions before the current step
  // The current step's plan, shared by all layers.
  int64_t next_pos_ = 0;          // positions below this are stored
  at::Tensor ring_slots_;         // (n,) slots written this step
  int64_t ring_first_ = 0;        // index into the new tokens of the first one written to the ring
  at::Tensor sink_source_;        // (B, G) index into cat(ring, new tokens) of each sink's source
  at::Tensor sink_take_;          // (B, G) bool: sink slot filled this step
};

// Performer's decode state in place of keys and values: per layer S (B, H, m, D) and z (B, H, m) in
// fp32, whatever the context length. update() is never called on it.
class RecurrentStateCache final : public KvCache {
 public:
  RecurrentStateCache(const CacheShape& shape, int64_t features);
  CacheView update(int64_t layer, int64_t pos0, const at::Tensor& k_new, const at::Tensor& v_new) override;
  at::Tensor device_position_buffer(int64_t) override { return {}; }  // host positions only
  attention::RecurrentState* recurrent_state(int64_t layer) override { return &states_[layer]; }
  int64_t bytes() const override;
  const char* kind() const override { return "recurrent"; }
  void reorder(const at::Tensor& rows) override;

 private:
  std::vector<attention::RecurrentState> states_;
};

// Whether make_kv_cache builds a rolling cache for `spec` (a sliding window) or a dense one.
bool uses_rolling_cache(const attention::AttentionSpec& spec);

// The kind() of the cache make_kv_cache builds for `spec`: "recurrent", "rolling" or "dense".
const char* kv_cache_kind(const attention::AttentionSpec& spec);

// Bytes of the cache make_kv_cache builds for `shape` (both buffers, every layer).
int64_t kv_cache_bytes(const CacheShape& shape, const attention::AttentionSpec& spec, int64_t max_len);

// A cache for `spec`: a RecurrentStateCache for performer, rolling when the spec has a window,
// dense (capacity max_len) otherwise.
std::unique_ptr<KvCache> make_kv_cache(const CacheShape& shape, const attention::AttentionSpec& spec,
                                       int64_t max_len, const at::Tensor& key_start);

}  // namespace gptbench::model
