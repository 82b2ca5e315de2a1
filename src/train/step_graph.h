// `train --cuda-graph`: one optimizer step captured once as a CUDA graph and replayed for every later
// step, so that the host launches one graph instead of about a thousand kernels and autograd nodes (at
// batch 4 on the gpt2 shape the eager step waits on the host: issue 18, scripts/gpu/lora_bench.sh's
// profile). The step reads its batch, its loss denominator and its learning rate from static device
// buffers written before each replay (load), and leaves its loss and gradient norm in outputs copied out
// after it. Its first step runs eagerly on the capture stream (the warm-up: cuBLAS workspaces, cuDNN
// plans and the allocator see the shapes first), then the step is captured (nothing runs), and every
// later step is a replay. The parameters' gradients are the graph's own buffers from the capture on:
// the caller must not drop them (no zero_grad), the captured backward writes them again on each replay.
// Batches shorter than the static length are right-padded (ids 0, targets kIgnoreTarget): under causal
// attention no real position sees the padding, and the loss skips it, so the values are the eager ones.
#pragma once

#include <ATen/core/Tensor.h>  // at::Tensor
#include <c10/core/Device.h>   // c10::Device

#include <cstdint>     // int64_t
#include <functional>  // std::function
#include <memory>      // std::unique_ptr

#include "gptbench/train/train_data.h"  // Batch

namespace gptbench::train {

// The step's results, 0-dim fp32 on the device.
struct StepOutputs {
  at::Tensor loss, grad_norm;
};

class StepGraph {
 public:
  // Static buffers for batches of (batch, seq_len) on `device` (CUDA; gptbench::Error in a build without
  // CUDA).
  StepGraph(c10::Device device, int64_t batch, int64_t seq_len);
  ~StepGraph();
  StepGraph(const StepGraph&) = delete;
  StepGraph& operator=(const StepGraph&) = delete;

  // Writes this step's inputs into the static buffers (on the current stream, before the step runs).
  // b: (B, T) with T <= seq_len.
  void load(const Batch& b, double denominator, double lr);
  const Batch& batch() const { return batch_; }              // the static batch: (batch, seq_len)
  const at::Tensor& denominator() const { return denominator_; }  // 0-dim fp32
  const at::Tensor& lr() const { return lr_; }                    // 0-dim fp32

  bool captured() const;
  // The first step: `body` (the step's device work, reading batch(), denominator() and lr(), returning its
  // outputs) runs eagerly on the capture stream, `between` then runs (it drops the gradients, so that the
  // captured backward assigns them rather than adds to them), and `body` is captured. Returns the eager
  // step's outputs.
  StepOutputs warm_up_and_capture(const std::function<StepOutputs()>& body, const std::function<void()>& between);
  // A later step: replays the graph on the current stream and returns copies of its outputs (the next
  // replay overwrites them).
  StepOutputs replay();

 private:
  struct Capture;  // the graph, its stream and its outputs (CUDA only)
  Batch batch_;
  at::Tensor denominator_, lr_;
  std::unique_ptr<Capture> capture_;
};

}  // namespace gptbench::train
