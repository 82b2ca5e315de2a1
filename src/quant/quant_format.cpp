// resolve_spec and describe (gptbench/quant/quant_format.h).
#include "gptbench/quant/quant_format.h"

#include <fmt/format.h>  // fmt::format

#include "gptbench/util/enum_names.h"  // enum_name
#include "gptbench/util/error.h"       // UsageError

namespace gptbench::quant {
namespace {

bool power_of_two(int64_t v) { return v > 0 && (v & (v - 1)) == 0; }

}  // namespace

QuantSpec resolve_spec(const QuantSpec& spec, const std::string& what) {
  QuantSpec out = spec;
  const std::string name = enum_name(kQuantFormatNames, spec.format);
  if (spec.symmetric && spec.format != QuantFormat::kInt4) {
    throw UsageError(fmt::format("{}: symmetric applies to int4 only ({} is symmetric by definition)", what, name));
  }
  switch (spec.format) {
    case QuantFormat::kInt8:
      if (spec.group != 0) throw UsageError(fmt::format("{}: int8 has one scale per output channel, not groups", what));
      break;
    case QuantFormat::kInt4:
      if (out.group == 0) out.group = kInt4DefaultGroup;
      if (out.group < 0 || out.group % kGroupGranule != 0) {
        throw UsageError(fmt::format("{}: the int4 group must be a positive multiple of {}, got {}", what,
                                     kGroupGranule, out.group));
      }
      break;
    case QuantFormat::kNf4:
      if (out.group == 0) out.group = kNf4DefaultBlock;
      if (!power_of_two(out.group) || out.group < 32 || out.group > 4096) {
        throw UsageError(
            fmt::format("{}: the nf4 block must be a power of two from 32 to 4096 (bitsandbytes' sizes), got {}",
                        what, out.group));
      }
      break;
  }
  return out;
}

std::string describe(const QuantSpec& spec) {
  switch (spec.format) {
    case QuantFormat::kInt8:
      return "int8 per-channel";
    case QuantFormat::kInt4:
      return fmt::format("int4 g{} {}", spec.group, spec.symmetric ? "symmetric" : "asymmetric");
    case QuantFormat::kNf4:
      return fmt::format("nf4 b{}", spec.group);
  }
  return "?";
}

}  // namespace gptbench::quant
