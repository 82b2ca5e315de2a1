// The device model a run report was measured on, as `gptbench compare` checks it: timings of two GPU
// models are not comparable, so a baseline of another GPU model is refused unless
// --allow-device-diff (comparison.h). The model is the report's env.gpu ("NVIDIA H100 80GB HBM3"),
// "cpu" for a CPU run (env.device "cpu"), and unknown when the report says neither.
#pragma once

#include <optional>  // std::optional
#include <string>    // std::string

#include "gptbench/report/run_report.h"  // RunReport

namespace gptbench::compare {

inline constexpr const char* kCpuDeviceModel = "cpu";

// env.gpu; "cpu" for a CPU run; none when the report does not record it.
std::optional<std::string> device_model(const report::RunReport& report);

}  // namespace gptbench::compare
