// `--model owner/name` from a fake Hugging Face cache in a temporary folder (hub_cache.h): the snapshot
// refs/main names, the cache folder from HF_HUB_CACHE / HF_HOME, paths never taken for ids, and errors
// that name the folder looked in and the `hf download` command.
#include <gmock/gmock.h>  // testing::HasSubstr
#include <gtest/gtest.h>  // TEST, EXPECT_*

#include <cstdlib>     // setenv, unsetenv, getenv
#include <filesystem>  // std::filesystem::create_directories
#include <optional>    // std::optional
#include <string>      // std::string

#include "gptbench/model/hub_cache.h"  // resolve_model_dir, looks_like_hub_id, hub_cache_dir
#include "gptbench/util/error.h"       // Error
#include "../support/error_message.h"  // message_of
#include "../support/temp_dir.h"       // TempDir

namespace gptbench::model {
namespace {

using test_support::message_of;
using test_support::TempDir;
using testing::HasSubstr;

// Sets an environment variable for the scope, restoring the old value after.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() { old_ ? ::setenv(name_, old_->c_str(), 1) : ::unsetenv(name_); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// models--owner--name with two snapshots, refs/main naming the second.
std::filesystem::path fake_cached_model(const TempDir& cache, const std::string& owner, const std::string& name) {
  const std::filesystem::path repo = cache.path() / ("models--" + owner + "--" + name);
  std::filesystem::create_directories(repo / "refs");
  std::filesystem::create_directories(repo / "snapshots" / "0000aaaa");
  std::filesystem::create_directories(repo / "snapshots" / "1111bbbb");
  cache.write("models--" + owner + "--" + name + "/refs/main", "1111bbbb\n");
  cache.write("models--" + owner + "--" + name + "/snapshots/1111bbbb/config.json", "{}");
  return repo / "snapshots" / "1111bbbb";
}

TEST(HubCache, HubIdsAreOwnerSlashName) {
  EXPECT_TRUE(looks_like_hub_id("openai-community/gpt2"));
  EXPECT_TRUE(looks_like_hub_id("distilbert/distilgpt2"));
  EXPECT_TRUE(looks_like_hub_id("a_b/c.d-1"));
  for (const char* path : {"gpt2", "./gpt2", "/abs/path", "models/gpt2/x", "a/..", "../x", "a/", "/a", "a b/c", ""})
    EXPECT_FALSE(looks_like_hub_id(path)) << path;
}

TEST(HubCache, ResolvesTheSnapshotThatRefsMainNames) {
  TempDir cache;
  const std::filesystem::path snapshot = fake_cached_model(cache, "openai-community", "gpt2");
  ScopedEnv hub("HF_HUB_CACHE", cache.path().string());
  EXPECT_EQ(hub_cache_dir(), cache.path());
  EXPECT_EQ(resolve_model_dir("openai-community/gpt2", "--model"), snapshot.string());
  // Without refs/main, the one snapshot there is taken; two are ambiguous.
  std::filesystem::remove(cache.path() / "models--openai-community--gpt2" / "refs" / "main");
  EXPECT_THAT(message_of<Error>([] { resolve_model_dir("openai-community/gpt2", "--model"); }),
              HasSubstr("no snapshot that refs/main names"));
  std::filesystem::remove(cache.path() / "models--openai-community--gpt2" / "snapshots" / "0000aaaa");  // empty
  EXPECT_EQ(resolve_model_dir("openai-community/gpt2", "--model"), snapshot.string());
}

TEST(HubCache, HfHomeHoldsTheCacheUnderHub) {
  TempDir home;
  std::filesystem::create_directories(home.path() / "hub");
  ScopedEnv no_hub("HF_HUB_CACHE", "");
  ScopedEnv hf_home("HF_HOME", home.path().string());
  EXPECT_EQ(hub_cache_dir(), home.path() / "hub");
}

TEST(HubCache, ExistingPathsAndNonIdsPassThrough) {
  TempDir cache;
  ScopedEnv hub("HF_HUB_CACHE", cache.path().string());
  std::filesystem::create_directories(cache.path() / "owner" / "local");
  const std::string local = (cache.path() / "owner" / "local").string();
  EXPECT_EQ(resolve_model_dir(local, "--model"), local);
  EXPECT_EQ(resolve_model_dir("no/such/folder", "--model"), "no/such/folder");  // the loader says it is missing
}

TEST(HubCache, AMissingModelSaysWhereItLookedAndHowToDownload) {
  TempDir cache;
  ScopedEnv hub("HF_HUB_CACHE", cache.path().string());
  const std::string message = message_of<Error>([] { resolve_model_dir("openai-community/gpt2-xl", "--model"); });
  EXPECT_THAT(message, HasSubstr("--model openai-community/gpt2-xl: no such folder, and not in the Hugging Face cache"));
  EXPECT_THAT(message, HasSubstr((cache.path() / "models--openai-community--gpt2-xl").string()));
  EXPECT_THAT(message, HasSubstr("hf download openai-community/gpt2-xl config.json model.safetensors"));
  // A partial download: the snapshot is there, config.json is not.
  fake_cached_model(cache, "o", "m");
  std::filesystem::remove(cache.path() / "models--o--m" / "snapshots" / "1111bbbb" / "config.json");
  EXPECT_THAT(message_of<Error>([] { resolve_model_dir("o/m", "--model"); }), HasSubstr("has no config.json"));
}

}  // namespace
}  // namespace gptbench::model
