// The `quant` block (quant_info.h).
#include "gptbench/report/quant_info.h"  // this file's declarations

#include "gptbench/report/field_list.h"  // write_fields, read_fields

namespace gptbench::report {

constexpr auto kQuantFields = [](auto& io, auto& q) {
  io("format", q.format)("group", q.group)("symmetric", q.symmetric)("scale_dtype", q.scale_dtype);
  io("source", q.source)("modules", q.modules)("layers", q.layers)("lm_head", q.lm_head);
  io("weight_bytes_before", q.weight_bytes_before)("weight_bytes_after", q.weight_bytes_after);
};

nlohmann::json to_json(const QuantInfo& q) { return write_fields(q, kQuantFields); }

void from_json(const JsonFields& in, QuantInfo& q) { read_fields(in, q, kQuantFields); }

}  // namespace gptbench::report
