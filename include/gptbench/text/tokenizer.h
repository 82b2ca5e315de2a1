// One interface for every tokenizer gptbench reads: GPT-2's byte-level BPE (vocab.json + merges.txt)
// and SentencePiece (tokenizer.model, Llama/Mistral). Callers hold a std::shared_ptr<const Tokenizer>
// from load_tokenizer(dir) and never ask which kind it is, except to name it in reports (kind()).
// Every method is const and safe to call from several threads at once.
#pragma once

#include <cstdint>      // int32_t
#include <filesystem>   // std::filesystem::path
#include <memory>       // std::shared_ptr
#include <optional>     // std::optional
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <utility>      // std::pair
#include <vector>       // std::vector

namespace gptbench::text {

// Whether the tokenizer's special tokens written inside the text ("<|endoftext|>"; "<s>", "</s>",
// "<unk>") become their ids (kRecognize: a prompt template the user wrote) or are encoded as plain
// text (kAsText: dataset text is data).
enum class SpecialTokens { kRecognize, kAsText };

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  // The ids of `text` (any bytes), without BOS: prompt_ids adds it where the tokenizer wants one.
  virtual std::vector<int32_t> encode(std::string_view text,
                                      SpecialTokens special = SpecialTokens::kRecognize) const = 0;
  // The text of any id sequence; throws gptbench::Error naming an id outside [0, vocab_size()).
  virtual std::string decode(const std::vector<int32_t>& ids) const = 0;
  // The bytes one token stands for inside a text (streaming output); may be part of a UTF-8 character.
  virtual std::string decode_token(int32_t id) const = 0;

  virtual std::optional<int32_t> bos_id() const = 0;  // none when the vocabulary has no BOS (GPT-2)
  virtual int32_t eos_id() const = 0;
  virtual bool adds_bos() const = 0;                  // prompts start with bos_id() (Llama: yes, GPT-2: no)
  virtual int32_t vocab_size() const = 0;             // number of ids, special tokens included
  virtual std::string kind() const = 0;               // "gpt2-bpe" | "sentencepiece", for reports

  // A prompt's ids: bos_id() first when adds_bos(), then encode(text, special). The one place a
  // BOS is added (Hugging Face's add_special_tokens=True for these tokenizers).
  std::vector<int32_t> prompt_ids(std::string_view text, SpecialTokens special = SpecialTokens::kRecognize) const;
};

// The tokenizer files of a checkpoint folder: tokenizer.model (SentencePiece) first, else
// vocab.json + merges.txt (or OpenAI's encoder.json + vocab.bpe). Throws gptbench::Error naming the
// folder when it holds neither, and refuses a folder with only tokenizer.json (not supported).
std::shared_ptr<const Tokenizer> load_tokenizer(const std::filesystem::path& dir);

// The files load_tokenizer reads in `dir`, each with its name in a checkpoint folder (for copying a
// tokenizer beside a model): tokenizer.model and tokenizer_config.json if present, or vocab.json and
// merges.txt (OpenAI's encoder.json and vocab.bpe under those names). Throws as load_tokenizer.
std::vector<std::pair<std::filesystem::path, std::string>> tokenizer_files(const std::filesystem::path& dir);

}  // namespace gptbench::text
