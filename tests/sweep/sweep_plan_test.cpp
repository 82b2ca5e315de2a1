// Settings, config files, the cross product with its skip reasons and keys, and shard partitions.
#include <gtest/gtest.h>  // TEST, EXPECT_*

#include <set>     // std::set
#include <string>  // std::string

#include "gptbench/sweep/sweep_plan.h"  // plan_cells, cell_key, cell_run_config, parse_shard
#include "gptbench/sweep/sweep_spec.h"  // build_spec, read_sweep_config, definition_json
#include "gptbench/util/error.h"        // UsageError
#include "sweep_test_support.h"         // TempDir, tiny_shape, flags

namespace gptbench::sweep {
namespace {

using testing::flags;
using testing::TempDir;
using testing::tiny_shape;

std::string message_of(const std::function<void()>& f) { return testing::message_of<UsageError>(f); }

TEST(SweepSpec, DefaultsAndCanonicalNames) {
  const SweepSpec spec = build_spec(flags({{"variants", "alibi+sdpa,standard"}}));
  EXPECT_EQ(spec.axes.variants, std::vector<std::string>({"sdpa+alibi", "standard"}));
  EXPECT_EQ(spec.axes.dtypes, std::vector<std::string>({"fp32"}));
  EXPECT_EQ(spec.axes.batch_sizes, std::vector<int64_t>({1}));
  EXPECT_EQ(spec.base.dataset, run::DatasetKind::kSynthetic);
  EXPECT_TRUE(spec.min_new_tokens_is_max);
  EXPECT_NE(message_of([] { build_spec(flags({{"variants", "flash,flash"}})); }).find("listed twice"), std::string::npos);
  EXPECT_NE(message_of([] { build_spec(flags({{"variants", "flsh"}})).axes; }).find("--variants"), std::string::npos);
  EXPECT_NE(message_of([] { build_spec(flags({{"dtypes", "fp8"}})); }).find("--dtypes"), std::string::npos);
  EXPECT_NE(message_of([] { build_spec(flags({{"batch-sizes", ""}})); }).find("--batch-sizes: empty list"),
            std::string::npos);
  EXPECT_NE(message_of([] { build_spec(flags({{"limit", "4"}, {"batches", "2"}})); }).find("--limit and --batches"),
            std::string::npos);
  EXPECT_NE(message_of([] { build_spec(flags({{"warmup", "-1"}})); }).find("--warmup"), std::string::npos);
  EXPECT_NE(message_of([] { build_spec(flags({{"min-new-tokens", "most"}})); }).find("--min-new-tokens"),
            std::string::npos);
  EXPECT_NE(message_of([] { build_spec(flags({{"device", "tpu"}})); }).find("--device"), std::string::npos);
  SweepSettings no_model = flags({});
  no_model.erase("model");
  EXPECT_NE(message_of([&] { build_spec(no_model); }).find("--model is required"), std::string::npos);
}

TEST(SweepSpec, ConfigFileKeysAndOverride) {
  TempDir dir;
  const auto file = dir.write("x.json", R"({"_comment": "c", "model": "/m", "variants": ["standard", "sdpa"],
                                          "batch-sizes": "1-4*2", "prompt-tokens": [16, 32], "warmup": 0})");
  SweepSettings s = read_sweep_config(file);
  s["batch-sizes"] = {"8", "--batch-sizes"};  // a flag overrides the file
  const SweepSpec spec = build_spec(s);
  EXPECT_EQ(spec.axes.variants, std::vector<std::string>({"standard", "sdpa"}));
  EXPECT_EQ(spec.axes.batch_sizes, std::vector<int64_t>({8}));
  EXPECT_EQ(spec.axes.prompt_tokens, std::vector<int64_t>({16, 32}));
  EXPECT_EQ(spec.base.warmup, 0);

  const auto unknown = dir.write("u.json", R"({"model": "/m", "batch_sizes": [1]})");
  const std::string m = message_of([&] { read_sweep_config(unknown); });
  EXPECT_NE(m.find("u.json"), std::string::npos) << m;
  EXPECT_NE(m.find("unknown key \"batch_sizes\""), std::string::npos) << m;
  const auto bad_value = dir.write("v.json", R"({"model": "/m", "batch-sizes": [1, 2.5]})");
  EXPECT_NE(message_of([&] { read_sweep_config(bad_value); }).find("\"batch-sizes\""), std::string::npos);
  const auto bad_range = dir.write("r.json", R"({"model": "/m", "batch-sizes": "64-4*2"})");
  EXPECT_NE(message_of([&] { build_spec(read_sweep_config(bad_range)); }).find("r.json: \"batch-sizes\": range"),
            std::string::npos);
  EXPECT_NE(message_of([&] { read_sweep_config(dir.path() / "none.json"); }).find("none.json"), std::string::npos);
  EXPECT_NE(message_of([&] { read_sweep_config(dir.write("j.json", "[1]")); }).find("not a JSON object"),
            std::string::npos);
}

TEST(SweepSpec, ConfigRoundTripKeepsTheDefinition) {
  TempDir dir;
  const std::vector<std::pair<std::string, std::string>> given = {
      {"variants", "standard,sparse"}, {"windows", "none,16"}, {"batch-sizes", "1,2"}, {"batches", "2"},
      {"min-new-tokens", "3"}, {"global-tokens", "2"}, {"split-seed", "7"}};
  const SweepSpec spec = build_spec(flags(given));
  const auto file = dir.write("w.json", spec_to_config(spec).dump());
  const nlohmann::json again = definition_json(build_spec(read_sweep_config(file)));
  EXPECT_EQ(definition_difference(definition_json(spec), again), "");
  EXPECT_EQ(definition_id(definition_json(spec)), definition_id(again));
  auto more = given;
  more.emplace_back("warmup", "2");
  const nlohmann::json other = definition_json(build_spec(flags(more)));
  EXPECT_EQ(definition_difference(definition_json(spec), other), "fixed.warmup: 1 vs 2");
  EXPECT_NE(definition_id(definition_json(spec)), definition_id(other));
}

// The stopping rule: each cell's (run's flags), fractions allowed in a --config for its seconds and
// noise only, named in the definition only when set, and kept through the config round trip.
TEST(SweepSpec, StoppingRuleReachesEveryCell) {
  TempDir dir;
  const auto file = dir.write("s.json", R"({"model": "/m", "max-noise": 0.02, "min-time": 1.5, "max-batches": 40})");
  const SweepSpec spec = build_spec(read_sweep_config(file));
  EXPECT_DOUBLE_EQ(spec.base.stopping.max_noise, 0.02);
  EXPECT_DOUBLE_EQ(spec.base.stopping.min_time_s, 1.5);
  EXPECT_EQ(spec.base.stopping.max_batches, 40);
  const nlohmann::json definition = definition_json(spec);
  EXPECT_EQ(definition["fixed"]["stopping"]["max_noise"], 0.02) << definition.dump();
  EXPECT_FALSE(definition_json(build_spec(flags({{"variants", "standard"}})))["fixed"].contains("stopping"));
  const auto again = dir.write("again.json", spec_to_config(spec).dump());
  EXPECT_EQ(definition_difference(definition, definition_json(build_spec(read_sweep_config(again)))), "");
  const auto fraction = dir.write("f.json", R"({"model": "/m", "limit": 2.5})");
  EXPECT_NE(message_of([&] { build_spec(read_sweep_config(fraction)); }).find("\"limit\""), std::string::npos);
  EXPECT_NE(message_of([&] { build_spec(flags({{"min-batches", "5"}, {"max-batches", "4"}})); })
                .find("--max-batches 4 is below --min-batches 5"),
            std::string::npos);
}

// The quant axis: each cell's --quant (and the fixed group for int4/nf4 cells only); a sweep without it keeps
// its keys and definition id, one with it names it in both.
TEST(SweepSpec, QuantAxisCellsKeysAndDefinition) {
  const SweepSpec plain = build_spec(flags({{"variants", "standard"}}));
  EXPECT_EQ(plain.axes.quants, std::vector<std::string>{"none"});
  EXPECT_FALSE(definition_json(plain)["axes"].contains("quant"));
  const SweepSpec spec = build_spec(flags({{"variants", "standard"}, {"quants", "none,int8,int4"}, {"quant-group", "32"},
                                           {"prompt-tokens", "64"}, {"new-tokens", "8"}}));
  const auto cells = plan_cells(spec, tiny_shape(), c10::Device(c10::kCPU));
  ASSERT_EQ(cells.size(), 3u);
  EXPECT_EQ(cell_key(cells[0]), "standard/fp32/w-/b1/p64/n8");
  EXPECT_EQ(cell_key(cells[2]), "standard/fp32/w-/b1/p64/n8/qint4");
  for (const Cell& c : cells) EXPECT_EQ(c.skip_reason, "") << cell_key(c);
  EXPECT_EQ(cell_json(cells[1]).value("quant", ""), "int8");
  EXPECT_FALSE(cell_json(cells[0]).contains("quant"));
  const run::RunConfig int4 = cell_run_config(spec, cells[2]);
  ASSERT_TRUE(int4.model.quant.spec.has_value());
  EXPECT_EQ(int4.model.quant.spec->group, 32);
  EXPECT_FALSE(cell_run_config(spec, cells[1]).model.flags.quant_group.has_value());
  EXPECT_FALSE(cell_run_config(spec, cells[0]).model.quant.given);
  EXPECT_EQ(definition_json(spec)["axes"]["quant"], (nlohmann::json{"none", "int8", "int4"}));
  EXPECT_EQ(definition_json(spec)["fixed"]["quant_group"], 32);
  EXPECT_NE(message_of([] { build_spec(flags({{"quants", "int3"}})); }).find("--quants: --quant: unknown value"),
            std::string::npos);
}

TEST(SweepPlan, CrossProductOrderAndSkipReasons) {
  const SweepSpec spec = build_spec(flags({{"variants", "standard,flash,sparse,alibi"}, {"windows", "none,256"},
                                           {"batch-sizes", "1,4"}, {"prompt-tokens", "64,100"}, {"new-tokens", "8,28"}}));
  const auto cells = plan_cells(spec, tiny_shape(), c10::Device(c10::kCPU));
  // 4 variants x 2 windows x 2 x 2 x 2 = 64, less the 8 sparse cells whose "none" window is the default 256.
  ASSERT_EQ(cells.size(), 56u);
  std::set<std::string> keys;
  for (size_t i = 0; i < cells.size(); ++i) {
    EXPECT_EQ(cells[i].index, static_cast<int64_t>(i));
    keys.insert(cell_key(cells[i]));
  }
  EXPECT_EQ(keys.size(), cells.size());
  // Nesting: the last axis varies fastest.
  EXPECT_EQ(cell_key(cells[0]), "standard/fp32/w-/b1/p64/n8");
  EXPECT_EQ(cell_key(cells[1]), "standard/fp32/w-/b1/p64/n28");
  EXPECT_EQ(cell_key(cells[2]), "standard/fp32/w-/b1/p100/n8");
  EXPECT_EQ(cells[1].skip_reason, "");
  // 100 + 28 = 128 fits exactly; nothing longer does.
  EXPECT_EQ(cells[3].skip_reason, "");
  const auto find = [&](const std::string& key) -> const Cell& {
    for (const auto& c : cells)
      if (cell_key(c) == key) return c;
    throw std::runtime_error("no cell " + key);
  };
  EXPECT_NE(find("standard/fp32/w256/b1/p64/n8").skip_reason.find("has no 'sparse' modifier"), std::string::npos);
  EXPECT_NE(find("flash/fp32/w-/b1/p64/n8").skip_reason.find("flash"), std::string::npos);
  EXPECT_EQ(find("standard+sparse/fp32/w256/b1/p64/n8").skip_reason, "");  // "none": the default window
  EXPECT_EQ(find("standard+alibi/fp32/w-/b1/p100/n28").skip_reason, "");
  EXPECT_EQ(cell_json(find("standard+sparse/fp32/w256/b4/p100/n28")),
            nlohmann::json::parse(R"({"variant": "standard+sparse", "batch_size": 4, "prompt_tokens": 100,
                                       "max_new_tokens": 28, "dtype": "fp32", "window": 256})"));

  const SweepSpec longer = build_spec(flags({{"variants", "standard,alibi"}, {"prompt-tokens", "120"}, {"new-tokens", "9"}}));
  const auto over = plan_cells(longer, tiny_shape(), c10::Device(c10::kCPU));
  ASSERT_EQ(over.size(), 2u);
  EXPECT_NE(over[0].skip_reason.find("exceeds the context of 128"), std::string::npos) << over[0].skip_reason;
  EXPECT_EQ(over[1].skip_reason, "");  // ALiBi has no position table

  const SweepSpec min_new = build_spec(flags({{"new-tokens", "4,8"}, {"min-new-tokens", "6"}, {"prompt-tokens", "16"}}));
  const auto m = plan_cells(min_new, tiny_shape(), c10::Device(c10::kCPU));
  EXPECT_NE(m[0].skip_reason.find("--min-new-tokens 6"), std::string::npos);
  EXPECT_EQ(m[1].skip_reason, "");
}

TEST(SweepPlan, CellRunConfig) {
  const SweepSpec spec = build_spec(flags({{"variants", "sparse,sdpa"}, {"windows", "16"}, {"batches", "3"},
                                           {"global-tokens", "2"}, {"batch-sizes", "4"}, {"prompt-tokens", "40"}}));
  const auto cells = plan_cells(spec, tiny_shape(), c10::Device(c10::kCPU));
  ASSERT_EQ(cells.size(), 2u);
  const run::RunConfig sparse = cell_run_config(spec, cells[0]);
  EXPECT_EQ(sparse.model.flags.variant, "standard+sparse");
  EXPECT_EQ(sparse.model.flags.window, 16);
  EXPECT_EQ(sparse.model.flags.global_tokens, 2);
  EXPECT_TRUE(sparse.model.attention.sparse());  // resolved once, by the sweep
  EXPECT_EQ(sparse.model.attention.window, 16);
  EXPECT_EQ(sparse.model.attention.global_tokens, 2);
  EXPECT_EQ(sparse.model.dtype, at::kFloat);
  EXPECT_EQ(sparse.limit, 12);
  EXPECT_EQ(sparse.prompt_tokens, 40);
  EXPECT_EQ(sparse.min_new_tokens, sparse.max_new_tokens);
  EXPECT_FALSE(sparse.max_prompt_tokens.has_value());
  EXPECT_NE(cells[1].skip_reason.find("no 'sparse' modifier"), std::string::npos);

  const SweepSpec dataset = build_spec(flags({{"dataset", "news_summary"}, {"prompt-tokens", "40"}}));
  const run::RunConfig d = cell_run_config(dataset, plan_cells(dataset, tiny_shape(), c10::Device(c10::kCPU))[0]);
  EXPECT_EQ(d.max_prompt_tokens, 40);  // a dataset: the prompt budget
}

TEST(SweepPlan, ShardsPartitionThePlan) {
  EXPECT_EQ(parse_shard("--shard", "2/4").index, 2);
  for (const char* bad : {"3/2", "0/0", "2/2", "-1/2", "1", "a/b", "1/", "/2", "1/2/3"}) {
    const std::string m = message_of([&] { parse_shard("--shard", bad); });
    EXPECT_NE(m.find("--shard"), std::string::npos) << bad << ": " << m;
  }
  for (int64_t n : {1, 2, 3, 7}) {
    std::vector<int> owners(23, 0);
    for (int64_t k = 0; k < n; ++k) {
      const Shard shard = parse_shard("--shard", std::to_string(k) + "/" + std::to_string(n));
      for (int64_t i = 0; i < 23; ++i) owners[i] += shard.holds(i) ? 1 : 0;
    }
    for (int owner_count : owners) EXPECT_EQ(owner_count, 1) << "N = " << n;  // disjoint, and the union is all
  }
}

}  // namespace
}  // namespace gptbench::sweep
