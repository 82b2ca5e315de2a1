// libFuzzer target: any bytes through the real GPT-2 tokenizer in both special-token modes.
// Checks decode(encode(x)) == x, that every id is in range, and that the pre-tokenizer's pieces
// tile the input; any failure aborts so the fuzzer reports it. Sanitizers catch memory errors.
// Tokenizer files: $GPTBENCH_TOKENIZER_DIR, else $GPTBENCH_DATA_DIR/gpt2_tokenizer.
#include <cstdint>   // uint8_t
#include <cstdio>    // std::fprintf
#include <cstdlib>   // std::getenv, std::abort
#include <string>    // std::string

#include "gptbench/text/gpt2_tokenizer.h"  // Gpt2Tokenizer
#include "gptbench/text/pretokenizer.h"    // pretokenize

namespace {

const gptbench::text::Gpt2Tokenizer& tokenizer() {
  static const gptbench::text::Gpt2Tokenizer t = [] {
    std::string dir;
    if (const char* d = std::getenv("GPTBENCH_TOKENIZER_DIR")) {
      dir = d;
    } else if (const char* data = std::getenv("GPTBENCH_DATA_DIR")) {
      dir = std::string(data) + "/gpt2_tokenizer";
    } else {
      std::fprintf(stderr, "fuzz_tokenizer: set GPTBENCH_TOKENIZER_DIR or GPTBENCH_DATA_DIR\n");
      std::abort();
    }
    try {
      return gptbench::text::Gpt2Tokenizer::from_dir(dir);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "fuzz_tokenizer: %s\n", e.what());
      std::abort();
    }
  }();
  return t;
}

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_tokenizer: %s\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const auto& t = tokenizer();
  std::string joined;
  for (const auto piece : gptbench::text::pretokenize(text)) {
    check(!piece.empty(), "empty pre-token piece");
    joined.append(piece);
  }
  check(joined == text, "pre-token pieces do not tile the input");
  for (const auto mode : {gptbench::text::SpecialTokens::kRecognize, gptbench::text::SpecialTokens::kAsText}) {
    const auto ids = t.encode(text, mode);
    for (const int32_t id : ids) check(id >= 0 && id < t.vocab_size(), "id out of range");
    check(t.decode(ids) == text, "decode(encode(x)) != x");
    if (mode == gptbench::text::SpecialTokens::kAsText) {
      for (const int32_t id : ids) check(id != t.eos_id(), "<|endoftext|> id produced in kAsText mode");
    }
  }
  return 0;
}
