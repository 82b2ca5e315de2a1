// libFuzzer target: a vocab.json (with a fixed one-line merges.txt) through Gpt2Tokenizer::from_dir.
// It may only fail with gptbench::Error.
#include <cstdint>  // uint8_t

#include "fuzz_support.h"                  // input_file, expect_only_gptbench_errors
#include "gptbench/text/gpt2_tokenizer.h"  // Gpt2Tokenizer

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string merges = "#version: 0.2\n";
  const auto vocab = gptbench::fuzz::input_file("vocab.json", data, size);
  gptbench::fuzz::input_file("merges.txt", reinterpret_cast<const uint8_t*>(merges.data()), merges.size());
  gptbench::fuzz::expect_only_gptbench_errors("fuzz_vocab", [&] {
    const auto tokenizer = gptbench::text::Gpt2Tokenizer::from_dir(vocab.parent_path());
    (void)tokenizer.decode(tokenizer.encode("fuzz"));
  });
  return 0;
}
