// NVML loaded at run time (bench/nvml.h) and the telemetry window (bench/gpu_telemetry.h), where
// there is nothing to measure: a library that cannot be loaded is named with the reason, the CPU is
// "not a CUDA device", and the report block then says unavailable with every measurement null.
// Reason bits are named as NVML names them, and only thermal or power ones make a warning.
#include <gtest/gtest.h>  // TEST, EXPECT_*

#include <string>  // std::string

#include "gptbench/bench/gpu_telemetry.h"  // TelemetryWindow, nvml_device, throttle_warning
#include "gptbench/bench/nvml.h"           // NvmlDevice, nvml_reason_names
#include "gptbench/report/gpu_telemetry.h"  // GpuTelemetry, to_json, from_json

namespace gptbench::bench {
namespace {

TEST(Nvml, AMissingLibraryIsNamedWithTheReason) {
  const NvmlDevice d = NvmlDevice::open("", 0, "libgptbench-no-such-nvml.so.1");
  EXPECT_FALSE(d.available());
  EXPECT_NE(d.unavailable().find("libgptbench-no-such-nvml.so.1 could not be loaded"), std::string::npos)
      << d.unavailable();
  EXPECT_FALSE(d.driver_version());
  EXPECT_FALSE(d.total_energy_joules());
  EXPECT_FALSE(d.sm_clock_mhz());
  EXPECT_FALSE(d.throttle_reasons());
}

TEST(Nvml, ReasonBitsAreNamed) {
  EXPECT_EQ(nvml_reason_names(0), "");
  EXPECT_EQ(nvml_reason_names(0x1), "gpu_idle");
  EXPECT_EQ(nvml_reason_names(kNvmlReasonSwPowerCap | kNvmlReasonHwThermalSlowdown), "sw_power_cap,hw_thermal_slowdown");
  EXPECT_EQ(nvml_reason_names(0x4000 | 0x1), "gpu_idle,0x4000");
}

TEST(Nvml, OnlyThermalAndPowerReasonsWarn) {
  EXPECT_EQ(throttle_warning(0), "");
  EXPECT_EQ(throttle_warning(0x1 | 0x2), "");  // idle, application clocks: not throttling
  const std::string w = throttle_warning(0x1 | kNvmlReasonSwThermalSlowdown);
  EXPECT_NE(w.find("throttled while timing (sw_thermal_slowdown)"), std::string::npos) << w;
}

TEST(TelemetryWindow, OnTheCpuTheBlockSaysWhyNothingWasMeasured) {
  TelemetryWindow window(c10::Device("cpu"));
  const report::GpuTelemetry t = window.stop(100, 4);
  EXPECT_FALSE(t.measured);
  EXPECT_EQ(t.unavailable.value_or(""), "not a CUDA device");
  EXPECT_FALSE(t.energy_j || t.j_per_token || t.mean_power_w || t.sm_clock_max_mhz);
  EXPECT_FALSE(t.throttled);
  const nlohmann::json j = report::to_json(t);
  EXPECT_TRUE(j.at("energy_j").is_null());
  EXPECT_EQ(j.at("unavailable"), "not a CUDA device");
  report::GpuTelemetry back;
  report::from_json(report::JsonFields(j, "gpu_telemetry"), back);
  EXPECT_EQ(report::to_json(back), j);
}

TEST(TelemetryWindow, ACudaDeviceWithoutNvmlSaysSo) {
  TelemetryWindow window(c10::Device("cuda:0"), "libgptbench-no-such-nvml.so.1");
  const report::GpuTelemetry t = window.stop(1, 1);
  EXPECT_FALSE(t.measured);
  EXPECT_NE(t.unavailable.value_or("").find("could not be loaded"), std::string::npos) << t.unavailable.value_or("");
}

}  // namespace
}  // namespace gptbench::bench
