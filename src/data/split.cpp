#include "gptbench/data/split.h"  // this file's declarations

#include <fmt/format.h>  // fmt::format

#include "gptbench/util/error.h"  // gptbench::UsageError

namespace gptbench::data {
namespace {

constexpr uint64_t kFnvOffsetBasis = 0xcbf29ce484222325ULL;
constexpr uint64_t kFnvPrime = 0x100000001b3ULL;
constexpr uint32_t kBuckets = 1000;
constexpr uint32_t kTrainBelow = 800;
constexpr uint32_t kValidationBelow = 900;

uint64_t fnv1a64_continue(uint64_t h, std::string_view bytes) {
  for (const char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= kFnvPrime;
  }
  return h;
}

// MurmurHash3 fmix64: FNV-1a's low bits depend only on the low bits of the input bytes, and
// % 1000 reads them; the finalizer makes every output bit depend on every input bit.
uint64_t fmix64(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

}  // namespace

Split parse_split(const std::string& name) {
  for (const auto& row : kSplitNames)
    if (name == row.name) return row.value;
  throw UsageError(fmt::format("--split: unknown split '{}' (expected {})", name, enum_names(kSplitNames)));
}

std::string split_name(Split s) { return enum_name(kSplitNames, s); }

uint64_t fnv1a64(std::string_view bytes) { return fnv1a64_continue(kFnvOffsetBasis, bytes); }

uint32_t split_bucket(std::string_view id, uint64_t seed) {
  char seed_bytes[8];
  for (int i = 0; i < 8; ++i) seed_bytes[i] = static_cast<char>((seed >> (8 * i)) & 0xFF);
  const uint64_t h = fnv1a64_continue(fnv1a64(std::string_view(seed_bytes, 8)), id);
  return static_cast<uint32_t>(fmix64(h) % kBuckets);
}

Split hash_split(std::string_view id, uint64_t seed) {
  const uint32_t bucket = split_bucket(id, seed);
  if (bucket < kTrainBelow) return Split::kTrain;
  if (bucket < kValidationBelow) return Split::kValidation;
  return Split::kTest;
}

std::string hash_split_rule(uint64_t seed) {
  return fmt::format("fmix64(fnv1a64(le64(seed={}) ++ id)) % {} < {} train, < {} validation, else test", seed,
                     kBuckets, kTrainBelow, kValidationBelow);
}

}  // namespace gptbench::data
