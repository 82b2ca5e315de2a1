// Shared by the sweep unit tests: a temp folder per test, a small model shape, settings from flags.
#pragma once

#include <string>      // std::string
#include <utility>     // std::pair
#include <vector>      // std::vector

#include "../support/error_message.h"    // test_support::message_of
#include "../support/temp_dir.h"         // test_support::TempDir
#include "gptbench/model/gpt2_config.h"  // Gpt2Config, ModelShape, ModelShape
#include "gptbench/sweep/sweep_spec.h"   // SweepSettings

namespace gptbench::sweep::testing {

using test_support::TempDir;

using test_support::message_of;

// 2 layers, 4 heads of 16, 128 positions (tests/model/configs/tiny.json).
inline model::ModelShape tiny_shape() {
  model::Gpt2Config c;
  c.n_layer = 2;
  c.n_head = 4;
  c.n_embd = 64;
  c.n_positions = 128;
  return c.shape();
}

// Settings as if given as flags: {"batch-sizes", "1,2"} -> --batch-sizes 1,2; a model is always set.
inline SweepSettings flags(const std::vector<std::pair<std::string, std::string>>& values) {
  SweepSettings s{{"model", {"/models/tiny", "--model"}}, {"device", {"cpu", "--device"}}};
  for (const auto& [key, text] : values) s[key] = {text, "--" + key};
  return s;
}

}  // namespace gptbench::sweep::testing
