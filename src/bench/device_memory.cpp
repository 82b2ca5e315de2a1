// CUDA caching-allocator statistics.
#include "gptbench/bench/device_memory.h"

#ifdef GPTBENCH_HAVE_CUDA
#include <ATen/cuda/CUDAContextLight.h>     // at::cuda::clearCublasWorkspaces
#include <ATen/ops/empty.h>                 // at::empty (initialises CUDA)
#include <c10/cuda/CUDACachingAllocator.h>  // getDeviceStats, resetPeakStats, emptyCache
#include <c10/cuda/CUDAFunctions.h>         // c10::cuda::current_device, device_synchronize
#endif

namespace gptbench::bench {
namespace {

// The allocator indexes its per-device state directly: an index of -1 would read out of bounds.
// Its state exists only once CUDA is initialised (lazily, at the first CUDA tensor): before that
// it refuses every device ("Invalid device argument", seen when `sweep` reset the peak statistics
// before its first cell had loaded a model), so the first query initialises CUDA here.
c10::DeviceIndex index_of(c10::Device device) {
#ifdef GPTBENCH_HAVE_CUDA
  static const bool initialised = [&] {
    (void)at::empty({1}, at::TensorOptions().device(device));
    return true;
  }();
  (void)initialised;
  return device.has_index() ? device.index() : c10::cuda::current_device();
#else
  return device.index();
#endif
}

}  // namespace

void reset_peak_memory(c10::Device device) {
#ifdef GPTBENCH_HAVE_CUDA
  if (device.is_cuda()) c10::cuda::CUDACachingAllocator::resetPeakStats(index_of(device));
#else
  (void)device;
#endif
}

MemoryPeaks read_peak_memory(c10::Device device) {
  MemoryPeaks peaks;
#ifdef GPTBENCH_HAVE_CUDA
  if (device.is_cuda()) {
    using c10::CachingAllocator::StatType;
    const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(index_of(device));
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
  if (device.is_cuda()) {
    (void)index_of(device);
    c10::cuda::device_synchronize();
    // ATen keeps a cuBLAS workspace (32 MiB on Hopper) per (handle, stream) for the life of the
    // process, allocated through the caching allocator, so a CUDA-graph capture on a new side stream
    // leaves one more allocated. In a sweep, the cells after graph-captured flash cells peaked up to
    // 470 MiB higher than alone; with this call each starts from 0 bytes (sweep_memory_gpu; the H100
    // sweep of bench/results/sweep_h100_2026-11-23.md). The next GEMM allocates its workspace again.
    at::cuda::clearCublasWorkspaces();
    c10::cuda::CUDACachingAllocator::emptyCache();
  }
#else
  (void)device;
#endif
}

}  // namespace gptbench::bench
