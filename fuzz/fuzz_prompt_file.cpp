// libFuzzer target: a `--prompt-file` .jsonl through read_prompt_file. It may only fail with
// gptbench::Error.
#include <cstdint>  // uint8_t

#include "cli/prompt_input.h"  // read_prompt_file
#include "fuzz_support.h"      // input_file, expect_only_gptbench_errors

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = gptbench::fuzz::input_file("prompts.jsonl", data, size);
  gptbench::fuzz::expect_only_gptbench_errors("fuzz_prompt_file",
                                               [&] { (void)gptbench::cli::read_prompt_file(path.string()); });
  return 0;
}
