// Model FLOPs per trained token and the MFU denominator.
//   flops_per_token = 6 * N + 12 * L * C * T_attn     (PaLM appendix B / nanoGPT's estimate_mfu)
//   N = parameters without lookup-only tables (ModelShape::lookup_parameters: GPT-2's position table; an
//   untied input embedding; a tied wte is counted: it is the lm_head matmul), C = n_head * head_dim (the
//   query heads: grouped-query attention shares keys/values, not the scores), T_attn = the mean attended
//   length counted as in that formula: the training sequence length T for dense attention (the causal
//   half is not discounted), min(T, W) for a window W.
// Peaks (dense, no sparsity): H100 SXM / H200 989.4e12 bf16/fp16, 494.7e12 TF32 (fp32 runs use TF32).
#pragma once

#include <cstdint>   // int64_t
#include <optional>  // std::optional
#include <string>    // std::string

#include "gptbench/attention/attention.h"  // AttentionSpec
#include "gptbench/model/model_config.h"   // ModelShape
#include "gptbench/train/train_config.h"   // Precision

namespace gptbench::train {

double flops_per_token(const model::ModelShape& shape, const attention::AttentionSpec& spec, double seq_len);

struct PeakFlops {
  std::optional<double> flops;  // per second; empty when unknown
  std::string source;           // "H100 SXM bf16 dense (989.4 TFLOP/s)", "--peak-tflops", or why unknown
};
PeakFlops peak_flops(const std::string& gpu_name, Precision precision, double override_tflops);

}  // namespace gptbench::train
