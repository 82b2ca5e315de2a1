// Summarization prompts: a template with one {source} slot, tokenised and fitted into the model's
// context so that the prompt plus the generation budget never exceeds it.
//
// Tokenisation rule: the template part before {source} (prefix), the source and the part after
// (suffix) are encoded SEPARATELY and concatenated: ids = [BOS] ++ enc(prefix) ++ enc(source)[:k] ++
// enc(suffix), with BOS where the tokenizer adds one (Tokenizer::prompt_ids; Llama yes, GPT-2 no). A truncated prompt is then the full prompt with source tokens removed from the
// end of the source part only, never a re-tokenisation: its source ids are a prefix of the full
// source's ids and the template ids are identical in every prompt. (Encoding the joined string
// could merge tokens across the boundaries, e.g. a source ending in a space followed by a
// suffix starting with a letter, and a cut source would then tokenise differently.)
// The template's parts recognise "<|endoftext|>" as the special token (the user wrote it); the
// source never does (dataset text is data).
#pragma once

#include <cstdint>  // int32_t, int64_t
#include <string>   // std::string
#include <vector>   // std::vector

#include "gptbench/text/tokenizer.h"  // text::Tokenizer

namespace gptbench::data {

struct PromptOptions {
  std::string templ = "{source}\nTL;DR:";  // exactly one {source}, no {reference} (UsageError "--prompt-template")
  int64_t context = 1024;                  // model context (n_positions)
  int64_t max_new_tokens = 64;             // room reserved for generation
};

struct Prompt {
  std::vector<int32_t> ids;         // the prompt tokens
  int64_t source_tokens = 0;        // tokens of the full source
  int64_t source_tokens_kept = 0;   // after truncation
  bool truncated = false;
};

// If [BOS] + enc(prefix) + enc(source) + enc(suffix) + max_new_tokens > context, the source ids are cut
// from the end (keeping the beginning) so that the sum equals context exactly. UsageError when
// the template is malformed, when context < 1 or max_new_tokens < 0, or when the template alone
// plus max_new_tokens does not fit (naming --prompt-template and --max-new-tokens); Error when
// the resulting prompt would be empty.
Prompt build_prompt(const std::string& source, const text::Tokenizer& tokenizer, const PromptOptions& options);

}  // namespace gptbench::data
