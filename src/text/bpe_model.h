// The byte-level BPE model behind Gpt2Tokenizer: vocabulary, merge ranks, and BPE of one piece.
#pragma once

#include <array>        // std::array
#include <cstdint>      // int32_t
#include <filesystem>   // std::filesystem::path
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <vector>       // std::vector

#include "text/pair_map.h"  // PairMap

namespace gptbench::text::detail {

class BpeModel {
 public:
  // Throws gptbench::Error naming the file (and the line of merges_txt) on malformed input.
  static BpeModel load(const std::filesystem::path& vocab_json, const std::filesystem::path& merges_txt);

  // Appends the ids of one pre-token piece (any bytes, non-empty) to out.
  void encode_piece(std::string_view piece, std::vector<int32_t>& out) const;

  // Raw bytes of a token; id must be in range.
  const std::string& token_bytes(int32_t id) const { return id_to_bytes_[static_cast<std::size_t>(id)]; }
  int32_t size() const { return static_cast<int32_t>(id_to_bytes_.size()); }
  // Id of the token spelled `text` (raw bytes), or -1.
  int32_t find_token(std::string_view bytes) const;

 private:
  void encode_short(std::string_view piece, std::vector<int32_t>& out) const;
  void encode_long(std::string_view piece, std::vector<int32_t>& out) const;
  uint32_t rank_of(int32_t left, int32_t right, int32_t* merged) const;

  std::vector<std::string> id_to_bytes_;
  std::array<int32_t, 256> byte_ids_{};  // token of each single byte, where BPE starts
  PairMap merges_;
};

}  // namespace gptbench::text::detail
