// The `memory` block (memory_info.h).
#include "gptbench/report/memory_info.h"  // this file's declarations

namespace gptbench::report {

nlohmann::json to_json(const MemoryInfo& m) {
  nlohmann::json j = {{"peak_allocated_bytes", m.peak_allocated_bytes},
                      {"peak_reserved_bytes", m.peak_reserved_bytes},
                      {"measured", m.measured}};
  if (m.weights_bytes) j["weights_bytes"] = *m.weights_bytes;
  if (m.kv_cache_bytes) j["kv_cache_bytes"] = *m.kv_cache_bytes;
  if (m.resident_at_start_bytes) j["resident_at_start_bytes"] = *m.resident_at_start_bytes;
  return j;
}

void from_json(const JsonFields& in, MemoryInfo& m) {
  m.peak_allocated_bytes = in.integer("peak_allocated_bytes");
  m.peak_reserved_bytes = in.integer("peak_reserved_bytes");
  m.measured = in.boolean("measured");
  m.weights_bytes = in.optional_integer("weights_bytes");
  m.kv_cache_bytes = in.optional_integer("kv_cache_bytes");
  m.resident_at_start_bytes = in.optional_integer("resident_at_start_bytes");
}

}  // namespace gptbench::report
