#include "text/bpe_model.h"  // BpeModel

#include <fmt/format.h>  // fmt::format

#include <algorithm>      // std::min_element, std::max
#include <cstring>        // std::memmove
#include <functional>     // std::greater
#include <limits>         // std::numeric_limits
#include <nlohmann/json.hpp>  // nlohmann::json, for vocab.json
#include <queue>          // std::priority_queue
#include <unordered_map>  // std::unordered_map

#include "gptbench/io/atomic_file.h"     // read_file
#include "gptbench/io/json_input.h"      // parse_json_strict, json_excerpt, kMaxJsonFileBytes
#include "gptbench/text/byte_unicode.h"  // byte_to_unicode, unicode_to_byte
#include "gptbench/text/utf8.h"          // decode_utf8_char, append_utf8
#include "gptbench/util/check.h"         // GPTBENCH_CHECK
#include "gptbench/util/error.h"         // gptbench::Error

namespace gptbench::text::detail {
namespace {

constexpr uint32_t kNoMerge = std::numeric_limits<uint32_t>::max();
// Pieces up to this many bytes use the quadratic in-place merge loop on the stack; longer ones
// (long digit or letter runs, binary junk) use a heap so that BPE stays O(n log n).
constexpr std::size_t kShortPiece = 128;

std::string read_whole_file(const std::filesystem::path& path, const char* what) {
  std::error_code ec;
  GPTBENCH_CHECK(std::filesystem::is_regular_file(path, ec), "{} file {} does not exist or is not a regular file",
                 what, path.string());
  return io::read_file(path, io::kMaxJsonFileBytes);
}

// Makes a file's text safe to quote in a one-line message: controls escaped, long text cut.
std::string quote(std::string_view s) {
  constexpr std::size_t kMax = 60;
  std::string out = "'";
  for (std::size_t i = 0; i < s.size() && i < kMax; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7F) {
      out += fmt::format("\\x{:02X}", c);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  if (s.size() > kMax) out += "...";
  return out + "'";
}

// Turns a token spelled in GPT-2's byte alphabet into its raw bytes; false if it is not so spelled.
bool spelled_to_bytes(std::string_view spelled, std::string& bytes) {
  bytes.clear();
  for (std::size_t pos = 0; pos < spelled.size();) {
    const Utf8Char c = decode_utf8_char(spelled, pos);
    const int32_t b = c.valid ? unicode_to_byte(c.cp) : -1;
    if (b < 0) return false;
    bytes.push_back(static_cast<char>(b));
    pos += c.length;
  }
  return !bytes.empty();
}

}  // namespace

BpeModel BpeModel::load(const std::filesystem::path& vocab_json, const std::filesystem::path& merges_txt) {
  BpeModel model;
  const std::string vocab_name = vocab_json.string();
  const std::string merges_name = merges_txt.string();

  // --- vocab.json: {"token spelled in the byte alphabet": id, ...}, ids 0..N-1 each used once.
  const nlohmann::json vocab = io::parse_json_strict(read_whole_file(vocab_json, "vocabulary"), vocab_name);
  GPTBENCH_CHECK(vocab.is_object() && !vocab.empty(), "{}: expected a non-empty JSON object mapping tokens to ids",
                 vocab_name);
  const std::size_t n = vocab.size();
  model.id_to_bytes_.assign(n, std::string());
  std::vector<bool> seen(n, false);
  std::unordered_map<std::string, int32_t> bytes_to_id;
  bytes_to_id.reserve(n);
  std::string bytes;
  for (const auto& [spelled, value] : vocab.items()) {
    GPTBENCH_CHECK(value.is_number_integer(), "{}: token {} has a non-integer id {}", vocab_name, quote(spelled),
                   io::json_excerpt(value));
    const int64_t id = value.get<int64_t>();
    GPTBENCH_CHECK(id >= 0 && static_cast<uint64_t>(id) < n,
                   "{}: token {} has id {}, outside 0..{} (ids must be contiguous)", vocab_name, quote(spelled), id,
                   n - 1);
    GPTBENCH_CHECK(!seen[id], "{}: id {} is used by more than one token (one is {})", vocab_name, id, quote(spelled));
    GPTBENCH_CHECK(spelled_to_bytes(spelled, bytes),
                   "{}: token {} is not spelled in GPT-2's byte alphabet (bytes_to_unicode)", vocab_name,
                   quote(spelled));
    seen[id] = true;
    model.id_to_bytes_[id] = bytes;
    bytes_to_id.emplace(bytes, static_cast<int32_t>(id));
  }
  for (int b = 0; b < 256; ++b) {
    const auto it = bytes_to_id.find(std::string(1, static_cast<char>(b)));
    std::string spelled;
    append_utf8(spelled, byte_to_unicode(static_cast<uint8_t>(b)));
    GPTBENCH_CHECK(it != bytes_to_id.end(), "{}: no token for byte 0x{:02X} (spelled '{}'); byte-level BPE needs all 256",
                   vocab_name, b, spelled);
    model.byte_ids_[b] = it->second;
  }

  // --- merges.txt: optional "#version" header, then one "left right" pair per line, best first.
  const std::string merges = read_whole_file(merges_txt, "merges");
  model.merges_ = PairMap(n);
  std::vector<std::size_t> rank_line;  // line of each merge, for the duplicate message
  std::string left_bytes, right_bytes;
  std::size_t line_no = 0;
  std::size_t first_blank = 0;  // blank lines are allowed only at the end of the file
  for (std::size_t pos = 0; pos <= merges.size();) {
    std::size_t end = merges.find('\n', pos);
    if (end == std::string::npos) end = merges.size();
    std::string_view line(merges.data() + pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);  // CRLF files; no token contains CR
    if (line_no == 1 && line.rfind("#version", 0) == 0) continue;
    if (line.empty()) {
      if (first_blank == 0) first_blank = line_no;
      continue;
    }
    GPTBENCH_CHECK(first_blank == 0, "{}:{}: blank line inside the merge list", merges_name, first_blank);
    const std::size_t space = line.find(' ');
    GPTBENCH_CHECK(space != std::string_view::npos && space > 0 && space + 1 < line.size() &&
                       line.find(' ', space + 1) == std::string_view::npos,
                   "{}:{}: expected two tokens separated by one space, found {}", merges_name, line_no, quote(line));
    const std::string_view left = line.substr(0, space);
    const std::string_view right = line.substr(space + 1);
    GPTBENCH_CHECK(spelled_to_bytes(left, left_bytes) && spelled_to_bytes(right, right_bytes),
                   "{}:{}: {} is not spelled in GPT-2's byte alphabet", merges_name, line_no, quote(line));
    const auto left_it = bytes_to_id.find(left_bytes);
    const auto right_it = bytes_to_id.find(right_bytes);
    GPTBENCH_CHECK(left_it != bytes_to_id.end(), "{}:{}: token {} is not in {}", merges_name, line_no, quote(left),
                   vocab_name);
    GPTBENCH_CHECK(right_it != bytes_to_id.end(), "{}:{}: token {} is not in {}", merges_name, line_no, quote(right),
                   vocab_name);
    const auto merged_it = bytes_to_id.find(left_bytes + right_bytes);
    GPTBENCH_CHECK(merged_it != bytes_to_id.end(), "{}:{}: merged token {} is not in {}", merges_name, line_no,
                   quote(std::string(left) + std::string(right)), vocab_name);
    const auto rank = static_cast<uint32_t>(rank_line.size());
    const Merge* existing = model.merges_.insert(left_it->second, right_it->second, Merge{rank, merged_it->second});
    GPTBENCH_CHECK(existing == nullptr, "{}:{}: duplicate merge {} (first on line {})", merges_name, line_no,
                   quote(line), existing ? rank_line[existing->rank] : 0);
    rank_line.push_back(line_no);
  }
  GPTBENCH_CHECK(!rank_line.empty(), "{}: no merges found", merges_name);
  return model;
}

int32_t BpeModel::find_token(std::string_view bytes) const {
  for (std::size_t id = 0; id < id_to_bytes_.size(); ++id) {
    if (id_to_bytes_[id] == bytes) return static_cast<int32_t>(id);
  }
  return -1;
}

uint32_t BpeModel::rank_of(int32_t left, int32_t right, int32_t* merged) const {
  const Merge* m = merges_.find(left, right);
  if (m == nullptr) return kNoMerge;
  *merged = m->merged;
  return m->rank;
}

void BpeModel::encode_piece(std::string_view piece, std::vector<int32_t>& out) const {
  if (piece.size() <= kShortPiece) {
    encode_short(piece, out);
  } else {
    encode_long(piece, out);
  }
}

// Repeatedly merges the leftmost pair of lowest rank, as GPT-2's encoder.py does.
// ranks[i] / merged[i] describe the pair (ids[i], ids[i+1]) and are updated only around a merge.
void BpeModel::encode_short(std::string_view piece, std::vector<int32_t>& out) const {
  int32_t ids[kShortPiece];
  uint32_t ranks[kShortPiece];
  int32_t merged[kShortPiece];
  std::size_t n = piece.size();
  for (std::size_t i = 0; i < n; ++i) ids[i] = byte_ids_[static_cast<unsigned char>(piece[i])];
  for (std::size_t i = 0; i + 1 < n; ++i) ranks[i] = rank_of(ids[i], ids[i + 1], &merged[i]);
  while (n > 1) {
    const std::size_t i = static_cast<std::size_t>(std::min_element(ranks, ranks + n - 1) - ranks);
    if (ranks[i] == kNoMerge) break;
    ids[i] = merged[i];
    // Drop ids[i+1] and the pair (i+1, i+2) that no longer exists.
    std::memmove(ids + i + 1, ids + i + 2, (n - i - 2) * sizeof(int32_t));
    if (i + 2 < n) {
      std::memmove(ranks + i + 1, ranks + i + 2, (n - i - 3) * sizeof(uint32_t));
      std::memmove(merged + i + 1, merged + i + 2, (n - i - 3) * sizeof(int32_t));
    }
    --n;
    if (i > 0) ranks[i - 1] = rank_of(ids[i - 1], ids[i], &merged[i - 1]);
    if (i + 1 < n) ranks[i] = rank_of(ids[i], ids[i + 1], &merged[i]);
  }
  out.insert(out.end(), ids, ids + n);
}

// Same merge order as encode_short: a min-heap on (rank, position) over a linked list of parts.
// Stale heap entries (a part merged away or changed since) are recognised and skipped.
void BpeModel::encode_long(std::string_view piece, std::vector<int32_t>& out) const {
  struct Part {
    int32_t id;  // -1 once merged into its left neighbour
    int32_t prev;
    int32_t next;  // -1 at the end
  };
  struct Candidate {
    uint32_t rank;
    int32_t pos;  // the left part; its index is its first byte, so it orders parts left to right
    int32_t left;
    int32_t right;
    int32_t merged;
    bool operator>(const Candidate& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
  };
  const auto n = static_cast<int32_t>(piece.size());
  std::vector<Part> parts(static_cast<std::size_t>(n));
  for (int32_t i = 0; i < n; ++i) {
    parts[i] = Part{byte_ids_[static_cast<unsigned char>(piece[i])], i - 1, i + 1 < n ? i + 1 : -1};
  }
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<Candidate>> heap;
  const auto push_pair = [&](int32_t pos) {
    const int32_t next = parts[pos].next;
    int32_t merged = 0;
    const uint32_t rank = rank_of(parts[pos].id, parts[next].id, &merged);
    if (rank != kNoMerge) heap.push(Candidate{rank, pos, parts[pos].id, parts[next].id, merged});
  };
  for (int32_t i = 0; i + 1 < n; ++i) push_pair(i);
  while (!heap.empty()) {
    const Candidate c = heap.top();
    heap.pop();
    Part& left = parts[c.pos];
    if (left.id != c.left || left.next < 0) continue;
    Part& right = parts[left.next];
    if (right.id != c.right) continue;
    left.id = c.merged;
    right.id = -1;
    left.next = right.next;
    if (left.next >= 0) parts[left.next].prev = c.pos;
    if (left.prev >= 0) push_pair(left.prev);
    if (left.next >= 0) push_pair(c.pos);
  }
  for (int32_t i = 0; i >= 0; i = parts[i].next) out.push_back(parts[i].id);
}

}  // namespace gptbench::text::detail
