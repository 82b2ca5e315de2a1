// The rotary embedding's inverse frequencies of a Llama/Mistral config: rope_theta and rope_scaling turned
// into the (D/2,) fp32 numbers transformers computes (default, linear, llama3). The kernels rotate with
// them (kernels/rope_op.h); they never compute them.
#pragma once

#include <ATen/core/Tensor.h>  // at::Tensor

#include "gptbench/model/llama_config.h"  // LlamaConfig

namespace gptbench::model {

// (head_dim / 2,) fp32 on the CPU: inv_freq[i] = 1 / theta^(2i / D), then scaled as rope_scaling says.
at::Tensor rope_inv_freq(const LlamaConfig& config);

}  // namespace gptbench::model
