// uninitialised_embedding (uninitialised_embedding.h).
#include "gptbench/model/uninitialised_embedding.h"

#include <ATen/ops/empty.h>  // at::empty

namespace gptbench::model {

torch::nn::Embedding uninitialised_embedding(int64_t rows, int64_t width, const at::TensorOptions& weights) {
  return torch::nn::Embedding(torch::nn::EmbeddingOptions(rows, width)._weight(at::empty({rows, width}, weights)));
}

}  // namespace gptbench::model
