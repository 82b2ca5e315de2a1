// A measurement summary's JSON (summary.h).
#include "gptbench/report/summary.h"  // this file's declarations

namespace gptbench::report {

nlohmann::json to_json(const Summary& s, RawSamples raw) {
  nlohmann::json j = {{"n", s.n},     {"mean", s.mean}, {"std", s.std}, {"min", s.min},
                      {"p50", s.p50}, {"p90", s.p90},   {"p99", s.p99}, {"max", s.max}};
  if (raw == RawSamples::kInclude) j["samples"] = s.samples;
  return j;
}

void from_json(const JsonFields& in, Summary& s, RawSamples raw) {
  s.n = in.integer("n");
  s.mean = in.number("mean");
  s.std = in.number("std");
  s.min = in.number("min");
  s.p50 = in.number("p50");
  s.p90 = in.number("p90");
  s.p99 = in.number("p99");
  s.max = in.number("max");
  s.samples = raw == RawSamples::kInclude ? in.numbers("samples") : std::vector<double>{};
}

}  // namespace gptbench::report
