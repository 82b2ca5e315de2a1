// quant_info (quant_report.h).
#include "gptbench/run/quant_report.h"

#include <cctype>  // std::isdigit
#include <string>  // std::string
#include <vector>  // std::vector

#include "gptbench/model/checkpoint.h"    // dtype_flag_name
#include "gptbench/quant/quant_format.h"  // kQuantFormatNames
#include "gptbench/util/enum_names.h"     // enum_name

namespace gptbench::run {
namespace {

// "h.3.attn.c_attn" -> "attn.c_attn", "layers.0.mlp.down_proj" -> "mlp.down_proj", "lm_head" as is.
std::string without_block(const std::string& name) {
  const size_t first = name.find('.');
  if (first == std::string::npos) return name;
  const size_t second = name.find('.', first + 1);
  if (second == std::string::npos || !std::isdigit(static_cast<unsigned char>(name[first + 1]))) return name;
  return name.substr(second + 1);
}

}  // namespace

std::optional<report::QuantInfo> quant_info(const std::optional<model::QuantSummary>& summary) {
  if (!summary) return std::nullopt;
  report::QuantInfo q;
  q.format = enum_name(quant::kQuantFormatNames, summary->spec.format);
  q.group = summary->spec.group;
  q.symmetric = summary->spec.symmetric;
  q.scale_dtype = model::dtype_flag_name(summary->scale_dtype);
  q.source = summary->from_checkpoint ? "checkpoint" : "load";
  std::vector<std::string> modules;
  for (const std::string& name : summary->layers) {
    const std::string m = without_block(name);
    bool seen = false;
    for (const std::string& s : modules) seen = seen || s == m;
    if (!seen) modules.push_back(m);
  }
  for (const std::string& m : modules) q.modules += (q.modules.empty() ? "" : ",") + m;
  q.layers = static_cast<int64_t>(summary->layers.size());
  q.lm_head = summary->lm_head;
  q.weight_bytes_before = summary->bytes_before;
  q.weight_bytes_after = summary->bytes_after;
  return q;
}

}  // namespace gptbench::run
