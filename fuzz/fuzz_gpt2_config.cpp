// libFuzzer target: a config.json through read_config_json (the bounded reader, then every key's
// type and range check). It may only fail with gptbench::Error; an accepted config's parameter
// count must be positive (no overflow).
#include <cstdint>  // uint8_t
#include <cstdio>   // std::fprintf
#include <cstdlib>  // std::abort

#include "fuzz_support.h"                  // input_file, expect_only_gptbench_errors
#include "gptbench/model/gpt2_config.h"    // read_config_json, config_to_json

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = gptbench::fuzz::input_file("config.json", data, size);
  gptbench::fuzz::expect_only_gptbench_errors("fuzz_gpt2_config", [&] {
    const gptbench::model::Gpt2Config config = gptbench::model::read_config_json(path);
    if (config.parameter_count() <= 0) {
      std::fprintf(stderr, "fuzz_gpt2_config: accepted a config whose parameter count overflows\n");
      std::abort();
    }
    (void)gptbench::model::config_to_json(config).dump();
  });
  return 0;
}
