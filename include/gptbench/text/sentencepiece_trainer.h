// Trains a SentencePiece model (tokenizer.model) with the sentencepiece C++ trainer, for the random
// Llama/Mistral checkpoints of `gptbench init`: BPE with byte fallback and Llama-2's normalizer
// settings (identity normalization, dummy-prefix space, whitespace kept, digits split, whitespace-only
// pieces allowed, "<unk>" 0, "<s>" 1, "</s>" 2, no pad). Deterministic: the same sentences and
// options give the same bytes on every run and machine (the trainer's seed and thread count are fixed).
#pragma once

#include <cstdint>     // int32_t
#include <filesystem>  // std::filesystem::path
#include <string>      // std::string
#include <vector>      // std::vector

namespace gptbench::text {

struct SentencePieceTrainOptions {
  int32_t vocab_size = 32000;           // Llama-2's and Mistral's; tests use ~1000
  bool byte_fallback = true;            // false: characters outside the vocabulary become <unk>
  double character_coverage = 0.99995;  // Llama-2's: the rarest characters are left to byte fallback
};

// The serialized model. Throws gptbench::Error with the trainer's message when it refuses (too few
// sentences for the vocabulary, a vocab_size below the required pieces, ...).
std::string train_sentencepiece_model(const std::vector<std::string>& sentences, const SentencePieceTrainOptions& options);

// Trains as above and writes the model atomically to `out` (a tokenizer.model path).
void train_sentencepiece(const std::vector<std::string>& sentences, const SentencePieceTrainOptions& options,
                         const std::filesystem::path& out);

}  // namespace gptbench::text
