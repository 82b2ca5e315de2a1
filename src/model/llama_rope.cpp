// Inverse rotary frequencies with the op sequence of transformers' modeling_rope_utils, so that the fp32
// numbers agree bit for bit on the CPU.
#include "gptbench/model/llama_rope.h"

#include <ATen/TensorOperators.h>  // Tensor operators (*, /, -, <, >)
#include <ATen/ops/arange.h>       // at::arange
#include <ATen/ops/pow.h>          // at::pow
#include <ATen/ops/reciprocal.h>   // at::reciprocal
#include <ATen/ops/where.h>        // at::where

#include <cmath>  // M_PI

namespace gptbench::model {
namespace {

// Llama 3.1: wavelengths above original/low_freq_factor divided by factor, below original/high_freq_factor
// kept, smoothly interpolated between.
at::Tensor llama3_scaled(const at::Tensor& inv_freq, const RopeScaling& s) {
  const double old_context = static_cast<double>(s.original_max_position_embeddings);
  const double low_freq_wavelen = old_context / s.low_freq_factor;
  const double high_freq_wavelen = old_context / s.high_freq_factor;
  const at::Tensor wavelen = at::reciprocal(inv_freq) * (2 * M_PI);
  at::Tensor scaled = at::where(wavelen > low_freq_wavelen, inv_freq / s.factor, inv_freq);
  const at::Tensor smooth = (at::reciprocal(wavelen) * old_context - s.low_freq_factor) /
                            (s.high_freq_factor - s.low_freq_factor);
  const at::Tensor smoothed = (1 - smooth) * scaled / s.factor + smooth * scaled;
  const at::Tensor medium = (wavelen < high_freq_wavelen).logical_not() * (wavelen > low_freq_wavelen).logical_not();
  return at::where(medium, smoothed, scaled);
}

}  // namespace

at::Tensor rope_inv_freq(const LlamaConfig& config) {
  const int64_t dim = config.head_dim();
  const at::Tensor exponent = at::arange(0, dim, 2, at::kLong).to(at::kFloat) / static_cast<double>(dim);
  at::Tensor inv_freq = at::reciprocal(at::pow(config.rope_theta, exponent));
  switch (config.rope_scaling.type) {
    case RopeType::kDefault: return inv_freq;
    case RopeType::kLinear: return inv_freq / config.rope_scaling.factor;
    case RopeType::kLlama3: return llama3_scaled(inv_freq, config.rope_scaling);
  }
  return inv_freq;
}

}  // namespace gptbench::model
