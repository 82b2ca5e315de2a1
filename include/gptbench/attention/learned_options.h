// A learned variant's options in a checkpoint: config.json's {"gptbench": {"variant": "nsa",
// "nsa_block": 32, ...}} (docs/variants.md). The one list of them (kLearnedOptionKeys: key, flag,
// variant) drives writing, reading and applying. At load the recorded values replace the defaults;
// a flag stating another value is refused. Torch-free (the config fuzz target compiles it).
#pragma once

#include <nlohmann/json.hpp>  // nlohmann::json

#include <cstdint>  // int64_t
#include <string>   // std::string
#include <vector>   // std::vector

#include "gptbench/attention/learned_spec.h"  // LearnedSpec, LearnedOption, LearnedKind

namespace gptbench::attention {

struct LearnedOptionKey {
  LearnedOption option;
  LearnedKind kind;  // the variant it belongs to
  const char* key;   // in config.json's "gptbench" block
  const char* flag;  // the flag that states it, without "--"
};

inline constexpr LearnedOptionKey kLearnedOptionKeys[] = {
    {LearnedOption::kMaskMixWindows, LearnedKind::kMaskMix, "maskmix_windows", "maskmix-windows"},
    {LearnedOption::kFeatures, LearnedKind::kPerformer, "features", "features"},
    {LearnedOption::kFeatureSeed, LearnedKind::kPerformer, "feature_seed", "feature-seed"},
    {LearnedOption::kNsaBlock, LearnedKind::kNsa, "nsa_block", "nsa-block"},
    {LearnedOption::kNsaStride, LearnedKind::kNsa, "nsa_stride", "nsa-stride"},
    {LearnedOption::kNsaSelectBlock, LearnedKind::kNsa, "nsa_select_block", "nsa-select-block"},
    {LearnedOption::kNsaTopk, LearnedKind::kNsa, "nsa_topk", "nsa-topk"},
    {LearnedOption::kNsaWindow, LearnedKind::kNsa, "nsa_window", "nsa-window"},
};

// `learned` with every option of its kind stated: what a checkpoint trained with it records.
LearnedSpec recorded_options(const LearnedSpec& learned);

// The stated options as config.json keys: {"nsa_block": 32, ...}; maskmix windows as [1, 4, "all"].
nlohmann::json learned_options_to_json(const LearnedSpec& recorded);

// The option keys present in config.json's "gptbench" block (other keys are not read here), each
// stated; a malformed value throws gptbench::Error naming `source` and the key ("gptbench.nsa_topk").
LearnedSpec learned_options_from_json(const nlohmann::json& block, const std::string& source);

// Replaces spec's unstated options of its kind by those `recorded` states; an option both state with
// different values is a UsageError naming `source`, the key and the flag. Then nsa's stride <= block.
void apply_recorded_options(LearnedSpec& spec, const LearnedSpec& recorded, const std::string& source);

// "" when the maskmix windows are valid (positive, strictly increasing, kMaskMixAll only last and
// present at most once), else what is wrong: the rule of --maskmix-windows and of the recorded key.
std::string maskmix_windows_problem(const std::vector<int64_t>& windows);

}  // namespace gptbench::attention
