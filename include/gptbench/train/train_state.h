// The resume state beside the Hugging Face checkpoint in the output folder:
//   train_state.safetensors  optimizer moments and step counts, loss scale (fp32 tensors)
//   train_state.json         {"step", "examples_consumed", "identity" (TrainConfig::resume_identity),
//                             "variant"}; written last, so it names a complete checkpoint.
// Training uses no random numbers besides the data order, which is a pure function of
// (seed, examples_consumed) (train_data.h): that pair is the whole RNG state.
#pragma once

#include <ATen/core/Tensor.h>  // at::Tensor

#include <nlohmann/json.hpp>  // nlohmann::json

#include <cstdint>     // int64_t
#include <filesystem>  // std::filesystem::path
#include <map>         // std::map
#include <string>      // std::string

namespace gptbench::train {

struct TrainState {
  int64_t step = 0;               // optimizer steps done
  int64_t examples_consumed = 0;  // position in the example order
  nlohmann::json identity;        // must equal the resumed run's resume_identity()
  std::map<std::string, at::Tensor> tensors;  // CPU fp32
};

void save_train_state(const std::filesystem::path& dir, const TrainState& state);
// Throws Error naming the file when it is missing or inconsistent.
TrainState load_train_state(const std::filesystem::path& dir);

}  // namespace gptbench::train
