// Environment metadata.
#include "gptbench/bench/environment.h"

#include <ATen/detail/CUDAHooksInterface.h>  // at::detail::getCUDAHooks (cuDNN version, no CUDA headers)
#include <torch/cuda.h>                      // torch::cuda::device_count
#include <torch/version.h>                   // TORCH_VERSION
#include <fmt/format.h>                      // fmt::format
#include <unistd.h>                          // gethostname

#include <ctime>   // std::time, gmtime_r, strftime
#include <thread>  // std::thread::hardware_concurrency

#ifdef GPTBENCH_HAVE_CUDA
#include <ATen/cuda/CUDAContext.h>  // at::cuda::getDeviceProperties
#include <c10/cuda/CUDAFunctions.h>  // c10::cuda::current_device
#include <cuda_runtime_api.h>       // cudaDriverGetVersion, cudaRuntimeGetVersion
#endif

#include "gptbench/version.h"  // kVersion, kGitSha

namespace gptbench::bench {

std::string utc_now_iso8601() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

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
