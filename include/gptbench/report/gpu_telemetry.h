// The `gpu_telemetry` block of a summarization report: what the GPU did over the timed region, read
// from NVML (bench/nvml.h): energy (NVML's total-energy counter, or power samples integrated where
// the counter is absent), per generated token and per sample, mean and peak power, the SM and memory
// clock range, and the clock-event ("throttle") reasons seen. measured is false on the CPU and where
// NVML is missing; `unavailable` then says why, and every measurement is null.
#pragma once

#include <nlohmann/json.hpp>  // nlohmann::json

#include <cstdint>   // int64_t
#include <optional>  // std::optional
#include <string>    // std::string

#include "gptbench/report/json_fields.h"  // JsonFields

namespace gptbench::report {

struct GpuTelemetry {
  bool measured = false;
  std::optional<std::string> unavailable;  // why not measured ("not a CUDA device", "libnvidia-ml.so.1 ...")
  std::optional<std::string> energy_method;  // "nvml_total_energy_counter" | "nvml_power_samples"
  double seconds = 0;                         // wall time of the timed region
  int64_t samples = 0;                        // telemetry samples taken while timing (bench::kTelemetryPeriodMs apart)
  std::optional<double> energy_j, j_per_token, j_per_sample, mean_power_w, peak_power_w, power_limit_w;
  std::optional<int64_t> sm_clock_min_mhz, sm_clock_max_mhz, memory_clock_min_mhz, memory_clock_max_mhz;
  std::string throttle_reasons;  // comma-separated NVML reason names seen while timing; "" = none
  bool throttled = false;        // thermal or power throttling seen: the timings ran below the clocks asked for
  std::optional<std::string> warning;  // set when throttled, also printed on stderr
};

nlohmann::json to_json(const GpuTelemetry& telemetry);
void from_json(const JsonFields& in, GpuTelemetry& telemetry);

}  // namespace gptbench::report
