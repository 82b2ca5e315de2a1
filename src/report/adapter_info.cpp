// The `adapter` block (adapter_info.h).
#include "gptbench/report/adapter_info.h"  // this file's declarations

#include "gptbench/report/field_list.h"  // write_fields, read_fields

namespace gptbench::report {

constexpr auto kAdapterFields = [](auto& io, auto& a) {
  io("dir", a.dir)("merged", a.merged)("rank", a.rank)("alpha", a.alpha)("targets", a.targets);
  io("sites", a.sites)("parameters", a.parameters);
};

nlohmann::json to_json(const AdapterInfo& a) { return write_fields(a, kAdapterFields); }

void from_json(const JsonFields& in, AdapterInfo& a) { read_fields(in, a, kAdapterFields); }

}  // namespace gptbench::report
