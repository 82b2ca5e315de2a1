// GPT-2 under the persistent whole-step decode kernel (gptbench/kernels/decode_megakernel.h): which models it
// serves, and their weights gathered once into the struct the kernel's state keeps alive.
#pragma once

#include <cstdint>  // int64_t
#include <string>   // std::string

#include "gptbench/kernels/decode_megakernel.h"  // MegakernelWeights
#include "gptbench/model/causal_lm.h"            // CausalLm

namespace gptbench::model {

// Why the megakernel cannot decode `batch` rows of `model` ("" when it can): the family (GPT-2 only), the
// variant (ALiBi, sliding windows and learned variants are not in the kernel yet), quantized projections,
// adapters, an untied lm_head; then the kernel's own reasons (build, device, dtype, shapes).
std::string megakernel_unsupported_reason(CausalLm& model, int64_t batch);

// The weights of a GPT-2 model as the kernel reads them. gptbench::Error with the model-level reason when the
// model is not one the kernel serves.
kernels::MegakernelWeights megakernel_weights(CausalLm& model);

}  // namespace gptbench::model
