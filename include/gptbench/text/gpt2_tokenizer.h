// GPT-2's byte-level BPE, from vocab.json + merges.txt (Hugging Face names) or
// encoder.json + vocab.bpe (OpenAI names; byte-identical content).
// Ids equal tiktoken's "gpt2" encoding and the `tokenizers` ByteLevel BPE built from the same files.
#pragma once

#include <cstdint>      // int32_t
#include <filesystem>   // std::filesystem::path
#include <memory>       // std::shared_ptr
#include <optional>     // std::optional
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <vector>       // std::vector

#include "gptbench/text/tokenizer.h"  // Tokenizer, SpecialTokens ("<|endoftext|>" is GPT-2's one special token)

namespace gptbench::text {

class Gpt2Tokenizer final : public Tokenizer {
 public:
  // Throws gptbench::Error naming the file (and line for merges.txt) on malformed input.
  static Gpt2Tokenizer from_files(const std::filesystem::path& vocab_json, const std::filesystem::path& merges_txt);
  // A folder holding vocab.json + merges.txt, or encoder.json + vocab.bpe.
  static Gpt2Tokenizer from_dir(const std::filesystem::path& dir);

  // Any bytes are accepted, including invalid UTF-8 (each invalid byte is its own
  // pre-token character of the "other" class), and decode(encode(x)) == x always.
  std::vector<int32_t> encode(std::string_view text, SpecialTokens special = SpecialTokens::kRecognize) const override;
  std::string decode(const std::vector<int32_t>& ids) const override;  // exact bytes; throws on an id out of range
  std::string decode_token(int32_t id) const override;

  std::optional<int32_t> bos_id() const override { return std::nullopt; }  // GPT-2 prompts start with no BOS
  int32_t eos_id() const override;        // id of <|endoftext|> (50256 for GPT-2)
  bool adds_bos() const override { return false; }
  int32_t vocab_size() const override;    // number of ids, the special token included
  std::string kind() const override { return "gpt2-bpe"; }

 private:
  Gpt2Tokenizer() = default;  // only the factories make a usable tokenizer
  struct Impl;
  std::shared_ptr<const Impl> impl_;
};

}  // namespace gptbench::text
