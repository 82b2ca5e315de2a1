// Deterministic train/validation/test membership of a dataset row, decided by its id alone: a row
// keeps its split when other rows are added, removed or reordered, and across gptbench versions.
//
// Rule (docs/datasets.md; scripts/oracles/dataset_oracle.py re-implements it):
//   h      = fnv1a64(le64(seed) ++ id)       the 8 little-endian bytes of the seed, then the id's bytes
//   bucket = fmix64(h) % 1000                MurmurHash3's 64-bit finalizer spreads FNV's weak low bits
//   bucket < 800 -> train, < 900 -> validation, else test
#pragma once

#include <cstdint>      // uint64_t
#include <string>       // std::string
#include <string_view>  // std::string_view

#include "gptbench/util/enum_names.h"  // EnumName

namespace gptbench::data {

enum class Split { kTrain, kValidation, kTest, kAll };
inline constexpr EnumName<Split> kSplitNames[] = {
    {Split::kTrain, "train"}, {Split::kValidation, "validation"}, {Split::kTest, "test"}, {Split::kAll, "all"}};

// A name of kSplitNames; UsageError naming --split otherwise.
Split parse_split(const std::string& name);
std::string split_name(Split s);  // enum_name(kSplitNames, s)

// FNV-1a 64-bit (offset basis 0xcbf29ce484222325, prime 0x100000001b3) of the bytes.
uint64_t fnv1a64(std::string_view bytes);

// Bucket in [0, 1000) of an id under a seed, and the split it falls in (never kAll).
uint32_t split_bucket(std::string_view id, uint64_t seed);
Split hash_split(std::string_view id, uint64_t seed);

// One line stating the rule above with the seed, for reports.
std::string hash_split_rule(uint64_t seed);

}  // namespace gptbench::data
