// libFuzzer target: the one bounded JSON entry point (io::parse_json_strict), which reads
// config.json, sweep --config files, train_state.json, presets and `logits --ids` files. Checks that
// it fails only with gptbench::Error, that what it accepts is within the depth limit, and that the
// excerpt and serialisation of an accepted value never throw.
#include <algorithm>  // std::max
#include <cstdint>    // uint8_t
#include <cstdio>     // std::fprintf
#include <cstdlib>    // std::abort
#include <string>     // std::string

#include "fuzz_support.h"                // expect_only_gptbench_errors
#include "gptbench/io/json_input.h"      // parse_json_strict, json_excerpt, kMaxJsonDepth
#include "gptbench/io/json_integer.h"    // json_integer
#include "gptbench/io/json_output.h"     // json_text

namespace {

int depth_of(const nlohmann::json& value) {
  int deepest = 0;
  if (value.is_structured())
    for (const auto& child : value) deepest = std::max(deepest, depth_of(child));
  return value.is_structured() ? deepest + 1 : 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  gptbench::fuzz::expect_only_gptbench_errors("fuzz_json_input", [&] {
    const nlohmann::json value = gptbench::io::parse_json_strict(text, "fuzz.json");
    if (depth_of(value) > gptbench::io::kMaxJsonDepth) {
      std::fprintf(stderr, "fuzz_json_input: accepted a value nested deeper than the limit\n");
      std::abort();
    }
    (void)gptbench::io::json_excerpt(value);
    const std::string again = gptbench::io::json_text(value);
    if (gptbench::io::parse_json_strict(again, "reserialised") != value) {
      std::fprintf(stderr, "fuzz_json_input: the value does not survive json_text and parse\n");
      std::abort();
    }
    if (value.is_number()) (void)gptbench::io::json_integer<int32_t>(value, "fuzz.json: value");
  });
  return 0;
}
