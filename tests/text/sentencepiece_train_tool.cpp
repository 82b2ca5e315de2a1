// sentencepiece_train_tool: trains a tokenizer.model on the shared news text, as `gptbench init` will
// for Llama/Mistral shapes, for scripts/oracles/sentencepiece_oracle.py and timing.
//
// usage: sentencepiece_train_tool --out DIR --vocab-size N [--no-byte-fallback] [--character-coverage X]
// Reads news_summary from data::default_data_dir() (GPTBENCH_DATA_DIR); writes DIR/tokenizer.model.
#include <chrono>      // std::chrono::steady_clock
#include <cstdio>      // std::fprintf
#include <filesystem>  // std::filesystem::create_directories
#include <string>      // std::string, std::stoi, std::stod

#include "gptbench/data/data_dir.h"                // default_data_dir
#include "gptbench/data/tokenizer_corpus.h"        // news_tokenizer_corpus
#include "gptbench/text/sentencepiece_trainer.h"   // train_sentencepiece, SentencePieceTrainOptions
#include "gptbench/util/error.h"                   // gptbench::UsageError, exit codes
#include "gptbench/util/tool_main.h"  // tool_main

namespace {

int run(int argc, char** argv) {
  std::string out;
  gptbench::text::SentencePieceTrainOptions options;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--no-byte-fallback") {
      options.byte_fallback = false;
    } else if (i + 1 < argc && flag == "--out") {
      out = argv[++i];
    } else if (i + 1 < argc && flag == "--character-coverage") {
      options.character_coverage = std::stod(argv[++i]);
    } else if (i + 1 < argc && flag == "--vocab-size") {
      options.vocab_size = std::stoi(argv[++i]);
    } else {
      throw gptbench::UsageError("unknown flag or missing value: " + flag);
    }
  }
  if (out.empty()) throw gptbench::UsageError("--out is required");
  std::filesystem::create_directories(out);
  const auto t0 = std::chrono::steady_clock::now();
  const auto sentences = gptbench::data::news_tokenizer_corpus(gptbench::data::default_data_dir());
  gptbench::text::train_sentencepiece(sentences, options, std::filesystem::path(out) / "tokenizer.model");
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::fprintf(stderr, "sentencepiece_train_tool: %zu sentences, vocab %d, byte fallback %s: %.1f s\n", sentences.size(),
               options.vocab_size, options.byte_fallback ? "on" : "off", s);
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return gptbench::tool_main("sentencepiece_train_tool", argc, argv, run); }
