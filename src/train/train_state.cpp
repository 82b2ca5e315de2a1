// train_state.safetensors + train_state.json (train_state.h).
#include "gptbench/train/train_state.h"

#include <ATen/ops/from_blob.h>  // at::from_blob

#include <vector>  // std::vector

#include "gptbench/io/json_input.h"    // read_json_file
#include "gptbench/io/json_integer.h"  // json_integer
#include "gptbench/io/json_output.h"   // write_json_atomic
#include "gptbench/io/safetensors.h"  // write_safetensors, SafetensorsFile
#include "gptbench/util/check.h"      // GPTBENCH_CHECK

namespace fs = std::filesystem;

namespace gptbench::train {

void save_train_state(const fs::path& dir, const TrainState& state) {
  std::vector<at::Tensor> keep_alive;
  std::vector<io::TensorToWrite> out;
  for (const auto& [name, tensor] : state.tensors) {
    at::Tensor t = tensor.detach().to(at::kCPU, at::kFloat).contiguous();
    keep_alive.push_back(t);
    out.push_back({name, io::DType::kF32, std::vector<int64_t>(t.sizes().begin(), t.sizes().end()), t.data_ptr(),
                   static_cast<size_t>(t.nbytes())});
  }
  io::write_safetensors(dir / "train_state.safetensors", out, {{"step", std::to_string(state.step)}});
  const nlohmann::json j = {{"step", state.step},
                            {"examples_consumed", state.examples_consumed},
                            {"identity", state.identity}};
  io::write_json_atomic(dir / "train_state.json", j);
}

TrainState load_train_state(const fs::path& dir) {
  const fs::path json_path = dir / "train_state.json";
  GPTBENCH_CHECK(fs::exists(json_path), "{}: no train state to resume from (train_state.json missing)", dir.string());
  const nlohmann::json j = io::read_json_file(json_path);
  GPTBENCH_CHECK(j.is_object() && j.contains("step") && j.contains("examples_consumed") &&
                     j.contains("identity") && j.at("step").is_number_integer() &&
                     j.at("examples_consumed").is_number_integer(),
                 "{}: not a gptbench train state (step, examples_consumed, identity)", json_path.string());
  TrainState state;
  state.step = io::json_integer<int64_t>(j.at("step"), json_path.string() + ": \"step\"", 0);
  state.examples_consumed =
      io::json_integer<int64_t>(j.at("examples_consumed"), json_path.string() + ": \"examples_consumed\"", 0);
  state.identity = j.at("identity");
  const io::SafetensorsFile file = io::SafetensorsFile::open(dir / "train_state.safetensors");
  const auto step_it = file.metadata().find("step");
  GPTBENCH_CHECK(step_it != file.metadata().end() && step_it->second == std::to_string(state.step),
                 "{}: holds step {} but train_state.json says {} (interrupted save?)", file.source(),
                 step_it == file.metadata().end() ? "?" : step_it->second, state.step);
  for (const io::TensorView& v : file.tensors()) {
    GPTBENCH_CHECK(v.dtype == io::DType::kF32, "{}: tensor {} is not F32", file.source(), v.name);
    state.tensors[v.name] =
        at::from_blob(const_cast<std::byte*>(v.data), v.shape, at::TensorOptions().dtype(at::kFloat)).clone();
  }
  return state;
}

}  // namespace gptbench::train
