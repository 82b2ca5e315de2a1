// GPU telemetry over a timed region (gpu_telemetry.h).
#include "gptbench/bench/gpu_telemetry.h"  // this file's declarations

#include <fmt/format.h>  // fmt::format, fmt::print

#include <algorithm>  // std::min, std::max
#include <cstdio>     // stderr

#ifdef GPTBENCH_HAVE_CUDA
#include <cuda_runtime_api.h>  // cudaDeviceGetPCIBusId
#endif

namespace gptbench::bench {

NvmlDevice nvml_device(c10::Device device, const char* library) {
  if (!device.is_cuda()) return NvmlDevice::none("not a CUDA device");
  const int index = device.has_index() ? device.index() : 0;
  std::string bus_id;
#ifdef GPTBENCH_HAVE_CUDA
  char buffer[32] = {0};
  if (cudaDeviceGetPCIBusId(buffer, sizeof buffer, index) == cudaSuccess) bus_id = buffer;
#endif
  return NvmlDevice::open(bus_id, index, library);
}

std::string throttle_warning(uint64_t reasons) {
  const uint64_t bad = reasons & kNvmlThermalOrPowerReasons;
  if (bad == 0) return "";
  return fmt::format("the GPU throttled while timing ({}): the timings ran below the clocks asked for; let it cool, "
                     "check its power limit, and rerun",
                     nvml_reason_names(bad));
}

TelemetryWindow::TelemetryWindow(c10::Device device, const char* library)
    : nvml_(nvml_device(device, library)), unavailable_(nvml_.unavailable()) {
  if (!nvml_.available()) return;
  energy_start_j_ = nvml_.total_energy_joules();
  start_ = Clock::now();
  running_ = true;
  sampler_ = std::thread([this] {
    while (running_) {
      sample();
      std::this_thread::sleep_for(std::chrono::milliseconds(kTelemetryPeriodMs));
    }
  });
}

TelemetryWindow::~TelemetryWindow() {
  running_ = false;
  if (sampler_.joinable()) sampler_.join();
}

void TelemetryWindow::sample() {
  Sample s{std::chrono::duration<double>(Clock::now() - start_).count(), nvml_.power_watts(), nvml_.sm_clock_mhz(),
           nvml_.memory_clock_mhz(), nvml_.throttle_reasons()};
  std::lock_guard<std::mutex> lock(mutex_);
  samples_.push_back(s);
}

namespace {

// Trapezoids between the power samples (t_s, watts); nullopt with fewer than two.
std::optional<double> integrated_joules(const std::vector<std::pair<double, double>>& power) {
  if (power.size() < 2) return std::nullopt;
  double joules = 0;
  for (size_t i = 1; i < power.size(); ++i)
    joules += 0.5 * (power[i].second + power[i - 1].second) * (power[i].first - power[i - 1].first);
  return joules;
}

template <typename T>
void widen(std::optional<int64_t>& low, std::optional<int64_t>& high, const std::optional<T>& value) {
  if (!value) return;
  const auto v = static_cast<int64_t>(*value);
  low = low ? std::min(*low, v) : v;
  high = high ? std::max(*high, v) : v;
}

}  // namespace

report::GpuTelemetry TelemetryWindow::stop(int64_t generated_tokens, int64_t samples) {
  report::GpuTelemetry t;
  if (!unavailable_.empty()) {
    t.unavailable = unavailable_;
    return t;
  }
  if (running_) sample();  // the end of the region
  running_ = false;
  if (sampler_.joinable()) sampler_.join();
  t.seconds = std::chrono::duration<double>(Clock::now() - start_).count();
  const std::optional<double> energy_end_j = nvml_.total_energy_joules();
  t.measured = true;
  t.samples = static_cast<int64_t>(samples_.size());
  t.power_limit_w = nvml_.power_limit_watts();
  std::vector<std::pair<double, double>> power;
  uint64_t reasons = 0;
  for (const Sample& s : samples_) {
    if (s.power_w) {
      power.emplace_back(s.t_s, *s.power_w);
      t.peak_power_w = std::max(t.peak_power_w.value_or(0.0), *s.power_w);
    }
    widen(t.sm_clock_min_mhz, t.sm_clock_max_mhz, s.sm_mhz);
    widen(t.memory_clock_min_mhz, t.memory_clock_max_mhz, s.memory_mhz);
    reasons |= s.reasons.value_or(0);
  }
  if (energy_start_j_ && energy_end_j && *energy_end_j > *energy_start_j_) {
    t.energy_j = *energy_end_j - *energy_start_j_;
    t.energy_method = "nvml_total_energy_counter";
  } else if (const auto joules = integrated_joules(power)) {
    t.energy_j = *joules;
    t.energy_method = "nvml_power_samples";
  }
  if (t.energy_j) {
    if (t.seconds > 0) t.mean_power_w = *t.energy_j / t.seconds;
    if (generated_tokens > 0) t.j_per_token = *t.energy_j / static_cast<double>(generated_tokens);
    if (samples > 0) t.j_per_sample = *t.energy_j / static_cast<double>(samples);
  }
  t.throttle_reasons = nvml_reason_names(reasons);
  const std::string warning = throttle_warning(reasons);
  t.throttled = !warning.empty();
  if (t.throttled) {
    t.warning = warning;
    fmt::print(stderr, "gptbench: warning: {}\n", warning);
  }
  return t;
}

}  // namespace gptbench::bench
