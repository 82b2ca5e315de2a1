// One greedy decode step captured as a CUDA graph and replayed per token.
//
// Why: at batch 1 a GPT-2 decode step is ~170 small kernels, and eager LibTorch spends longer
// dispatching them than the GPU spends running them (3.2 ms/token host-bound vs a 0.08 ms
// weight-bandwidth floor on an H100). A graph replays the whole step with one launch.
//
// How: everything the step reads or writes lives in static buffers — the input ids, the query
// position (a (1,) int64 device tensor the flash decode kernel reads, advanced inside the graph),
// key_start, a dense KV cache sized for the batch, and the chosen tokens. The graph embeds
// nothing that changes between steps or batches, so one capture serves every batch of the same
// (batch size, cache capacity). The prefill that fills the cache is captured too, per prompt
// length, once a length has been seen twice: lengths that never repeat (a dataset's varied
// prompts) run eagerly rather than paying a capture each. Only the flash kernel reads a device position, so only flash
// variants are captured, of families whose forward takes a device position
// (CausalLm::device_position_unsupported_reason); others decode eagerly, and reports say which ran. Sliding-window variants
// keep a dense cache here (memory O(prompt + new tokens) instead of the rolling cache's O(G + W):
// the ring's slots follow host positions), while the kernel's window policy still attends to the
// sinks and the last W keys only, so the cost per token stays O(G + W); reports name the cache.
#pragma once

#include <ATen/core/Tensor.h>  // at::Tensor

#include <cstdint>  // int64_t
#include <list>     // std::list
#include <memory>   // std::shared_ptr, std::unique_ptr
#include <string>   // std::string
#include <vector>   // std::vector

#include "gptbench/model/causal_lm.h"    // CausalLm, KernelsRan
#include "gptbench/model/kv_cache.h"    // DenseKvCache

namespace gptbench::model {

// Empty when this model can decode from a graph on its device, else why not (for the report).
std::string decode_graph_unsupported_reason(const CausalLm& model);

// A sliding-window model decodes from a graph by choice (--decode auto) only while the dense cache
// the graph needs, max_len positions, is at most this many times its rolling cache (G + W slots):
// past that the rolling cache's memory saving is what the variant is for.
inline constexpr int64_t kMaxDenseOverRollingCache = 4;

// Empty when --decode auto should replay a graph for a batch of max_len positions (prompt + new
// tokens), else why not: the model's reason, or the cache rule above.
std::string decode_graph_declined_reason(const CausalLm& model, int64_t max_len);

// What capturing cost a run: decode-step graphs (captured before a batch's prefill) and prefill
// graphs (captured inside the batch that repeats a prompt length), and their host time in total.
struct GraphCaptureStats {
  int64_t decode = 0, prefill = 0;
  double ms = 0;
};

class DecodeGraph {
 public:
  // Allocates the static buffers and captures the step (a few eager warm-up steps first, on a
  // side stream, so lazy cuBLAS and allocator set-up stays out of the capture).
  // Counts its captures in *stats (which outlives it). Keeps `model` alive (it is held by a shared_ptr).
  DecodeGraph(CausalLm& model, int64_t batch, int64_t capacity, GraphCaptureStats* stats);
  ~DecodeGraph();
  DecodeGraph(const DecodeGraph&) = delete;
  DecodeGraph& operator=(const DecodeGraph&) = delete;

  int64_t batch() const { return batch_; }
  int64_t capacity() const { return cache_->capacity(); }
  int64_t cache_bytes() const { return cache_->bytes(); }
  const char* cache_kind() const { return cache_->kind(); }

  // Starts a batch: stores key_start (B,) in the buffer every graph of this object reads, and
  // prefills ids (B, T) into the cache. Returns the logits (B, 1, V) of the last position, valid
  // until the next prefill. Replays a captured graph for a repeated length.
  at::Tensor prefill(const at::Tensor& ids, const at::Tensor& key_start);
  bool last_prefill_replayed() const { return last_prefill_replayed_; }
  const KernelsRan& last_prefill_kernels() const { return last_prefill_kernels_; }

  // Sets the next step's input: tokens (B,) int64 at position pos (host value, once per batch).
  void set_input(const at::Tensor& tokens, int64_t pos);
  // Whether the step may choose EOS (false before min_new_tokens); changes one device scalar.
  void set_eos_allowed(bool allowed);
  // Replays the step on the current stream: reads the input, writes the cache, picks the next
  // tokens, makes them the next input and advances the position.
  void replay();
  // (B,) int64 on the device: the tokens the last replay chose (valid until the next replay).
  const at::Tensor& next_tokens() const { return next_; }
  // The kernels the captured step runs (recorded at capture).
  const KernelsRan& step_kernels() const { return step_kernels_; }

 private:
  void step();  // the captured body

  std::shared_ptr<CausalLm> model_;
  int64_t eos_token_id_, vocab_size_;
  int64_t batch_;
  GraphCaptureStats* stats_;
  std::unique_ptr<DenseKvCache> cache_;
  at::Tensor ids_;        // (B, 1) int64
  at::Tensor q_pos_;      // (1,) int64: position of ids_
  at::Tensor key_start_;  // (B,) int32
  at::Tensor eos_bias_;   // (1,) fp32: 0, or -inf while EOS is suppressed
  at::Tensor next_;       // (B,) int64
  bool eos_allowed_ = true;
  bool last_prefill_replayed_ = false;
  KernelsRan last_prefill_kernels_;
  std::vector<int64_t> prefill_lengths_seen_;
  KernelsRan step_kernels_;
  struct Capture;
  std::unique_ptr<Capture> capture_;
};

// Host copies of each step's tokens without a synchronisation per step: push() queues an
// asynchronous copy into pinned memory and an event; wait(s) blocks until step s's copy is done.
// The generator reads step s - 1 while step s runs, so the GPU never waits for the host.
class StepTokens {
 public:
  StepTokens(int64_t steps, int64_t batch);
  ~StepTokens();
  void push(int64_t step, const at::Tensor& tokens);  // tokens: (B,) int64 on the device
  const int64_t* wait(int64_t step);                  // B values

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The graphs of one run, keyed by (batch size, capacity); capacities are rounded up so that
// prompts of similar length share one. Bounded: the least recently used graph is dropped.
class DecodeGraphs {
 public:
  explicit DecodeGraphs(size_t max_graphs = 4) : max_graphs_(max_graphs) {}
  // The graph for this batch, capturing one if needed; `min_capacity` = prompt + new tokens.
  DecodeGraph& get(CausalLm& model, int64_t batch, int64_t min_capacity);
  const GraphCaptureStats& stats() const { return stats_; }

 private:
  size_t max_graphs_;
  std::list<std::unique_ptr<DecodeGraph>> graphs_;  // most recently used first
  GraphCaptureStats stats_;
};

}  // namespace gptbench::model
