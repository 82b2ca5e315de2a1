// The `memory` block of every report: device memory peaks (CUDA caching allocator). Which bytes
// beside the peaks a report has depends on the command: weights_bytes (run, perplexity),
// kv_cache_bytes and resident_at_start_bytes (summarization); an absent one is not written.
#pragma once

#include <nlohmann/json.hpp>  // nlohmann::json

#include <cstdint>   // int64_t
#include <optional>  // std::optional

#include "gptbench/report/json_fields.h"  // JsonFields

namespace gptbench::report {

struct MemoryInfo {
  int64_t peak_allocated_bytes = 0, peak_reserved_bytes = 0;
  std::optional<int64_t> weights_bytes, kv_cache_bytes, resident_at_start_bytes;
  bool measured = false;  // false on the CPU: the peaks are then 0
};

nlohmann::json to_json(const MemoryInfo& memory);
void from_json(const JsonFields& in, MemoryInfo& memory);

}  // namespace gptbench::report
