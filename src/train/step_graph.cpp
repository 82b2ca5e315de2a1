// One optimizer step as a CUDA graph (step_graph.h).
#include "step_graph.h"

#include <ATen/ops/full.h>   // at::full
#include <ATen/ops/ones.h>   // at::ones
#include <ATen/ops/zeros.h>  // at::zeros

#ifdef GPTBENCH_HAVE_CUDA
#include <ATen/cuda/CUDAGraph.h>  // at::cuda::CUDAGraph
#include <c10/cuda/CUDAGuard.h>   // c10::cuda::CUDAStreamGuard
#include <c10/cuda/CUDAStream.h>  // c10::cuda::getStreamFromPool, getCurrentCUDAStream
#endif

#include "gptbench/util/check.h"  // GPTBENCH_CHECK
#include "gptbench/util/error.h"  // Error

namespace gptbench::train {

#ifdef GPTBENCH_HAVE_CUDA
struct StepGraph::Capture {
  explicit Capture(c10::cuda::CUDAStream s) : stream(s) {}
  c10::cuda::CUDAStream stream;  // the warm-up and the capture run here (capture needs a side stream)
  at::cuda::CUDAGraph graph;
  StepOutputs outputs;  // the captured step's output buffers
};
#else
struct StepGraph::Capture {};
#endif

StepGraph::StepGraph(c10::Device device, int64_t batch, int64_t seq_len) {
#ifndef GPTBENCH_HAVE_CUDA
  throw Error("--cuda-graph: this build has no CUDA support (configured without nvcc)");
#endif
  GPTBENCH_CHECK(device.is_cuda(), "--cuda-graph needs a CUDA device, got {}", device.str());
  const auto longs = at::TensorOptions().dtype(at::kLong).device(device);
  batch_.ids = at::zeros({batch, seq_len}, longs);
  batch_.targets = at::full({batch, seq_len}, kIgnoreTarget, longs);
  denominator_ = at::ones({}, longs.dtype(at::kFloat));
  lr_ = at::zeros({}, longs.dtype(at::kFloat));
}

StepGraph::~StepGraph() = default;

void StepGraph::load(const Batch& b, double denominator, double lr) {
  const int64_t rows = batch_.ids.size(0), length = batch_.ids.size(1), t = b.ids.size(1);
  GPTBENCH_CHECK(b.ids.size(0) == rows && t <= length,
                 "--cuda-graph: a batch of ({}, {}) does not fit the captured ({}, {})", b.ids.size(0), t, rows, length);
  if (t < length) {
    batch_.ids.narrow(1, t, length - t).zero_();
    batch_.targets.narrow(1, t, length - t).fill_(kIgnoreTarget);
  }
  batch_.ids.narrow(1, 0, t).copy_(b.ids);
  batch_.targets.narrow(1, 0, t).copy_(b.targets);
  batch_.input_tokens = b.input_tokens;
  batch_.target_tokens = b.target_tokens;
  denominator_.fill_(denominator);
  lr_.fill_(lr);
}

bool StepGraph::captured() const { return capture_ != nullptr; }

#ifdef GPTBENCH_HAVE_CUDA
StepOutputs StepGraph::warm_up_and_capture(const std::function<StepOutputs()>& body,
                                           const std::function<void()>& between) {
  GPTBENCH_CHECK(!capture_, "--cuda-graph: the step is already captured");
  auto capture = std::make_unique<Capture>(c10::cuda::getStreamFromPool());
  c10::cuda::getCurrentCUDAStream().synchronize();  // load() wrote the inputs on the caller's stream
  StepOutputs eager;
  {
    const c10::cuda::CUDAStreamGuard stream_guard(capture->stream);
    eager = body();
    between();
    capture->stream.synchronize();
    capture->graph.capture_begin();
    capture->outputs = body();
    capture->graph.capture_end();
  }
  capture->stream.synchronize();
  capture_ = std::move(capture);
  return eager;
}

StepOutputs StepGraph::replay() {
  GPTBENCH_CHECK(capture_, "--cuda-graph: replay before capture");
  capture_->graph.replay();
  return {capture_->outputs.loss.clone(), capture_->outputs.grad_norm.clone()};
}
#else
StepOutputs StepGraph::warm_up_and_capture(const std::function<StepOutputs()>&, const std::function<void()>&) {
  throw Error("--cuda-graph: this build has no CUDA support");
}

StepOutputs StepGraph::replay() { throw Error("--cuda-graph: this build has no CUDA support"); }
#endif

}  // namespace gptbench::train
