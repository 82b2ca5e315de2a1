// Profiler over LibTorch's Kineto C++ API (torch/csrc/autograd/profiler_kineto.h): the calls
// Python's torch.profiler makes, prepare (CUPTI set up) long before enable, then disable.
#include "gptbench/bench/profiler.h"

#include <kineto/ActivityType.h>                    // libkineto::ActivityType
#include <torch/csrc/autograd/profiler_kineto.h>    // prepareProfiler, enableProfiler, disableProfiler

#include <cstdlib>    // setenv
#include <exception>  // std::exception
#include <memory>     // std::unique_ptr
#include <set>        // std::set
#include <string>     // std::string
#include <utility>    // std::move
#include <vector>     // std::vector

#include "gptbench/bench/device_timer.h"  // synchronize_device
#include "gptbench/io/atomic_file.h"      // check_writable, write_file_atomic_by_path
#include "gptbench/util/error.h"          // Error

namespace gptbench::bench {
namespace {

namespace kineto_api = torch::autograd::profiler;
using torch::profiler::impl::ActivityType;
using torch::profiler::impl::ProfilerConfig;
using torch::profiler::impl::ProfilerState;

// No input shapes, memory, stacks, FLOPs or modules: each adds overhead to every op recorded.
ProfilerConfig profiler_config() { return ProfilerConfig(ProfilerState::KINETO); }

std::set<ActivityType> activities(c10::Device device) {
  std::set<ActivityType> a = {ActivityType::CPU};
  if (device.is_cuda()) a.insert(ActivityType::CUDA);
  return a;
}

bool is(const kineto_api::KinetoEvent& e, libkineto::ActivityType type) {
  return e.activityType() == static_cast<uint8_t>(type);
}

}  // namespace

Profiler::Profiler(std::filesystem::path trace_path, c10::Device device)
    : trace_path_(std::move(trace_path)), device_(device) {
  try {
    io::check_writable(trace_path_);
  } catch (const Error& e) {
    throw Error(std::string("--profile: ") + e.what());
  }
  // Without a GPU, Kineto still probes one when it writes the trace, and logs the failure as an
  // ERROR line on stderr (and into the trace). Profiling the CPU, nothing it could log matters:
  // quiet it, unless the user set the level. Read once, when Kineto initialises (just below).
  if (!device_.is_cuda()) setenv("KINETO_LOG_LEVEL", "5", /*overwrite=*/0);
  kineto_api::prepareProfiler(profiler_config(), activities(device_));
}

Profiler::~Profiler() {
  if (!recording_) return;
  try {
    (void)kineto_api::disableProfiler();
  } catch (const std::exception&) {
    // Already unwinding from the error that cut the region short; that error is the one to report.
  }
}

void Profiler::start() {
  if (recording_ || stopped_) throw Error("profiler: start() called twice for " + trace_path_.string());
  kineto_api::enableProfiler(profiler_config(), activities(device_));
  recording_ = true;
  start_ = std::chrono::steady_clock::now();
}

ProfileSummary Profiler::stop(size_t top_n) {
  if (!recording_) throw Error("profiler: stop() without start() for " + trace_path_.string());
  // Kernels still queued when the profiler stops would be missing from the trace.
  synchronize_device(device_);
  const double wall_us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start_).count();
  std::unique_ptr<kineto_api::ProfilerResult> result = kineto_api::disableProfiler();
  recording_ = false;
  stopped_ = true;
  if (!result) throw Error("profiler: Kineto returned no result for " + trace_path_.string());
  io::write_file_atomic_by_path(trace_path_, [&](const std::filesystem::path& temp) { result->save(temp.string()); });

  std::vector<ProfiledEvent> kernels, ops;
  double copies_ns = 0;
  for (const kineto_api::KinetoEvent& e : result->events()) {
    if (is(e, libkineto::ActivityType::CONCURRENT_KERNEL)) {
      kernels.push_back({e.name(), 0, e.startNs(), e.durationNs()});
    } else if (is(e, libkineto::ActivityType::GPU_MEMCPY) || is(e, libkineto::ActivityType::GPU_MEMSET)) {
      copies_ns += static_cast<double>(e.durationNs());
    } else if (is(e, libkineto::ActivityType::CPU_OP)) {
      ops.push_back({e.name(), e.startThreadId(), e.startNs(), e.durationNs()});
    }
  }
  ProfileSummary summary;
  if (device_.is_cuda() && !kernels.empty()) {
    summary = summarize_profile(std::move(kernels), ProfileKind::kCudaKernels, top_n, wall_us);
    summary.memcpy_memset_us = copies_ns / 1000.0;
  } else {
    summary = summarize_profile(std::move(ops), ProfileKind::kCpuOps, top_n, wall_us);
    if (device_.is_cuda())
      summary.note = "CUPTI recorded no device kernels (is CUPTI usable here?): CPU ops instead";
  }
  summary.trace_path = trace_path_.string();
  return summary;
}

}  // namespace gptbench::bench
