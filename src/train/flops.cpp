// FLOPs per token and peak throughput for MFU (flops.h).
#include "gptbench/train/flops.h"

#include <fmt/format.h>  // fmt::format

#include <algorithm>  // std::min

namespace gptbench::train {

double flops_per_token(const model::ModelShape& shape, const attention::AttentionSpec& spec, double seq_len) {
  const double n = static_cast<double>(shape.parameter_count - shape.lookup_parameters);
  const double t_attn = spec.sparse() ? std::min(seq_len, static_cast<double>(spec.window)) : seq_len;
  const int64_t attention_width = shape.n_head * shape.head_dim;  // query heads: GQA shares K/V, not the scores
  return 6.0 * n + 12.0 * static_cast<double>(shape.n_layer * attention_width) * t_attn;
}

PeakFlops peak_flops(const std::string& gpu_name, Precision precision, double override_tflops) {
  if (override_tflops > 0) return {override_tflops * 1e12, fmt::format("--peak-tflops {}", override_tflops)};
  const bool hopper = gpu_name.find("H100") != std::string::npos || gpu_name.find("H200") != std::string::npos;
  if (!hopper) return {std::nullopt, "unknown peak for device \"" + gpu_name + "\" (pass --peak-tflops)"};
  if (precision == Precision::kFp32) return {494.7e12, gpu_name + ": TF32 dense 494.7 TFLOP/s (H100 SXM datasheet)"};
  return {989.4e12, gpu_name + ": bf16/fp16 dense 989.4 TFLOP/s (H100 SXM datasheet)"};
}

}  // namespace gptbench::train
