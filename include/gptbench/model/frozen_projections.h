// The frozen base's projections held in the training's compute dtype (LoRA under --precision bf16 or
// fp16). Under autocast a linear layer casts an fp32 weight to bf16/fp16 at every forward, and autograd
// keeps that copy until the backward (autocast caches the casts of trainable leaves only, so a frozen
// weight is cast again at every forward); a weight held in that dtype is what the cast gives, bit for
// bit (both round to nearest even), so the forward is unchanged, autocast has nothing left to cast and
// the fp32 copy is gone. Held so: the weight and bias of every dense projection whose parameters are
// all frozen, a quantized projection's bias, never the lm_head's weight (the loss reads it through
// CausalLm::lm_head_weight, whose dtype CausalLm::dtype() reports). Embeddings and norms stay as they
// are: under autocast they run in fp32 (the residual stream, LayerNorm/RMSNorm).
#pragma once

#include <c10/core/ScalarType.h>  // c10::ScalarType

#include <cstdint>  // int64_t

#include "gptbench/model/causal_lm.h"  // CausalLm

namespace gptbench::model {

// Converts them in place (the parameters keep their names and requires_grad false). Returns the
// elements converted.
int64_t hold_frozen_projections_in(CausalLm& model, c10::ScalarType dtype);

}  // namespace gptbench::model
