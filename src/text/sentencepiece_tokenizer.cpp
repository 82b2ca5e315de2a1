#include "gptbench/text/sentencepiece_tokenizer.h"  // SentencePieceTokenizer

#include <sentencepiece_processor.h>  // sentencepiece::SentencePieceProcessor

#include <algorithm>  // std::stable_sort
#include <array>      // std::array
#include <utility>    // std::move, std::pair

#include "gptbench/io/atomic_file.h"  // read_file
#include "gptbench/io/json_input.h"   // read_json_file
#include "gptbench/util/check.h"      // GPTBENCH_CHECK

namespace gptbench::text {
namespace {

constexpr std::string_view kSpaceSymbol = "\xe2\x96\x81";  // U+2581, SentencePiece's visible space

// "<0xAB>" -> the byte 0xAB (the form of every byte-fallback piece).
char byte_of_piece(const std::string& piece) {
  return static_cast<char>(std::stoi(piece.substr(3, 2), nullptr, 16));
}

}  // namespace

struct SentencePieceTokenizer::Impl {
  sentencepiece::SentencePieceProcessor processor;
  std::vector<std::pair<std::string, int32_t>> specials;  // control and unknown surfaces, longest first
  std::array<bool, 256> starts_special{};                 // first bytes of the surfaces, to skip the rest fast
  std::optional<int32_t> bos;
  int32_t eos = -1;
  bool add_bos = true;

  void encode_ordinary(std::string_view text, std::vector<int32_t>& out) const {
    std::vector<int> ids;
    const auto status = processor.Encode(text, &ids);
    GPTBENCH_CHECK(status.ok(), "sentencepiece encode failed: {}", status.ToString());
    out.insert(out.end(), ids.begin(), ids.end());
  }

  // The longest special surface starting at text[pos], or nullptr.
  const std::pair<std::string, int32_t>* special_at(std::string_view text, std::size_t pos) const {
    if (!starts_special[static_cast<unsigned char>(text[pos])]) return nullptr;
    for (const auto& special : specials) {
      if (text.compare(pos, special.first.size(), special.first) == 0) return &special;
    }
    return nullptr;
  }
};

SentencePieceTokenizer SentencePieceTokenizer::from_file(const std::filesystem::path& model_file, bool add_bos) {
  const std::string bytes = io::read_file(model_file, kMaxSentencePieceModelBytes);
  auto impl = std::make_shared<Impl>();
  const auto status = impl->processor.LoadFromSerializedProto(bytes);
  GPTBENCH_CHECK(status.ok(), "{}: not a SentencePiece model ({})", model_file.string(), status.ToString());
  const int size = impl->processor.GetPieceSize();
  GPTBENCH_CHECK(size > 0, "{}: a SentencePiece model without pieces", model_file.string());
  for (int id = 0; id < size; ++id) {
    if (!impl->processor.IsControl(id) && !impl->processor.IsUnknown(id)) continue;
    const std::string& piece = impl->processor.IdToPiece(id);
    if (piece.empty()) continue;
    impl->specials.emplace_back(piece, id);
    impl->starts_special[static_cast<unsigned char>(piece[0])] = true;
  }
  std::stable_sort(impl->specials.begin(), impl->specials.end(),
                   [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
  impl->eos = impl->processor.eos_id();
  GPTBENCH_CHECK(impl->eos >= 0 && impl->eos < size, "{}: the model has no EOS piece (eos_id {})", model_file.string(),
                 impl->eos);
  const int bos = impl->processor.bos_id();
  if (bos >= 0 && bos < size) impl->bos = bos;
  GPTBENCH_CHECK(!add_bos || impl->bos, "{}: prompts should start with BOS (add_bos_token) but the model has no BOS piece",
                 model_file.string());
  impl->add_bos = add_bos;
  SentencePieceTokenizer tokenizer;
  tokenizer.impl_ = std::move(impl);
  return tokenizer;
}

SentencePieceTokenizer SentencePieceTokenizer::from_dir(const std::filesystem::path& dir) {
  const std::filesystem::path config_path = dir / "tokenizer_config.json";
  bool add_bos = true;
  std::error_code ec;
  if (std::filesystem::exists(config_path, ec)) {
    const nlohmann::json config = io::read_json_file(config_path);
    GPTBENCH_CHECK(config.is_object(), "{}: expected a JSON object", config_path.string());
    const auto it = config.find("add_bos_token");
    if (it != config.end() && !it->is_null()) {
      GPTBENCH_CHECK(it->is_boolean(), "{}: add_bos_token must be true or false", config_path.string());
      add_bos = it->get<bool>();
    }
  }
  return from_file(dir / "tokenizer.model", add_bos);
}

std::vector<int32_t> SentencePieceTokenizer::encode(std::string_view text, SpecialTokens special) const {
  std::vector<int32_t> ids;
  if (special == SpecialTokens::kAsText) {
    impl_->encode_ordinary(text, ids);
    return ids;
  }
  std::size_t start = 0;  // first byte of the ordinary text not yet encoded
  for (std::size_t pos = 0; pos < text.size();) {
    const auto* hit = impl_->special_at(text, pos);
    if (hit == nullptr) {
      ++pos;
      continue;
    }
    if (pos > start) impl_->encode_ordinary(text.substr(start, pos - start), ids);
    ids.push_back(hit->second);
    pos += hit->first.size();
    start = pos;
  }
  if (start < text.size()) impl_->encode_ordinary(text.substr(start), ids);
  return ids;
}

std::string SentencePieceTokenizer::decode(const std::vector<int32_t>& ids) const {
  const int32_t size = vocab_size();
  for (const int32_t id : ids) GPTBENCH_CHECK(id >= 0 && id < size, "token id {} is out of range [0, {})", id, size);
  std::string text;
  const auto status = impl_->processor.Decode(std::vector<int>(ids.begin(), ids.end()), &text);
  GPTBENCH_CHECK(status.ok(), "sentencepiece decode failed: {}", status.ToString());
  return text;
}

std::string SentencePieceTokenizer::decode_token(int32_t id) const {
  GPTBENCH_CHECK(id >= 0 && id < vocab_size(), "token id {} is out of range [0, {})", id, vocab_size());
  const auto& p = impl_->processor;
  if (p.IsControl(id)) return "";
  if (p.IsByte(id)) return std::string(1, byte_of_piece(p.IdToPiece(id)));
  if (p.IsUnknown(id)) return decode({id});
  std::string text;
  const std::string& piece = p.IdToPiece(id);
  for (std::size_t pos = 0; pos < piece.size();) {
    if (piece.compare(pos, kSpaceSymbol.size(), kSpaceSymbol) == 0) {
      text += ' ';
      pos += kSpaceSymbol.size();
    } else {
      text += piece[pos++];
    }
  }
  return text;
}

std::optional<int32_t> SentencePieceTokenizer::bos_id() const { return impl_->bos; }

int32_t SentencePieceTokenizer::eos_id() const { return impl_->eos; }

bool SentencePieceTokenizer::adds_bos() const { return impl_->add_bos; }

int32_t SentencePieceTokenizer::vocab_size() const { return impl_->processor.GetPieceSize(); }

}  // namespace gptbench::text
