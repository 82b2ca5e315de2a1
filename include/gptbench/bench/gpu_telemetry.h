// GPU telemetry over a timed region: a thread samples power, SM and memory clocks and the
// clock-event reasons through NVML every kTelemetryPeriodMs while the region runs, and the energy
// comes from NVML's total-energy counter read at both ends (or the power samples integrated where
// the counter is absent or did not move). On the CPU or without NVML it records why not.
#pragma once

#include <c10/core/Device.h>  // c10::Device

#include <atomic>   // std::atomic
#include <chrono>   // std::chrono::steady_clock
#include <cstdint>  // int64_t, uint64_t
#include <mutex>    // std::mutex
#include <optional> // std::optional
#include <string>   // std::string
#include <thread>   // std::thread
#include <vector>   // std::vector

#include "gptbench/bench/nvml.h"             // NvmlDevice
#include "gptbench/report/gpu_telemetry.h"   // report::GpuTelemetry

namespace gptbench::bench {

inline constexpr int kTelemetryPeriodMs = 50;

// NVML's view of a CUDA device (by PCI bus id); unavailable with the reason on the CPU.
NvmlDevice nvml_device(c10::Device device, const char* library = kNvmlLibrary);

class TelemetryWindow {
 public:
  // Starts sampling now (nothing on the CPU or without NVML).
  explicit TelemetryWindow(c10::Device device, const char* library = kNvmlLibrary);
  ~TelemetryWindow();  // stops the sampler if stop() was not called
  TelemetryWindow(const TelemetryWindow&) = delete;
  TelemetryWindow& operator=(const TelemetryWindow&) = delete;

  // Ends the region (call after synchronizing the device): the block with energy per generated
  // token and per sample. Prints the throttle warning on stderr when there is one.
  report::GpuTelemetry stop(int64_t generated_tokens, int64_t samples);

 private:
  struct Sample {
    double t_s;  // since the start
    std::optional<double> power_w;
    std::optional<unsigned> sm_mhz, memory_mhz;
    std::optional<uint64_t> reasons;
  };
  void sample();
  using Clock = std::chrono::steady_clock;
  NvmlDevice nvml_;
  Clock::time_point start_ = Clock::now();
  std::optional<double> energy_start_j_;
  std::mutex mutex_;
  std::vector<Sample> samples_;
  std::atomic<bool> running_{false};
  std::thread sampler_;
  std::string unavailable_;
};

// The warning for throttle `reasons` seen while timing ("" when none of them is thermal or power).
std::string throttle_warning(uint64_t reasons);

}  // namespace gptbench::bench
