// build_prompt: template parts never cut, the source cut from its end so that prompt + max_new
// equals the context exactly, and the template errors. Expected ids are tiktoken's "gpt2"
// encoding of the same strings (computed with scripts/oracles/tokenizer_oracle.build_oracle);
// dataset_oracle.py checks every prompt of two real splits the same way.
#include <gmock/gmock.h>  // testing::HasSubstr, testing::ThrowsMessage
#include <gtest/gtest.h>  // TEST, EXPECT_*

#include <filesystem>  // std::filesystem::path
#include <string>      // std::string
#include <vector>      // std::vector

#include "gptbench/data/prompt.h"          // build_prompt
#include "gptbench/text/gpt2_tokenizer.h"  // Gpt2Tokenizer
#include "gptbench/util/error.h"           // Error, UsageError

namespace gptbench::data {
namespace {

using Ids = std::vector<int32_t>;
using testing::HasSubstr;

const text::Gpt2Tokenizer& tokenizer() {
  static const text::Gpt2Tokenizer t =
      text::Gpt2Tokenizer::from_dir(std::filesystem::path(GPTBENCH_DATA_DIR) / "gpt2_tokenizer");
  return t;
}

const Ids kTldr = {198, 14990, 26, 7707, 25};  // "\nTL;DR:"
const Ids kArticle = {14906, 25, 220};         // "Article: "
const Ids kSummary = {198, 198, 22093, 25};    // "\n\nSummary:"
constexpr int32_t kOne = 505, kTwo = 734;      // "one", " two"

// "one two two ...": 1 + n tokens.
std::string counted_source(int n) {
  std::string s = "one";
  for (int i = 0; i < n; ++i) s += " two";
  return s;
}

Ids concat(std::initializer_list<Ids> parts) {
  Ids out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

TEST(BuildPrompt, FitsWithoutTruncation) {
  const Prompt p = build_prompt("Hello world", tokenizer(), PromptOptions{});
  EXPECT_EQ(p.ids, concat({{15496, 995}, kTldr}));
  EXPECT_EQ(p.source_tokens, 2);
  EXPECT_EQ(p.source_tokens_kept, 2);
  EXPECT_FALSE(p.truncated);
}

TEST(BuildPrompt, TruncatesTheSourceOnlyAndFillsTheContextExactly) {
  PromptOptions o;
  o.templ = "Article: {source}\n\nSummary:";
  o.context = 128;
  o.max_new_tokens = 16;
  const Prompt p = build_prompt(counted_source(500), tokenizer(), o);
  const int64_t room = 128 - 16 - 3 - 4;
  EXPECT_TRUE(p.truncated);
  EXPECT_EQ(p.source_tokens, 501);
  EXPECT_EQ(p.source_tokens_kept, room);
  EXPECT_EQ(static_cast<int64_t>(p.ids.size()) + o.max_new_tokens, o.context);
  Ids body(static_cast<std::size_t>(room), kTwo);
  body[0] = kOne;  // the beginning of the source is kept
  EXPECT_EQ(p.ids, concat({kArticle, body, kSummary}));
}

TEST(BuildPrompt, ExactBoundary) {
  PromptOptions o;
  o.context = 40;
  o.max_new_tokens = 10;
  const int room = 40 - 10 - 5;
  Prompt p = build_prompt(counted_source(room - 1), tokenizer(), o);  // room tokens: fits exactly
  EXPECT_FALSE(p.truncated);
  EXPECT_EQ(p.ids.size(), 30u);
  p = build_prompt(counted_source(room), tokenizer(), o);  // one too many
  EXPECT_TRUE(p.truncated);
  EXPECT_EQ(p.source_tokens, room + 1);
  EXPECT_EQ(p.source_tokens_kept, room);
  EXPECT_EQ(p.ids.size(), 30u);
  EXPECT_EQ(Ids(p.ids.end() - 5, p.ids.end()), kTldr);
}

TEST(BuildPrompt, CutIsATokenPrefixOfTheFullSource) {
  // Text whose tokens merge across spaces and punctuation; the kept ids must be the first ids of
  // the full source's encoding, never a re-encoding of a cut string.
  const std::string source = "The committee's 2017 report, \"Re-evaluating\" things... isn't final.";
  const Ids full = tokenizer().encode(source, text::SpecialTokens::kAsText);
  PromptOptions o;
  o.templ = "{source}";
  for (int64_t keep = 1; keep < static_cast<int64_t>(full.size()); ++keep) {
    o.context = keep + 3;
    o.max_new_tokens = 3;
    const Prompt p = build_prompt(source, tokenizer(), o);
    EXPECT_EQ(p.ids, Ids(full.begin(), full.begin() + keep)) << keep;
  }
}

TEST(BuildPrompt, SpecialTokenOnlyFromTheTemplate) {
  PromptOptions o;
  o.templ = "{source}<|endoftext|>";
  const Prompt p = build_prompt("<|endoftext|>", tokenizer(), o);
  EXPECT_EQ(p.ids, (Ids{27, 91, 437, 1659, 5239, 91, 29, 50256}));
}

TEST(BuildPrompt, TemplateAloneMustFit) {
  PromptOptions o;
  o.templ = "Article: {source}\n\nSummary:";  // 7 tokens
  o.context = 20;
  o.max_new_tokens = 14;
  EXPECT_THAT([&] { (void)build_prompt("x", tokenizer(), o); },
              testing::ThrowsMessage<UsageError>(AllOf(HasSubstr("--prompt-template (7 tokens without the source)"),
                                                       HasSubstr("--max-new-tokens 14"), HasSubstr("20 tokens"))));
  o.max_new_tokens = 13;  // 7 + 13 = 20: fits, with no room for the source
  const Prompt p = build_prompt("x", tokenizer(), o);
  EXPECT_EQ(p.ids, concat({kArticle, kSummary}));
  EXPECT_TRUE(p.truncated);
  EXPECT_EQ(p.source_tokens_kept, 0);
}

TEST(BuildPrompt, TemplateAndOptionErrors) {
  PromptOptions o;
  const auto usage = [&](const std::string& templ, const std::string& part) {
    o.templ = templ;
    EXPECT_THAT([&] { (void)build_prompt("x", tokenizer(), o); },
                testing::ThrowsMessage<UsageError>(HasSubstr(part)))
        << templ;
  };
  usage("Summarise: {text}", "--prompt-template must contain {source}");
  usage("{source} and again {source}", "--prompt-template must contain {source} exactly once");
  usage("{source}\nReference: {reference}", "--prompt-template must not contain {reference}");
  o.templ = "{source}";
  o.max_new_tokens = -1;
  EXPECT_THAT([&] { (void)build_prompt("x", tokenizer(), o); },
              testing::ThrowsMessage<UsageError>(HasSubstr("--max-new-tokens must not be negative")));
  o.max_new_tokens = 0;
  o.context = 0;
  EXPECT_THAT([&] { (void)build_prompt("x", tokenizer(), o); },
              testing::ThrowsMessage<UsageError>(HasSubstr("context must be at least 1")));
  o.context = 16;
  EXPECT_THAT([&] { (void)build_prompt("", tokenizer(), o); },
              testing::ThrowsMessage<Error>(HasSubstr("empty prompt")));
}

}  // namespace
}  // namespace gptbench::data
