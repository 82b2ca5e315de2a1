// `--profile`: LibTorch's Kineto profiler over one region of a run. It records CPU ops always,
// and device kernels through CUPTI when the device is CUDA (kernels replayed from CUDA graphs
// included). Nothing is recorded, and nothing of the profiler runs, unless a Profiler exists: a
// command that does not profile never constructs one.
#pragma once

#include <c10/core/Device.h>  // c10::Device

#include <chrono>      // std::chrono::steady_clock
#include <cstddef>     // size_t
#include <filesystem>  // std::filesystem::path

#include "gptbench/bench/profile_summary.h"  // ProfileSummary, kProfileTopN

namespace gptbench::bench {

class Profiler {
 public:
  // Fails now (gptbench::Error naming --profile and the path) when the trace could not be written later, then
  // prepares the profiler: CUPTI must be set up before any CUDA graph is captured, or the replays
  // of that graph go unrecorded (or fail), so construct it before the warm-up.
  Profiler(std::filesystem::path trace_path, c10::Device device);
  ~Profiler();  // ends a region still recording (an error path), discarding it
  Profiler(const Profiler&) = delete;
  Profiler& operator=(const Profiler&) = delete;

  void start();  // the region begins; only once
  // The region ends once the device has finished the work queued in it: writes the Chrome trace
  // atomically and returns the summary (ProfileKind::kCudaKernels on a CUDA device).
  ProfileSummary stop(size_t top_n = kProfileTopN);
  bool recording() const { return recording_; }

 private:
  std::filesystem::path trace_path_;
  c10::Device device_;
  bool recording_ = false, stopped_ = false;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace gptbench::bench
