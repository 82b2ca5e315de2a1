// An embedding table allocated without initialising it (torch::nn::Embedding draws normal(0, 1) values
// first): the families' builders allocate, init_weights or a checkpoint fills.
#pragma once

#include <c10/core/TensorOptions.h>      // at::TensorOptions
#include <torch/nn/modules/embedding.h>  // torch::nn::Embedding

#include <cstdint>  // int64_t

namespace gptbench::model {

// weight: (rows, width) with `weights`' dtype and device, uninitialised.
torch::nn::Embedding uninitialised_embedding(int64_t rows, int64_t width, const at::TensorOptions& weights);

}  // namespace gptbench::model
