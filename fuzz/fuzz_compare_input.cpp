// libFuzzer target: a `gptbench compare` input (a run report or a sweep's JSON lines) through
// load_compare_input, then a look-up of each of its cells. It may only fail with gptbench::Error.
#include <cstdint>  // uint8_t

#include "fuzz_support.h"                     // input_file, expect_only_gptbench_errors
#include "gptbench/compare/compare_input.h"  // load_compare_input, find_cell

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = gptbench::fuzz::input_file("input.jsonl", data, size);
  gptbench::fuzz::expect_only_gptbench_errors("fuzz_compare_input", [&] {
    const gptbench::compare::CompareInput input = gptbench::compare::load_compare_input(path.string());
    for (const auto& cell : input.cells) (void)gptbench::compare::find_cell(input, cell.match_key);
  });
  return 0;
}
