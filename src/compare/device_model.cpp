// The device model of a run report (device_model.h).
#include "gptbench/compare/device_model.h"  // this file's declarations

#include <nlohmann/json.hpp>  // nlohmann::json

namespace gptbench::compare {

std::optional<std::string> device_model(const report::RunReport& report) {
  const nlohmann::json& env = report.header.env;
  if (!env.is_object()) return std::nullopt;
  const auto gpu = env.find("gpu");
  if (gpu != env.end() && gpu->is_string() && !gpu->get<std::string>().empty()) return gpu->get<std::string>();
  const auto device = env.find("device");
  if (device != env.end() && device->is_string() && device->get<std::string>().rfind(kCpuDeviceModel, 0) == 0)
    return std::string(kCpuDeviceModel);
  return std::nullopt;
}

}  // namespace gptbench::compare
