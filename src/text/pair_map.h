// Open-addressing hash map from a pair of token ids to its merge (rank, merged id).
// BPE looks pairs up in its innermost loop; a flat table with one multiply as the hash keeps
// that to one or two cache lines per lookup, where std::unordered_map chases a node pointer.
#pragma once

#include <cstddef>  // std::size_t
#include <cstdint>  // int32_t, uint32_t, uint64_t
#include <vector>   // std::vector

namespace gptbench::text::detail {

struct Merge {
  uint32_t rank;   // line order in merges.txt: lower merges first
  int32_t merged;  // id of the concatenated token
};

class PairMap {
 public:
  explicit PairMap(std::size_t expected = 0) {
    std::size_t capacity = 16;
    while (capacity < expected * 2) capacity *= 2;  // load factor <= 0.5
    slots_.assign(capacity, Slot{kEmpty, {}});
    mask_ = capacity - 1;
  }

  // Returns the existing merge instead of inserting when the pair is already present.
  const Merge* insert(int32_t left, int32_t right, Merge merge) {
    if ((size_ + 1) * 2 > slots_.size()) grow();
    const uint64_t key = make_key(left, right);
    for (std::size_t i = hash(key);; i = (i + 1) & mask_) {
      if (slots_[i].key == key) return &slots_[i].merge;
      if (slots_[i].key == kEmpty) {
        slots_[i] = Slot{key, merge};
        ++size_;
        return nullptr;
      }
    }
  }

  const Merge* find(int32_t left, int32_t right) const {
    const uint64_t key = make_key(left, right);
    for (std::size_t i = hash(key);; i = (i + 1) & mask_) {
      if (slots_[i].key == key) return &slots_[i].merge;
      if (slots_[i].key == kEmpty) return nullptr;
    }
  }

  std::size_t size() const { return size_; }

 private:
  struct Slot {
    uint64_t key;
    Merge merge;
  };
  static constexpr uint64_t kEmpty = ~uint64_t{0};  // ids are non-negative, so no pair makes it

  static uint64_t make_key(int32_t left, int32_t right) {
    return (uint64_t{static_cast<uint32_t>(left)} << 32) | static_cast<uint32_t>(right);
  }
  std::size_t hash(uint64_t key) const {
    // Fibonacci hashing: the high bits of the product are well mixed.
    return static_cast<std::size_t>((key * 0x9E3779B97F4A7C15ull) >> 32) & mask_;
  }
  void grow() {
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.assign(old.size() * 2, Slot{kEmpty, {}});
    mask_ = slots_.size() - 1;
    size_ = 0;
    for (const Slot& s : old) {
      if (s.key != kEmpty) insert(static_cast<int32_t>(s.key >> 32), static_cast<int32_t>(s.key & 0xFFFFFFFFu), s.merge);
    }
  }

  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
};

}  // namespace gptbench::text::detail
