// NVML through dlopen (nvml.h). The few declarations needed are restated here from NVML's ABI
// (nvmlReturn_t is an int, 0 = NVML_SUCCESS; nvmlDevice_t an opaque pointer), so no NVML header
// or library is needed to build.
#include "gptbench/bench/nvml.h"  // this file's declarations

#include <dlfcn.h>       // dlopen, dlsym, dlerror
#include <fmt/format.h>  // fmt::format

#include <map>      // std::map
#include <mutex>    // std::mutex, std::lock_guard
#include <utility>  // std::move, std::pair

namespace gptbench::bench {
namespace {

constexpr int kNvmlSuccess = 0;
constexpr int kNvmlClockSm = 1, kNvmlClockMem = 2;  // nvmlClockType_t

using InitFn = int (*)();
using ErrorStringFn = const char* (*)(int);
using DriverVersionFn = int (*)(char*, unsigned);
using HandleByPciFn = int (*)(const char*, void**);
using HandleByIndexFn = int (*)(unsigned, void**);
using ClockFn = int (*)(void*, int, unsigned*);
using UnsignedFn = int (*)(void*, unsigned*);
using U64Fn = int (*)(void*, unsigned long long*);

}  // namespace

// The library, loaded and initialised once per library name (tests load a name that does not exist).
struct NvmlLibrary {
  std::string unavailable;  // "" when loaded and initialised
  ErrorStringFn error_string = nullptr;
  DriverVersionFn driver_version = nullptr;
  HandleByPciFn handle_by_pci = nullptr;
  HandleByIndexFn handle_by_index = nullptr;
  ClockFn clock = nullptr;
  UnsignedFn power = nullptr, power_limit = nullptr;
  U64Fn energy = nullptr, reasons = nullptr;

  std::string error(int code) const {
    return error_string != nullptr ? error_string(code) : fmt::format("NVML error {}", code);
  }
};

namespace {

template <typename Fn>
Fn symbol(void* lib, const char* name) {
  return reinterpret_cast<Fn>(dlsym(lib, name));
}

NvmlLibrary load(const char* name) {
  NvmlLibrary l;
  void* lib = dlopen(name, RTLD_NOW | RTLD_LOCAL);  // kept open for the process's life
  if (lib == nullptr) {
    const char* why = dlerror();
    l.unavailable = fmt::format("{} could not be loaded ({}): no NVIDIA driver here", name, why ? why : "unknown");
    return l;
  }
  const auto init = symbol<InitFn>(lib, "nvmlInit_v2");
  l.error_string = symbol<ErrorStringFn>(lib, "nvmlErrorString");
  if (init == nullptr) {
    l.unavailable = fmt::format("{} has no nvmlInit_v2", name);
    return l;
  }
  if (const int rc = init(); rc != kNvmlSuccess) {
    l.unavailable = fmt::format("nvmlInit failed: {}", l.error(rc));
    return l;
  }
  l.driver_version = symbol<DriverVersionFn>(lib, "nvmlSystemGetDriverVersion");
  l.handle_by_pci = symbol<HandleByPciFn>(lib, "nvmlDeviceGetHandleByPciBusId_v2");
  l.handle_by_index = symbol<HandleByIndexFn>(lib, "nvmlDeviceGetHandleByIndex_v2");
  l.clock = symbol<ClockFn>(lib, "nvmlDeviceGetClockInfo");
  l.power = symbol<UnsignedFn>(lib, "nvmlDeviceGetPowerUsage");
  l.power_limit = symbol<UnsignedFn>(lib, "nvmlDeviceGetEnforcedPowerLimit");
  l.energy = symbol<U64Fn>(lib, "nvmlDeviceGetTotalEnergyConsumption");
  l.reasons = symbol<U64Fn>(lib, "nvmlDeviceGetCurrentClocksEventReasons");  // NVML 12.x name
  if (l.reasons == nullptr) l.reasons = symbol<U64Fn>(lib, "nvmlDeviceGetCurrentClocksThrottleReasons");
  return l;
}

const NvmlLibrary& library(const char* name) {
  static std::mutex mutex;
  static std::map<std::string, NvmlLibrary> loaded;
  std::lock_guard<std::mutex> lock(mutex);
  auto it = loaded.find(name);
  if (it == loaded.end()) it = loaded.emplace(name, load(name)).first;
  return it->second;
}

}  // namespace

std::string nvml_reason_names(uint64_t reasons) {
  static const std::pair<uint64_t, const char*> kNames[] = {
      {0x1, "gpu_idle"},
      {0x2, "applications_clocks_setting"},
      {kNvmlReasonSwPowerCap, "sw_power_cap"},
      {kNvmlReasonHwSlowdown, "hw_slowdown"},
      {0x10, "sync_boost"},
      {kNvmlReasonSwThermalSlowdown, "sw_thermal_slowdown"},
      {kNvmlReasonHwThermalSlowdown, "hw_thermal_slowdown"},
      {kNvmlReasonHwPowerBrakeSlowdown, "hw_power_brake_slowdown"},
      {0x100, "display_clock_setting"}};
  std::string names;
  uint64_t rest = reasons;
  for (const auto& [bit, name] : kNames) {
    if ((reasons & bit) == 0) continue;
    names += (names.empty() ? "" : ",") + std::string(name);
    rest &= ~bit;
  }
  if (rest != 0) names += (names.empty() ? "" : ",") + fmt::format("0x{:x}", rest);
  return names;
}

NvmlDevice NvmlDevice::open(const std::string& pci_bus_id, int index, const char* name) {
  NvmlDevice d;
  const NvmlLibrary& l = library(name);
  d.library_ = &l;
  if (!l.unavailable.empty()) {
    d.unavailable_ = l.unavailable;
    return d;
  }
  int rc = -1;
  if (!pci_bus_id.empty() && l.handle_by_pci != nullptr) {
    rc = l.handle_by_pci(pci_bus_id.c_str(), &d.handle_);
  } else if (l.handle_by_index != nullptr && index >= 0) {
    rc = l.handle_by_index(static_cast<unsigned>(index), &d.handle_);
  }
  if (rc != kNvmlSuccess || d.handle_ == nullptr) {
    d.handle_ = nullptr;
    d.unavailable_ = fmt::format("NVML has no device {}{}", pci_bus_id.empty() ? std::to_string(index) : pci_bus_id,
                                 rc > 0 ? ": " + l.error(rc) : "");
  }
  return d;
}

NvmlDevice NvmlDevice::none(std::string why) {
  NvmlDevice d;
  d.unavailable_ = std::move(why);
  return d;
}

std::optional<std::string> NvmlDevice::driver_version() const {
  if (!available() || library_->driver_version == nullptr) return std::nullopt;
  char buffer[96] = {0};
  if (library_->driver_version(buffer, sizeof buffer) != kNvmlSuccess) return std::nullopt;
  return std::string(buffer);
}

namespace {

std::optional<unsigned> clock_of(ClockFn fn, void* handle, int type) {
  unsigned mhz = 0;
  if (handle == nullptr || fn == nullptr || fn(handle, type, &mhz) != kNvmlSuccess) return std::nullopt;
  return mhz;
}

std::optional<double> milli_to_unit(void* handle, UnsignedFn fn) {
  unsigned milli = 0;
  if (handle == nullptr || fn == nullptr || fn(handle, &milli) != kNvmlSuccess) return std::nullopt;
  return milli / 1000.0;
}

}  // namespace

// Every reader below: nullopt when the device is not open (handle_ null, library_ then maybe too).
std::optional<unsigned> NvmlDevice::sm_clock_mhz() const {
  return handle_ ? clock_of(library_->clock, handle_, kNvmlClockSm) : std::nullopt;
}
std::optional<unsigned> NvmlDevice::memory_clock_mhz() const {
  return handle_ ? clock_of(library_->clock, handle_, kNvmlClockMem) : std::nullopt;
}
std::optional<double> NvmlDevice::power_watts() const {
  return handle_ ? milli_to_unit(handle_, library_->power) : std::nullopt;
}
std::optional<double> NvmlDevice::power_limit_watts() const {
  return handle_ ? milli_to_unit(handle_, library_->power_limit) : std::nullopt;
}

std::optional<double> NvmlDevice::total_energy_joules() const {
  if (handle_ == nullptr) return std::nullopt;
  const U64Fn fn = library_->energy;
  unsigned long long millijoules = 0;
  if (fn == nullptr || fn(handle_, &millijoules) != kNvmlSuccess) return std::nullopt;
  return static_cast<double>(millijoules) / 1000.0;
}

std::optional<uint64_t> NvmlDevice::throttle_reasons() const {
  if (handle_ == nullptr) return std::nullopt;
  const U64Fn fn = library_->reasons;
  unsigned long long bits = 0;
  if (fn == nullptr || fn(handle_, &bits) != kNvmlSuccess) return std::nullopt;
  return static_cast<uint64_t>(bits);
}

}  // namespace gptbench::bench
