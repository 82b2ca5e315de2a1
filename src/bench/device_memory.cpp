// CUDA caching-allocator statistics.
#include "gptbench/bench/device_memory.h"

#ifdef GPTBENCH_HAVE_CUDA
#include <c10/cuda/CUDACachingAllocator.h>  // getDeviceStats, resetPeakStats, emptyCache
#endif

namespace gptbench::bench {

void reset_peak_memory(c10::Device device) {
#ifdef GPTBENCH_HAVE_CUDA
  if (device.is_cuda()) c10::cuda::CUDACachingAllocator::resetPeakStats(device.index());
#else
  (void)device;
#endif
}

MemoryPeaks read_peak_memory(c10::Device device) {
  MemoryPeaks peaks;
#ifdef GPTBENCH_HAVE_CUDA
  if (device.is_cuda()) {
    using c10::CachingAllocator::StatType;
    const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(device.index());
    const auto aggregate = static_cast<size_t>(StatType::AGGREGATE);
    peaks.peak_allocated = stats.allocated_bytes[aggregate].peak;
    peaks.peak_reserved = stats.reserved_bytes[aggregate].peak;
    peaks.allocated_now = stats.allocated_bytes[aggregate].current;
  }
#else
  (void)device;
#endif
  return peaks;
}

void release_cached_memory(c10::Device device) {
#ifdef GPTBENCH_HAVE_CUDA
  if (device.is_cuda()) c10::cuda::CUDACachingAllocator::emptyCache();
#else
  (void)device;
#endif
}

}  // namespace gptbench::bench
