// One row of a family's weight table: a module parameter and its checkpoint key and layout.
#pragma once

#include <cstdint>  // int64_t
#include <string>   // std::string

namespace gptbench::model {

// kConv1D: HF GPT-2 stores (in, out) for its Conv1D layers; our Linear holds (out, in): transposed once
// at load and back at save. kSame: stored as the parameter is.
enum class WeightLayout { kSame, kConv1D };

struct WeightEntry {
  std::string module_name;  // e.g. "h.3.attn.c_attn.weight", as named_parameters() reports it
  std::string hf_name;      // the checkpoint key without the family's optional prefix (ModelFamily::checkpoint_prefix)
  WeightLayout layout;
  // A fused parameter (Llama's q/k/v -> qkv_proj, gate/up -> gate_up_proj) holds several checkpoint
  // tensors along dim 0: this key is its rows [row0, row0 + rows). rows 0: the whole parameter.
  int64_t row0 = 0;
  int64_t rows = 0;
  // A variant's own parameter (GPT-2's h.{i}.attn.maskmix_logits): loaded when both the checkpoint
  // and the model have it (a model without it ignores the key), saved when the model has it, and
  // initialised by its module (the family's init_weights skips it).
  bool variant_parameter = false;
};

}  // namespace gptbench::model
