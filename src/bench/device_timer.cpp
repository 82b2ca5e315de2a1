// CUDA events on the current stream, or a steady clock on the CPU.
#include "gptbench/bench/device_timer.h"

#include <chrono>  // std::chrono::steady_clock
#include <vector>  // std::vector

#ifdef GPTBENCH_HAVE_CUDA
#include <ATen/cuda/CUDAContext.h>  // at::cuda::getCurrentCUDAStream
#include <ATen/cuda/CUDAEvent.h>    // at::cuda::CUDAEvent
#include <c10/cuda/CUDAGuard.h>     // c10::cuda::CUDAGuard
#endif

#include "gptbench/util/check.h"  // GPTBENCH_CHECK

namespace gptbench::bench {

struct DeviceTimer::Impl {
  c10::Device device;
  std::vector<std::chrono::steady_clock::time_point> host_marks;
#ifdef GPTBENCH_HAVE_CUDA
  std::vector<std::unique_ptr<at::cuda::CUDAEvent>> events;
#endif
  explicit Impl(c10::Device d) : device(d) {}
};

DeviceTimer::DeviceTimer(c10::Device device) : impl_(std::make_unique<Impl>(device)) {
#ifndef GPTBENCH_HAVE_CUDA
  GPTBENCH_CHECK(device.is_cpu(), "this build has no CUDA support: cannot time on {}", device.str());
#endif
}

DeviceTimer::~DeviceTimer() = default;

int DeviceTimer::mark() {
#ifdef GPTBENCH_HAVE_CUDA
  if (impl_->device.is_cuda()) {
    c10::cuda::CUDAGuard guard(impl_->device);
    auto event = std::make_unique<at::cuda::CUDAEvent>(cudaEventDefault);  // timing enabled
    event->record(at::cuda::getCurrentCUDAStream(impl_->device.index()));
    impl_->events.push_back(std::move(event));
    return static_cast<int>(impl_->events.size()) - 1;
  }
#endif
  impl_->host_marks.push_back(std::chrono::steady_clock::now());
  return static_cast<int>(impl_->host_marks.size()) - 1;
}

void DeviceTimer::synchronize() {
#ifdef GPTBENCH_HAVE_CUDA
  if (impl_->device.is_cuda() && !impl_->events.empty()) impl_->events.back()->synchronize();
#endif
}

double DeviceTimer::elapsed_ms(int from, int to) const {
#ifdef GPTBENCH_HAVE_CUDA
  if (impl_->device.is_cuda()) return impl_->events.at(from)->elapsed_time(*impl_->events.at(to));
#endif
  return std::chrono::duration<double, std::milli>(impl_->host_marks.at(to) - impl_->host_marks.at(from)).count();
}

int DeviceTimer::marks() const {
#ifdef GPTBENCH_HAVE_CUDA
  if (impl_->device.is_cuda()) return static_cast<int>(impl_->events.size());
#endif
  return static_cast<int>(impl_->host_marks.size());
}

void DeviceTimer::clear() {
  impl_->host_marks.clear();
#ifdef GPTBENCH_HAVE_CUDA
  impl_->events.clear();
#endif
}

void synchronize_device(c10::Device device) {
#ifdef GPTBENCH_HAVE_CUDA
  if (device.is_cuda()) {
    c10::cuda::CUDAGuard guard(device);
    at::cuda::getCurrentCUDAStream(device.index()).synchronize();
  }
#else
  (void)device;
#endif
}

}  // namespace gptbench::bench
