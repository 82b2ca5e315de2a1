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

std::shared_ptr<const Tokenizer> load_tokenizer(const std::filesystem::path& dir) {
  std::error_code ec;
  GPTBENCH_CHECK(std::filesystem::is_directory(dir, ec), "tokenizer folder {} does not exist or is not a folder",
                 dir.string());
  const auto has = [&](const char* name) { return std::filesystem::exists(dir / name, ec); };
  if (has("tokenizer.model")) return std::make_shared<SentencePieceTokenizer>(SentencePieceTokenizer::from_dir(dir));
  const bool gpt2_files = has("vocab.json") || has("merges.txt") || has("encoder.json") || has("vocab.bpe");
  if (!gpt2_files && has("tokenizer.json")) {
    throw Error(fmt::format("tokenizer folder {} has only tokenizer.json, which gptbench does not read: it needs "
                            "tokenizer.model (SentencePiece) or vocab.json + merges.txt (GPT-2 BPE)",
                            dir.string()));
  }
  // Names a missing half of vocab.json + merges.txt, or says neither kind is there.
  return std::make_shared<Gpt2Tokenizer>(Gpt2Tokenizer::from_dir(dir));
}

}  // namespace gptbench::text
