// Environment metadata.
#include "gptbench/bench/environment.h"

#include <ATen/detail/CUDAHooksInterface.h>  // at::detail::getCUDAHooks (cuDNN version, no CUDA headers)
#include <torch/cuda.h>                      // torch::cuda::device_count
#include <torch/version.h>                   // TORCH_VERSION
#include <fmt/format.h>                      // fmt::format
#include <sys/utsname.h>                      // uname
#include <unistd.h>                          // gethostname, sysconf

#include <cstdint>  // int64_t
#include <ctime>    // std::time, gmtime_r, strftime
#include <fstream>  // std::ifstream (fixed /proc and /etc files, not user paths)
#include <string>   // std::string, std::getline
#include <thread>   // std::thread::hardware_concurrency

#ifdef GPTBENCH_HAVE_CUDA
#include <ATen/cuda/CUDAContext.h>  // at::cuda::getDeviceProperties
#include <c10/cuda/CUDAFunctions.h>  // c10::cuda::current_device
#include <cuda_runtime_api.h>       // cudaDriverGetVersion, cudaRuntimeGetVersion
#endif

#include "gptbench/bench/gpu_telemetry.h"  // nvml_device
#include "gptbench/version.h"              // kVersion, kGitSha

namespace gptbench::bench {

std::string utc_now_iso8601() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

namespace {

// The value after "key" and its separator on the first line of `file` that starts with `key`
// ("model name\t: Intel..." in /proc/cpuinfo, PRETTY_NAME="Debian..." in /etc/os-release); "" if none.
std::string first_value(const char* file, const std::string& key, char separator) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) != 0) continue;
    const auto at = line.find(separator);
    if (at == std::string::npos) continue;
    std::string value = line.substr(at + 1);
    const auto first = value.find_first_not_of(" \t\"");
    const auto last = value.find_last_not_of(" \t\"");
    return first == std::string::npos ? "" : value.substr(first, last - first + 1);
  }
  return "";
}

// The host: CPU model, OS, kernel, RAM (what optimum-benchmark records).
void add_host(nlohmann::json& env) {
  const std::string cpu = first_value("/proc/cpuinfo", "model name", ':');
  env["cpu_model"] = cpu.empty() ? "unavailable" : cpu;
  const std::string os = first_value("/etc/os-release", "PRETTY_NAME", '=');
  struct utsname u {};
  const bool named = uname(&u) == 0;
  env["os"] = !os.empty() ? os : named ? std::string(u.sysname) : "unavailable";
  env["kernel"] = named ? fmt::format("{} {} {}", u.sysname, u.release, u.machine) : "unavailable";
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  env["ram_bytes"] = pages > 0 && page > 0 ? nlohmann::json(static_cast<int64_t>(pages) * page) : nlohmann::json(nullptr);
}

// The NVIDIA driver and the device's power limit through NVML; "unavailable" and env.nvml saying
// why where there is no NVML (a machine without the driver) or no CUDA device.
void add_nvml(nlohmann::json& env, c10::Device device) {
  const NvmlDevice any = NvmlDevice::open("", 0);  // the driver version needs the library, not a device
  const NvmlDevice nvml = nvml_device(device);
  env["nvidia_driver"] = any.driver_version().value_or("unavailable");
  const auto limit = nvml.power_limit_watts();
  env["gpu_power_limit_w"] = limit ? nlohmann::json(*limit) : nlohmann::json("unavailable");
  env["nvml"] = nvml.available() ? std::string("ok") : "unavailable: " + nvml.unavailable();
}

}  // namespace

nlohmann::json tool_json() { return {{"name", "gptbench"}, {"version", kVersion}, {"git_sha", kGitSha}}; }

nlohmann::json environment_json(c10::Device device) {
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  nlohmann::json env = {{"device", device.str()},
                        {"host", host},
                        {"cpu_threads", std::thread::hardware_concurrency()},
                        {"libtorch", TORCH_VERSION},
                        {"time_utc", utc_now_iso8601()},
                        {"cuda_devices", torch::cuda::device_count()}};
  add_host(env);
  add_nvml(env, device);
#ifdef GPTBENCH_HAVE_CUDA
  if (device.is_cuda()) {
    const cudaDeviceProp* p = at::cuda::getDeviceProperties(device.has_index() ? device.index() : c10::cuda::current_device());
    int driver = 0, runtime = 0;
    cudaDriverGetVersion(&driver);
    cudaRuntimeGetVersion(&runtime);
    env["gpu"] = p->name;
    env["sm_count"] = p->multiProcessorCount;
    env["compute_capability"] = std::to_string(p->major) + "." + std::to_string(p->minor);
    env["gpu_memory_bytes"] = p->totalGlobalMem;
    env["l2_bytes"] = p->l2CacheSize;
    env["cuda_driver"] = fmt::format("{}.{}", driver / 1000, (driver % 1000) / 10);  // CUDA version the driver supports
    env["cuda_runtime"] = fmt::format("{}.{}", runtime / 1000, (runtime % 1000) / 10);
    env["cudnn"] = at::detail::getCUDAHooks().versionCuDNN();
  }
#endif
  return env;
}

}  // namespace gptbench::bench
