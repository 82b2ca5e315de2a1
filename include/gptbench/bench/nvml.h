// NVIDIA's management library (NVML), loaded at run time with dlopen("libnvidia-ml.so.1"): no
// link-time dependency, so the binary runs on machines without the driver. Where the library or a
// function is missing, the calls say so instead of failing: `unavailable()` names the reason.
// Used for what CUDA does not tell: the driver version, clocks, throttle reasons, power and energy.
#pragma once

#include <cstdint>   // uint64_t
#include <optional>  // std::optional
#include <string>    // std::string

namespace gptbench::bench {

inline constexpr const char* kNvmlLibrary = "libnvidia-ml.so.1";

// NVML's clock-event ("throttle") reason bits (nvml.h, nvmlClocksEventReason*), the ones reported.
inline constexpr uint64_t kNvmlReasonSwPowerCap = 0x4, kNvmlReasonHwSlowdown = 0x8,
                          kNvmlReasonSwThermalSlowdown = 0x20, kNvmlReasonHwThermalSlowdown = 0x40,
                          kNvmlReasonHwPowerBrakeSlowdown = 0x80;
// The bits that mean the GPU ran slower than asked because of heat or power during timing.
inline constexpr uint64_t kNvmlThermalOrPowerReasons = kNvmlReasonSwPowerCap | kNvmlReasonHwSlowdown |
                                                       kNvmlReasonSwThermalSlowdown | kNvmlReasonHwThermalSlowdown |
                                                       kNvmlReasonHwPowerBrakeSlowdown;
// "sw_power_cap,hw_thermal_slowdown": the named bits of `reasons` (others by hex value), "" for none.
std::string nvml_reason_names(uint64_t reasons);

struct NvmlLibrary;  // the loaded library's entry points (nvml.cpp)

// One GPU as NVML sees it. Each reader returns nullopt where the device or driver lacks the value.
class NvmlDevice {
 public:
  // `pci_bus_id` ("00000000:3B:00.0", from CUDA's device properties) names the CUDA device whatever
  // CUDA_VISIBLE_DEVICES says; empty: NVML's device `index`.
  static NvmlDevice open(const std::string& pci_bus_id, int index, const char* library = kNvmlLibrary);
  static NvmlDevice none(std::string why);  // no device to ask ("not a CUDA device")

  const std::string& unavailable() const { return unavailable_; }  // "" when the device is open
  bool available() const { return unavailable_.empty(); }

  std::optional<std::string> driver_version() const;
  std::optional<unsigned> sm_clock_mhz() const;
  std::optional<unsigned> memory_clock_mhz() const;
  std::optional<double> power_watts() const;         // now
  std::optional<double> power_limit_watts() const;   // enforced limit
  std::optional<double> total_energy_joules() const; // since the driver loaded (Volta and later)
  std::optional<uint64_t> throttle_reasons() const;  // clock-event reason bits now

 private:
  const NvmlLibrary* library_ = nullptr;
  void* handle_ = nullptr;  // nvmlDevice_t
  std::string unavailable_;
};

}  // namespace gptbench::bench
