// A measurement summary's JSON (summary.h).
#include "gptbench/report/summary.h"  // this file's declarations

#include "gptbench/report/field_list.h"  // write_fields, read_fields

namespace gptbench::report {

constexpr auto kSummaryFields = [](auto& io, auto& s, RawSamples raw) {
  io("n", s.n)("mean", s.mean)("std", s.std)("min", s.min)("p50", s.p50)("p90", s.p90)("p99", s.p99)("max", s.max);
  if (raw == RawSamples::kInclude) io("samples", s.samples);
};

nlohmann::json to_json(const Summary& s, RawSamples raw) { return write_fields(s, kSummaryFields, raw); }

void from_json(const JsonFields& in, Summary& s, RawSamples raw) {
  s.samples.clear();
  read_fields(in, s, kSummaryFields, raw);
}

}  // namespace gptbench::report
