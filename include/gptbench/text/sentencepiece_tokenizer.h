// SentencePiece (tokenizer.model, as Llama-2 and Mistral ship it) on the sentencepiece C++ library:
// byte fallback, the model's own normalizer (dummy-prefix space, whitespace rules) and unknown
// pieces exactly as the Python package `sentencepiece` encodes and decodes them.
//   kAsText:    encode(text) == sentencepiece's encode(text).
//   kRecognize: the text is split at the surface strings of the control and unknown pieces
//               ("<s>", "</s>", "<unk>"; leftmost, longest first), each piece between them encoded as
//               above, as Hugging Face's Llama-2 tokenizer.json (legacy normalizer) does.
// decode follows sentencepiece: control ids decode to nothing, the unknown id to its surface
// (" \u2047 "), byte pieces to their bytes with each invalid UTF-8 byte read as U+FFFD.
#pragma once

#include <cstddef>      // std::size_t
#include <cstdint>      // int32_t
#include <filesystem>   // std::filesystem::path
#include <memory>       // std::shared_ptr
#include <optional>     // std::optional
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <vector>       // std::vector

#include "gptbench/text/tokenizer.h"  // Tokenizer, SpecialTokens

namespace gptbench::text {

// Largest tokenizer.model read (Llama-2's is 0.5 MB, a 256k-piece vocabulary a few MB).
inline constexpr std::size_t kMaxSentencePieceModelBytes = std::size_t{64} << 20;

class SentencePieceTokenizer final : public Tokenizer {
 public:
  // Throws gptbench::Error naming the file when it is missing, not a regular file, larger than
  // kMaxSentencePieceModelBytes, not a SentencePiece model, or has no EOS piece; and when add_bos
  // is asked of a model without a BOS piece.
  static SentencePieceTokenizer from_file(const std::filesystem::path& model_file, bool add_bos = true);
  // A folder's tokenizer.model; add_bos from its tokenizer_config.json ("add_bos_token", default
  // true as in Hugging Face's LlamaTokenizer), errors naming that file and key.
  static SentencePieceTokenizer from_dir(const std::filesystem::path& dir);

  std::vector<int32_t> encode(std::string_view text, SpecialTokens special = SpecialTokens::kRecognize) const override;
  std::string decode(const std::vector<int32_t>& ids) const override;
  // The piece with U+2581 read as a space and a byte piece as its byte; "" for control pieces.
  std::string decode_token(int32_t id) const override;
  std::optional<int32_t> bos_id() const override;
  int32_t eos_id() const override;
  bool adds_bos() const override;
  int32_t vocab_size() const override;
  std::string kind() const override { return "sentencepiece"; }

 private:
  SentencePieceTokenizer() = default;  // only the factories make a usable tokenizer
  struct Impl;
  std::shared_ptr<const Impl> impl_;
};

}  // namespace gptbench::text
