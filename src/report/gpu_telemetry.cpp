// The `gpu_telemetry` block (gpu_telemetry.h).
#include "gptbench/report/gpu_telemetry.h"  // this file's declarations

#include "gptbench/report/field_list.h"  // write_fields, read_fields

namespace gptbench::report {

constexpr auto kGpuTelemetryFields = [](auto& io, auto& t) {
  io("measured", t.measured)("unavailable", t.unavailable)("energy_method", t.energy_method);
  io("seconds", t.seconds)("samples", t.samples)("energy_j", t.energy_j)("j_per_token", t.j_per_token);
  io("j_per_sample", t.j_per_sample)("mean_power_w", t.mean_power_w)("peak_power_w", t.peak_power_w);
  io("power_limit_w", t.power_limit_w)("sm_clock_min_mhz", t.sm_clock_min_mhz)("sm_clock_max_mhz", t.sm_clock_max_mhz);
  io("memory_clock_min_mhz", t.memory_clock_min_mhz)("memory_clock_max_mhz", t.memory_clock_max_mhz);
  io("throttle_reasons", t.throttle_reasons)("throttled", t.throttled)("warning", t.warning);
};

nlohmann::json to_json(const GpuTelemetry& t) { return write_fields(t, kGpuTelemetryFields); }

void from_json(const JsonFields& in, GpuTelemetry& t) { read_fields(in, t, kGpuTelemetryFields); }

}  // namespace gptbench::report
