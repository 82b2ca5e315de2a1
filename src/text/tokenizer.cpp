#include "gptbench/text/tokenizer.h"  // Tokenizer, load_tokenizer

#include <fmt/format.h>  // fmt::format

#include <system_error>  // std::error_code

#include "gptbench/text/gpt2_tokenizer.h"          // Gpt2Tokenizer
#include "gptbench/text/sentencepiece_tokenizer.h"  // SentencePieceTokenizer
#include "gptbench/util/check.h"                    // GPTBENCH_CHECK
#include "gptbench/util/error.h"                    // gptbench::Error

namespace gptbench::text {

std::vector<int32_t> Tokenizer::prompt_ids(std::string_view text, SpecialTokens special) const {
  std::vector<int32_t> ids;
  if (adds_bos()) ids.push_back(*bos_id());
  const std::vector<int32_t> body = encode(text, special);
  ids.insert(ids.end(), body.begin(), body.end());
  return ids;
}

namespace {

enum class TokenizerKind { kSentencePiece, kGpt2Bpe };

// Which tokenizer `dir` holds; throws naming the folder when it is not a folder or has only tokenizer.json.
TokenizerKind tokenizer_kind(const std::filesystem::path& dir) {
  std::error_code ec;
  GPTBENCH_CHECK(std::filesystem::is_directory(dir, ec), "tokenizer folder {} does not exist or is not a folder",
                 dir.string());
  const auto has = [&](const char* name) { return std::filesystem::exists(dir / name, ec); };
  if (has("tokenizer.model")) return TokenizerKind::kSentencePiece;
  const bool gpt2_files = has("vocab.json") || has("merges.txt") || has("encoder.json") || has("vocab.bpe");
  if (!gpt2_files && has("tokenizer.json")) {
    throw Error(fmt::format("tokenizer folder {} has only tokenizer.json, which gptbench does not read: it needs "
                            "tokenizer.model (SentencePiece) or vocab.json + merges.txt (GPT-2 BPE)",
                            dir.string()));
  }
  return TokenizerKind::kGpt2Bpe;  // Gpt2Tokenizer names a missing half of a pair, or says neither is there
}

}  // namespace

std::shared_ptr<const Tokenizer> load_tokenizer(const std::filesystem::path& dir) {
  if (tokenizer_kind(dir) == TokenizerKind::kSentencePiece) {
    return std::make_shared<SentencePieceTokenizer>(SentencePieceTokenizer::from_dir(dir));
  }
  return std::make_shared<Gpt2Tokenizer>(Gpt2Tokenizer::from_dir(dir));
}

std::vector<std::pair<std::filesystem::path, std::string>> tokenizer_files(const std::filesystem::path& dir) {
  std::error_code ec;
  std::vector<std::pair<std::filesystem::path, std::string>> files;
  if (tokenizer_kind(dir) == TokenizerKind::kSentencePiece) {
    for (const char* name : {"tokenizer.model", "tokenizer_config.json"}) {
      if (std::filesystem::exists(dir / name, ec)) files.emplace_back(dir / name, name);
    }
    return files;
  }
  const std::pair<const char*, const char*> names[] = {{"vocab.json", "encoder.json"}, {"merges.txt", "vocab.bpe"}};
  for (const auto& [hf_name, openai_name] : names) {
    const std::filesystem::path source = std::filesystem::exists(dir / hf_name, ec) ? dir / hf_name : dir / openai_name;
    GPTBENCH_CHECK(std::filesystem::exists(source, ec), "tokenizer folder {}: neither {} nor {} found", dir.string(),
                   hf_name, openai_name);
    files.emplace_back(source, hf_name);
  }
  return files;
}

}  // namespace gptbench::text
