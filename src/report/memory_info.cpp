// The `memory` block (memory_info.h).
#include "gptbench/report/memory_info.h"  // this file's declarations

#include "gptbench/report/field_list.h"  // write_fields, read_fields

namespace gptbench::report {

// The bytes beside the peaks are written only where the command measures them (memory_info.h).
constexpr auto kMemoryFields = [](auto& io, auto& m) {
  io("peak_allocated_bytes", m.peak_allocated_bytes)("peak_reserved_bytes", m.peak_reserved_bytes);
  io.if_present("weights_bytes", m.weights_bytes)
      .if_present("kv_cache_bytes", m.kv_cache_bytes)
      .if_present("resident_at_start_bytes", m.resident_at_start_bytes);
  io("measured", m.measured);
};

nlohmann::json to_json(const MemoryInfo& m) { return write_fields(m, kMemoryFields); }

void from_json(const JsonFields& in, MemoryInfo& m) { read_fields(in, m, kMemoryFields); }

}  // namespace gptbench::report
