// Environment metadata for every report: tool version, GPU, driver, CUDA, cuDNN, LibTorch, host, time.
#pragma once

#include <c10/core/Device.h>  // c10::Device

#include <nlohmann/json.hpp>  // nlohmann::json

#include <string>  // std::string

namespace gptbench::bench {

nlohmann::json tool_json();                      // {"name", "version", "git_sha"}
nlohmann::json environment_json(c10::Device device);  // {"device", "gpu", "sm_count", "cuda_runtime", ...}
std::string utc_now_iso8601();

}  // namespace gptbench::bench
