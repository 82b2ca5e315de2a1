#include "gptbench/data/prompt.h"  // this file's declarations

#include <fmt/format.h>  // fmt::format

#include <algorithm>    // std::min
#include <string_view>  // std::string_view

#include "gptbench/util/check.h"  // GPTBENCH_CHECK
#include "gptbench/util/error.h"  // gptbench::UsageError

namespace gptbench::data {
namespace {

constexpr std::string_view kSourceSlot = "{source}";
constexpr std::string_view kReferenceSlot = "{reference}";

void usage_check(bool ok, const std::string& message) {
  if (!ok) throw UsageError(message);
}

}  // namespace

Prompt build_prompt(const std::string& source, const text::Tokenizer& tokenizer, const PromptOptions& options) {
  const std::string& templ = options.templ;
  const std::size_t slot = templ.find(kSourceSlot);
  usage_check(slot != std::string::npos, "--prompt-template must contain {source}");
  usage_check(templ.find(kSourceSlot, slot + kSourceSlot.size()) == std::string::npos,
              "--prompt-template must contain {source} exactly once");
  // The reference is the answer being scored: a prompt that shows it would measure nothing.
  usage_check(templ.find(kReferenceSlot) == std::string::npos,
              "--prompt-template must not contain {reference} (the prompt would show the answer)");
  usage_check(options.context >= 1, fmt::format("model context must be at least 1, got {}", options.context));
  usage_check(options.max_new_tokens >= 0,
              fmt::format("--max-new-tokens must not be negative, got {}", options.max_new_tokens));

  const std::vector<int32_t> prefix = tokenizer.prompt_ids(std::string_view(templ).substr(0, slot));  // BOS first if any
  const std::vector<int32_t> suffix = tokenizer.encode(std::string_view(templ).substr(slot + kSourceSlot.size()));
  const std::vector<int32_t> body = tokenizer.encode(source, text::SpecialTokens::kAsText);

  const int64_t fixed = static_cast<int64_t>(prefix.size() + suffix.size());
  const int64_t room = options.context - options.max_new_tokens - fixed;
  usage_check(room >= 0, fmt::format("--prompt-template ({} tokens without the source) and --max-new-tokens {} "
                                     "do not fit in the model context of {} tokens",
                                     fixed, options.max_new_tokens, options.context));
  Prompt prompt;
  prompt.source_tokens = static_cast<int64_t>(body.size());
  prompt.source_tokens_kept = std::min(prompt.source_tokens, room);
  prompt.truncated = prompt.source_tokens_kept < prompt.source_tokens;
  prompt.ids.reserve(static_cast<std::size_t>(fixed + prompt.source_tokens_kept));
  prompt.ids.insert(prompt.ids.end(), prefix.begin(), prefix.end());
  prompt.ids.insert(prompt.ids.end(), body.begin(), body.begin() + prompt.source_tokens_kept);
  prompt.ids.insert(prompt.ids.end(), suffix.begin(), suffix.end());
  GPTBENCH_CHECK(!prompt.ids.empty(), "empty prompt: the source and --prompt-template give no tokens");
  return prompt;
}

}  // namespace gptbench::data
