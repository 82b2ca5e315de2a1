// Honest timing on a device: CUDA events recorded on the current stream (no synchronisation
// between marks, so timing does not perturb the pipeline), or a steady clock on the CPU, where
// work is synchronous. Read elapsed times only after synchronize().
#pragma once

#include <c10/core/Device.h>  // c10::Device

#include <memory>  // std::unique_ptr

namespace gptbench::bench {

class DeviceTimer {
 public:
  explicit DeviceTimer(c10::Device device);
  ~DeviceTimer();
  DeviceTimer(const DeviceTimer&) = delete;
  DeviceTimer& operator=(const DeviceTimer&) = delete;

  int mark();         // records a point in time; returns its index
  void synchronize();  // waits until every recorded mark has happened
  double elapsed_ms(int from, int to) const;
  int marks() const;
  void clear();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// Blocks until all work queued on `device` so far has finished (no-op on the CPU).
void synchronize_device(c10::Device device);

}  // namespace gptbench::bench
