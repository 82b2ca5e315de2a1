// A learned variant's options in config.json (learned_options.h): written and read back for each
// variant, recorded values replacing defaults, conflicting flags refused naming the file, key and flag,
// equal flags accepted, no record leaving the flags' spec alone, malformed values refused naming the key.
#include <gtest/gtest.h>  // TEST, EXPECT_*

#include <nlohmann/json.hpp>  // nlohmann::json

#include <string>  // std::string
#include <vector>  // std::vector

#include "gptbench/attention/learned_options.h"  // learned_options_to_json, learned_options_from_json, ...
#include "gptbench/attention/variant.h"          // parse_variant, VariantFlags
#include "gptbench/util/error.h"                 // Error, UsageError
#include "learned_test_support.h"                // nsa_flags

using namespace gptbench;
using namespace gptbench::attention;

namespace {

const std::string kSource = "ckpt/config.json";

using gptbench::testing::nsa_flags;

// What a checkpoint trained under `variant` with `flags` records, read back as config.json's block.
LearnedSpec recorded(const std::string& variant, const VariantFlags& flags) {
  const nlohmann::json block = learned_options_to_json(recorded_options(parse_variant(variant, flags).learned));
  return learned_options_from_json(nlohmann::json::parse(block.dump()), kSource);
}

std::string usage_error(LearnedSpec spec, const LearnedSpec& record) {
  try {
    apply_recorded_options(spec, record, kSource);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

std::string read_error(const nlohmann::json& block) {
  try {
    learned_options_from_json(block, kSource);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(LearnedOptions, EachVariantRecordsItsOwnOptionsAndReadsThemBack) {
  const LearnedSpec nsa = recorded("nsa", nsa_flags(8, 4, 16, 5, 24));
  EXPECT_EQ(learned_options_to_json(recorded_options(parse_variant("nsa", nsa_flags(8, 4, 16, 5, 24)).learned)),
            nlohmann::json::parse(R"({"nsa_block": 8, "nsa_stride": 4, "nsa_select_block": 16, "nsa_topk": 5,
                                      "nsa_window": 24})"));
  EXPECT_EQ(nsa.nsa.block, 8);
  EXPECT_EQ(nsa.nsa.stride, 4);
  EXPECT_EQ(nsa.nsa.select_block, 16);
  EXPECT_EQ(nsa.nsa.topk, 5);
  EXPECT_EQ(nsa.nsa.window, 24);
  EXPECT_FALSE(nsa.is_stated(LearnedOption::kFeatures));

  VariantFlags performer;
  performer.features = 64;
  performer.feature_seed = 18446744073709551615ULL;  // a seed uses all 64 bits
  const LearnedSpec p = recorded("performer", performer);
  EXPECT_EQ(p.features, 64);
  EXPECT_EQ(p.feature_seed, 18446744073709551615ULL);
  EXPECT_TRUE(p.is_stated(LearnedOption::kFeatureSeed));
  EXPECT_FALSE(p.is_stated(LearnedOption::kNsaBlock));

  VariantFlags maskmix;
  maskmix.maskmix_windows = "2,8,all";
  EXPECT_EQ(learned_options_to_json(recorded_options(parse_variant("maskmix", maskmix).learned)),
            nlohmann::json::parse(R"({"maskmix_windows": [2, 8, "all"]})"));
  EXPECT_EQ(recorded("maskmix", maskmix).maskmix_windows, (std::vector<int64_t>{2, 8, kMaskMixAll}));
  // Defaults are recorded too: the checkpoint states every option of its variant.
  EXPECT_EQ(recorded("maskmix", {}).maskmix_windows, kDefaultMaskMixWindows);
  EXPECT_TRUE(learned_options_to_json(recorded_options(parse_variant("flash+sparse").learned)).empty());
}

TEST(LearnedOptions, RecordedValuesReplaceTheDefaults) {
  LearnedSpec spec = parse_variant("nsa").learned;  // no flags: the paper's defaults
  apply_recorded_options(spec, recorded("nsa", nsa_flags(8, 4, 16, 5, 24)), kSource);
  EXPECT_EQ(spec.nsa.block, 8);
  EXPECT_EQ(spec.nsa.topk, 5);
  EXPECT_EQ(spec.nsa.window, 24);
  VariantFlags features;
  features.features = 32;
  LearnedSpec performer = parse_variant("performer").learned;
  apply_recorded_options(performer, recorded("performer", features), kSource);
  EXPECT_EQ(performer.features, 32);
  EXPECT_EQ(performer.feature_seed, 0u);
}

TEST(LearnedOptions, AConflictingFlagIsRefusedNamingTheFileKeyAndFlag) {
  const LearnedSpec record = recorded("nsa", nsa_flags(8, 4, 16, 5, 24));
  VariantFlags topk;
  topk.nsa_topk = 16;
  const std::string e = usage_error(parse_variant("nsa", topk).learned, record);
  EXPECT_NE(e.find("--nsa-topk 16"), std::string::npos) << e;
  EXPECT_NE(e.find("ckpt/config.json"), std::string::npos) << e;
  EXPECT_NE(e.find("\"gptbench.nsa_topk\" is 5"), std::string::npos) << e;
  VariantFlags windows;
  windows.maskmix_windows = "1,4,all";  // the same count as the record, another meaning
  VariantFlags recorded_windows;
  recorded_windows.maskmix_windows = "2,8,all";
  const std::string w = usage_error(parse_variant("maskmix", windows).learned, recorded("maskmix", recorded_windows));
  EXPECT_NE(w.find("--maskmix-windows 1,4,all conflicts"), std::string::npos) << w;
  EXPECT_NE(w.find("\"gptbench.maskmix_windows\" is 2,8,all"), std::string::npos) << w;
  VariantFlags seed;
  seed.feature_seed = 7;
  EXPECT_NE(usage_error(parse_variant("performer", seed).learned, recorded("performer", {})).find("--feature-seed 7"),
            std::string::npos);
}

TEST(LearnedOptions, AFlagEqualToTheRecordIsAccepted) {
  VariantFlags topk;
  topk.nsa_topk = 5;
  LearnedSpec spec = parse_variant("nsa", topk).learned;
  apply_recorded_options(spec, recorded("nsa", nsa_flags(8, 4, 16, 5, 24)), kSource);
  EXPECT_EQ(spec.nsa.topk, 5);
  EXPECT_EQ(spec.nsa.block, 8);
  VariantFlags windows;
  windows.maskmix_windows = "2,8,all";
  LearnedSpec maskmix = parse_variant("maskmix", windows).learned;
  apply_recorded_options(maskmix, recorded("maskmix", windows), kSource);
  EXPECT_EQ(maskmix.maskmix_windows, (std::vector<int64_t>{2, 8, kMaskMixAll}));
}

TEST(LearnedOptions, NoRecordKeepsTheFlagsAndDefaults) {
  const LearnedSpec none = learned_options_from_json(nlohmann::json::parse(R"({"variant": "nsa"})"), kSource);
  EXPECT_EQ(none.stated, 0u);
  VariantFlags topk;
  topk.nsa_topk = 9;
  LearnedSpec spec = parse_variant("nsa", topk).learned;
  apply_recorded_options(spec, none, kSource);
  EXPECT_EQ(spec.nsa.topk, 9);
  EXPECT_EQ(spec.nsa.block, NsaSizes{}.block);
  // Another variant's options do not apply (a performer record under nsa, say).
  LearnedSpec nsa = parse_variant("nsa").learned;
  apply_recorded_options(nsa, recorded("performer", {}), kSource);
  EXPECT_EQ(nsa.nsa.topk, NsaSizes{}.topk);
}

TEST(LearnedOptions, MalformedValuesAreRefusedNamingTheKey) {
  const char* bad[][2] = {
      {R"({"nsa_topk": 2})", "\"gptbench.nsa_topk\""},           {R"({"nsa_block": "32"})", "\"gptbench.nsa_block\""},
      {R"({"nsa_window": 0})", "\"gptbench.nsa_window\""},       {R"({"nsa_stride": 1.5})", "\"gptbench.nsa_stride\""},
      {R"({"features": -1})", "\"gptbench.features\""},         {R"({"feature_seed": "x"})", "\"gptbench.feature_seed\""},
      {R"({"maskmix_windows": "1,4"})", "\"gptbench.maskmix_windows\""},
      {R"({"maskmix_windows": [4, 1, "all"]})", "\"gptbench.maskmix_windows\""},
      {R"({"maskmix_windows": ["all", 4]})", "\"gptbench.maskmix_windows\""},
      {R"({"maskmix_windows": [0]})", "\"gptbench.maskmix_windows\""},
      {R"({"maskmix_windows": []})", "\"gptbench.maskmix_windows\""},
      {R"({"nsa_block": 8, "nsa_stride": 16})", "\"gptbench.nsa_stride\" 16 is larger than \"gptbench.nsa_block\" 8"},
  };
  for (const auto& [json, key] : bad) {
    const std::string e = read_error(nlohmann::json::parse(json));
    EXPECT_NE(e.find(kSource), std::string::npos) << json << ": " << e;
    EXPECT_NE(e.find(key), std::string::npos) << json << ": " << e;
  }
}
