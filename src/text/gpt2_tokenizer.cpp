#include "gptbench/text/gpt2_tokenizer.h"  // Gpt2Tokenizer

#include <fmt/format.h>  // fmt::format

#include <atomic>      // std::atomic, for instance generations
#include <functional>  // std::hash<std::string_view>
#include <utility>     // std::pair

#include "gptbench/text/pretokenizer.h"  // PreTokenizer
#include "gptbench/util/check.h"         // GPTBENCH_CHECK
#include "text/bpe_model.h"              // BpeModel

namespace gptbench::text {
namespace {

constexpr std::string_view kEndOfText = "<|endoftext|>";

// Each loaded tokenizer gets a distinct generation so a cache entry can never be taken for
// another vocabulary, even one that reuses a freed Impl's address.
std::atomic<uint64_t> next_generation{1};

// Per-thread direct-mapped cache of piece -> ids: most pieces of natural text repeat ("the",
// " and", ","), and a thread-local table needs no lock. After warm-up a hit or a replacement
// reuses the slot's buffers, so encoding does not allocate per piece.
struct CacheSlot {
  uint64_t generation = 0;
  std::string piece;
  std::vector<int32_t> ids;
};
constexpr std::size_t kCacheSlots = 1 << 14;
constexpr std::size_t kMaxCachedPiece = 48;  // longer pieces are rare and unlikely to repeat

}  // namespace

struct Gpt2Tokenizer::Impl {
  detail::BpeModel model;
  int32_t eos_id = -1;
  uint64_t generation = 0;

  void encode_ordinary(std::string_view text, std::vector<int32_t>& out) const {
    thread_local std::vector<CacheSlot> cache(kCacheSlots);
    PreTokenizer splitter(text);
    std::string_view piece;
    while (splitter.next(piece)) {
      if (piece.size() > kMaxCachedPiece) {
        model.encode_piece(piece, out);
        continue;
      }
      CacheSlot& slot = cache[std::hash<std::string_view>{}(piece) & (kCacheSlots - 1)];
      if (slot.generation != generation || slot.piece != piece) {
        slot.ids.clear();
        model.encode_piece(piece, slot.ids);
        slot.piece.assign(piece);
        slot.generation = generation;
      }
      out.insert(out.end(), slot.ids.begin(), slot.ids.end());
    }
  }
};

Gpt2Tokenizer Gpt2Tokenizer::from_files(const std::filesystem::path& vocab_json,
                                        const std::filesystem::path& merges_txt) {
  auto impl = std::make_shared<Impl>();
  impl->model = detail::BpeModel::load(vocab_json, merges_txt);
  impl->eos_id = impl->model.find_token(kEndOfText);
  GPTBENCH_CHECK(impl->eos_id >= 0, "{}: no {} token", vocab_json.string(), kEndOfText);
  impl->generation = next_generation.fetch_add(1);
  Gpt2Tokenizer tokenizer;
  tokenizer.impl_ = std::move(impl);
  return tokenizer;
}

Gpt2Tokenizer Gpt2Tokenizer::from_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  GPTBENCH_CHECK(std::filesystem::is_directory(dir, ec), "tokenizer folder {} does not exist or is not a folder",
                 dir.string());
  // Hugging Face names first; OpenAI's original names hold the same bytes.
  const std::pair<const char*, const char*> namings[] = {{"vocab.json", "merges.txt"}, {"encoder.json", "vocab.bpe"}};
  for (const auto& [vocab, merges] : namings) {
    if (std::filesystem::exists(dir / vocab, ec) && std::filesystem::exists(dir / merges, ec)) {
      return from_files(dir / vocab, dir / merges);
    }
  }
  for (const auto& [vocab, merges] : namings) {  // name the missing half of a partial pair
    const bool has_vocab = std::filesystem::exists(dir / vocab, ec);
    GPTBENCH_CHECK(!has_vocab && !std::filesystem::exists(dir / merges, ec), "tokenizer folder {} has {} but not {}",
                   dir.string(), has_vocab ? vocab : merges, has_vocab ? merges : vocab);
  }
  throw Error(fmt::format("tokenizer folder {} has neither vocab.json + merges.txt nor encoder.json + vocab.bpe",
                          dir.string()));
}

std::vector<int32_t> Gpt2Tokenizer::encode(std::string_view text, SpecialTokens special) const {
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 4 + 4);  // GPT-2 averages ~4 bytes per token on English
  if (special == SpecialTokens::kAsText) {
    impl_->encode_ordinary(text, ids);
    return ids;
  }
  // The special token splits the text: pieces never span it, as in tiktoken's encode(allowed_special=all).
  std::size_t pos = 0;
  for (std::size_t hit; (hit = text.find(kEndOfText, pos)) != std::string_view::npos; pos = hit + kEndOfText.size()) {
    impl_->encode_ordinary(text.substr(pos, hit - pos), ids);
    ids.push_back(impl_->eos_id);
  }
  impl_->encode_ordinary(text.substr(pos), ids);
  return ids;
}

std::string Gpt2Tokenizer::decode(const std::vector<int32_t>& ids) const {
  std::string text;
  for (const int32_t id : ids) {
    GPTBENCH_CHECK(id >= 0 && id < impl_->model.size(), "token id {} is out of range [0, {})", id,
                   impl_->model.size());
    text += impl_->model.token_bytes(id);
  }
  return text;
}

std::string Gpt2Tokenizer::decode_token(int32_t id) const { return decode({id}); }

int32_t Gpt2Tokenizer::eos_id() const { return impl_->eos_id; }

int32_t Gpt2Tokenizer::vocab_size() const { return impl_->model.size(); }

}  // namespace gptbench::text
