// Peak memory from the CUDA caching allocator. Reserved bytes are what the allocator holds from
// the driver; allocated bytes are what tensors use. Both are reported, never one as the other.
#pragma once

#include <c10/core/Device.h>  // c10::Device

#include <cstdint>  // int64_t

namespace gptbench::bench {

struct MemoryPeaks {
  int64_t peak_allocated = 0;
  int64_t peak_reserved = 0;
  int64_t allocated_now = 0;
};

void reset_peak_memory(c10::Device device);      // no-op on the CPU
MemoryPeaks read_peak_memory(c10::Device device);  // zeros on the CPU
// Frees the allocator's unused blocks and ATen's cuBLAS workspaces (after a device synchronize);
// call it between runs of one process, with no CUDA graph alive.
void release_cached_memory(c10::Device device);

}  // namespace gptbench::bench
