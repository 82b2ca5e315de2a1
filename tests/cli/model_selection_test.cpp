// Parsing at the edge: the model flags resolve once into spec, dtype and device (errors name the
// flag); every enum-valued flag has one name table that both parses it and echoes it; the config
// blocks of run and train reports write the flags as given; one default data folder.
#include <gtest/gtest.h>  // TEST, EXPECT_*

#include <nlohmann/json.hpp>  // nlohmann::json

#include <cstdlib>     // setenv, unsetenv, getenv
#include <optional>    // std::nullopt
#include <string>      // std::string
#include <vector>      // std::vector

#include "../support/error_message.h"  // message_of
#include "gptbench/data/data_dir.h"        // default_data_dir
#include "gptbench/data/split.h"           // kSplitNames
#include "gptbench/kernels/flash_arch.h"    // FlashArch, kFlashArchNames
#include "gptbench/model/beam_search.h"    // kEarlyStoppingNames
#include "gptbench/model/checkpoint.h"     // resolve_device
#include "gptbench/run/model_selection.h"  // ModelSelection, resolve_selection
#include "gptbench/run/run_config.h"       // RunConfig, to_json, k*Names
#include "gptbench/run/run_stopping.h"     // run_stopping_rule, stopping_info
#include "gptbench/train/train_config.h"   // TrainConfig, to_json, k*Names
#include "gptbench/util/enum_names.h"      // parse_enum, enum_name, enum_names
#include "gptbench/util/error.h"           // UsageError

namespace gptbench {
namespace {

using test_support::message_of;

TEST(ModelSelection, ResolvesEveryFlagOnce) {
  run::ModelSelection flags;
  flags.variant = "alibi+sparse";  // a modifier alone: the standard kernel
  flags.window = 16;
  flags.global_tokens = 2;
  flags.dtype = "bf16";
  flags.device = "cpu";
  flags.flash_arch = kernels::FlashArch::kSm90;
  const run::ResolvedSelection r = run::resolve_selection(flags);
  EXPECT_EQ(r.attention.kernel, attention::Kernel::kStandard);
  EXPECT_EQ(r.attention.positions, attention::PositionMode::kAlibi);
  EXPECT_EQ(r.attention.window, 16);
  EXPECT_EQ(r.attention.global_tokens, 2);
  EXPECT_EQ(r.attention.flash_arch, kernels::FlashArch::kSm90);  // --flash-arch travels in the spec
  EXPECT_EQ(r.dtype, at::kBFloat16);
  EXPECT_EQ(r.device, c10::Device(c10::kCPU));
  EXPECT_EQ(r.flags.variant, "alibi+sparse");  // as given, for the report

  const run::ResolvedSelection defaults = run::resolve_selection({});
  EXPECT_FALSE(defaults.attention.sparse());
  EXPECT_EQ(defaults.dtype, at::kFloat);
  EXPECT_EQ(defaults.device, model::resolve_device("auto"));
  EXPECT_EQ(defaults.attention.flash_arch, kernels::FlashArch::kAuto);
}

TEST(ModelSelection, ErrorsNameTheFlag) {
  auto with = [](auto change) {
    run::ModelSelection flags;
    flags.device = "cpu";
    change(flags);
    return message_of<UsageError>([&] { run::resolve_selection(flags); });
  };
  EXPECT_NE(with([](auto& f) { f.variant = "flsh"; }).find("--variant flsh"), std::string::npos);
  EXPECT_NE(with([](auto& f) { f.window = 8; }).find("--window"), std::string::npos);
  EXPECT_NE(with([](auto& f) { f.dtype = "fp8"; }).find("--dtype"), std::string::npos);
  EXPECT_NE(with([](auto& f) { f.device = "tpu"; }).find("--device"), std::string::npos);
  EXPECT_NE(with([](auto& f) { f.device = "cuda:x"; }).find("--device"), std::string::npos);
}

TEST(ModelSelection, ResolveDeviceAuto) {
  EXPECT_EQ(model::resolve_device("cpu"), c10::Device(c10::kCPU));
  const c10::Device automatic = model::resolve_device("auto");
  EXPECT_TRUE(automatic.is_cpu() || (automatic.is_cuda() && automatic.index() == 0)) << automatic.str();
  EXPECT_NE(message_of<UsageError>([] { model::resolve_device("Auto"); }).find("--device"), std::string::npos);
}

TEST(DataDir, HonoursTheEnvironment) {
  const char* saved = std::getenv("GPTBENCH_DATA_DIR");
  const std::string kept = saved != nullptr ? saved : "";
  ::setenv("GPTBENCH_DATA_DIR", "/some/data", 1);
  EXPECT_EQ(data::default_data_dir(), "/some/data");
  ::setenv("GPTBENCH_DATA_DIR", "", 1);
  EXPECT_EQ(data::default_data_dir(), "../shared/data");
  ::unsetenv("GPTBENCH_DATA_DIR");
  EXPECT_EQ(data::default_data_dir(), "../shared/data");
  if (saved != nullptr) ::setenv("GPTBENCH_DATA_DIR", kept.c_str(), 1);
}

// Every row parses back to its value, and an unknown name is refused naming the flag and the choices.
template <typename Enum, size_t N>
void expect_round_trip(const EnumName<Enum> (&table)[N], const std::string& flag) {
  for (const auto& row : table) EXPECT_EQ(parse_enum(table, flag, enum_name(table, row.value)), row.value) << row.name;
  const std::string m = message_of<UsageError>([&] { parse_enum(table, flag, "bogus"); });
  EXPECT_NE(m.find(flag + ": unknown value \"bogus\" (" + enum_names(table) + ")"), std::string::npos) << m;
}

TEST(EnumNames, OneTablePerFlag) {
  expect_round_trip(run::kTaskNames, "--task");
  expect_round_trip(run::kTimingModeNames, "--timing");
  expect_round_trip(run::kDecodeModeNames, "--decode");
  expect_round_trip(run::kLinearModeNames, "--linear");
  expect_round_trip(run::kDatasetNames, "--dataset");
  expect_round_trip(data::kSplitNames, "--split");
  expect_round_trip(model::kEarlyStoppingNames, "--early-stopping");
  expect_round_trip(train::kPrecisionNames, "--precision");
  expect_round_trip(train::kLossOnNames, "--loss-on");
  expect_round_trip(train::kLossImplNames, "--loss");
  expect_round_trip(kernels::kFlashArchNames, "--flash-arch");
  EXPECT_EQ(enum_names(run::kLinearModeNames), "auto, aten, gemv");
}

TEST(ConfigBlock, RunEchoesTheFlagsAsGiven) {
  run::RunConfig c;
  c.model = run::resolve_selection({"/m", "alibi+flash", std::nullopt, std::nullopt, "fp16", "cpu", "/data"});
  c.timing = run::TimingMode::kForward;
  c.decode = run::DecodeMode::kEager;
  c.linear = run::LinearMode::kGemv;
  c.task = run::Task::kPerplexity;
  c.dataset = run::DatasetKind::kCnnDailymail;
  c.split = data::Split::kValidation;
  c.early_stopping = model::EarlyStopping::kNever;
  EXPECT_TRUE(run::to_json(c).at("kl_against").is_null());
  c.kl_against = run::KlAgainstVariant{"sdpa", {}};
  const nlohmann::json j = run::to_json(c);
  EXPECT_EQ(j.at("model"), "/m");
  EXPECT_EQ(j.at("tokenizer"), "/m");
  EXPECT_EQ(j.at("variant"), "alibi+flash");  // not the canonical flash+alibi: compare diffs by these strings
  EXPECT_EQ(j.at("dtype"), "fp16");
  EXPECT_EQ(j.at("device"), "cpu");
  EXPECT_EQ(j.at("data_dir"), "/data");
  EXPECT_TRUE(j.at("window").is_null());
  EXPECT_EQ(j.at("timing"), "forward");
  EXPECT_EQ(j.at("decode"), "eager");
  EXPECT_EQ(j.at("linear"), "gemv");
  EXPECT_EQ(j.at("task"), "perplexity");
  EXPECT_EQ(j.at("dataset"), "cnn_dailymail");
  EXPECT_EQ(j.at("split"), "validation");
  EXPECT_EQ(j.at("early_stopping"), "never");
  EXPECT_EQ(j.at("kl_against"), "sdpa");
  EXPECT_EQ(j.at("flash_arch"), "auto");  // --flash-arch as asked (schema minor 5)
  EXPECT_FALSE(j.contains("stopping"));   // no stopping flag: the config of a plain run as before
  c.stopping.max_noise = 0.02;
  c.stopping.max_batches = 40;
  const nlohmann::json stopping = run::to_json(c).at("stopping");
  EXPECT_EQ(stopping.at("max_noise"), 0.02);
  EXPECT_EQ(stopping.at("max_batches"), 40);
  EXPECT_TRUE(stopping.at("min_batches").is_null());
}

// `gptbench run`'s stopping rule: one pass by default, --max-batches caps the pass, --min-batches
// repeats the prompts; the report names what stopped it in run's words; bad flags named.
TEST(RunStopping, DefaultsToOnePassOverThePrompts) {
  const bench::StoppingRule plain = run::run_stopping_rule({}, 7);
  EXPECT_EQ(plain.min_runs, 7);
  EXPECT_EQ(plain.max_noise, 0);
  EXPECT_FALSE(bench::stop_reason(plain, std::vector<double>(6, 1.0), 0).has_value());
  EXPECT_EQ(bench::stop_reason(plain, std::vector<double>(7, 1.0), 0), "min_time");

  run::RunStoppingFlags capped;
  capped.max_batches = 3;
  const bench::StoppingRule rule = run::run_stopping_rule(capped, 7);
  EXPECT_EQ(rule.min_runs, 3);
  EXPECT_EQ(rule.max_runs, 3);
  const auto reason = bench::stop_reason(rule, {1.0, 1.0, 1.0}, 0);
  ASSERT_TRUE(reason.has_value());
  EXPECT_EQ(run::stopping_info(rule, *reason, 3, 3, 0, 0.1).reason, "max_batches");
  EXPECT_EQ(run::stopping_info(rule, *reason, 3, 3, 0, 0.1).rule.max_batches, 3);

  run::RunStoppingFlags noisy;
  noisy.min_batches = 2;
  noisy.max_noise = 0.05;
  noisy.min_time_s = 0.5;
  const bench::StoppingRule n = run::run_stopping_rule(noisy, 7);
  EXPECT_EQ(n.min_runs, 2);
  EXPECT_DOUBLE_EQ(n.min_time_ms, 500);
  EXPECT_EQ(bench::stop_reason(n, {300, 300}, 1), "max_noise");
  const report::StoppingInfo info = run::stopping_info(n, "max_noise", 2, 4, 0.0, 1.0);
  EXPECT_FALSE(info.rule.max_batches.has_value());  // no cap
  EXPECT_DOUBLE_EQ(info.rule.min_time_s, 0.5);
}

TEST(RunStopping, BadFlagsAreNamed) {
  run::RunStoppingFlags f;
  f.min_batches = 5;
  f.max_batches = 4;
  EXPECT_EQ(message_of<UsageError>([&] { run::run_stopping_rule(f, 10); }), "--max-batches 4 is below --min-batches 5");
  f = {};
  f.min_time_s = -1;
  EXPECT_EQ(message_of<UsageError>([&] { run::run_stopping_rule(f, 10); }), "--min-time must be >= 0, got -1");
  f = {};
  f.max_batches = 0;
  EXPECT_EQ(message_of<UsageError>([&] { run::run_stopping_rule(f, 10); }),
            "--max-batches must be between 1 and 2147483647, got 0");
  f = {};
  f.max_noise = -0.5;
  EXPECT_EQ(message_of<UsageError>([&] { run::run_stopping_rule(f, 10); }), "--max-noise must be >= 0, got -0.5");
}

TEST(ConfigBlock, TrainEchoesTheFlagsAsGiven) {
  train::TrainConfig c;
  c.model.flags = {"/m", "sdpa+sparse", 64, 1, "fp32", "auto", "/data"};
  c.precision = train::Precision::kBf16;
  c.loss_on = train::LossOn::kAll;
  c.loss = train::LossImpl::kReference;
  const nlohmann::json j = train::to_json(c);
  EXPECT_EQ(j.at("variant"), "sdpa+sparse");
  EXPECT_EQ(j.at("window"), 64);
  EXPECT_EQ(j.at("global_tokens"), 1);
  EXPECT_EQ(j.at("device"), "auto");
  EXPECT_EQ(j.at("data_dir"), "/data");
  EXPECT_EQ(j.at("precision"), "bf16");
  EXPECT_EQ(j.at("loss_on"), "all");
  EXPECT_EQ(j.at("loss"), "reference");
  EXPECT_EQ(train::resume_identity(c).at("precision"), "bf16");
  EXPECT_EQ(j.at("flash_arch"), "auto");  // train echoes --flash-arch too (train schema minor 5)
}

}  // namespace
}  // namespace gptbench
