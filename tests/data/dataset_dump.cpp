// dataset_dump: loads a dataset with load_dataset and writes it as JSONL for
// scripts/oracles/dataset_oracle.py: a first line {"dataset", "path", "stats"}, then one line per
// selected sample {"id", "line", "source", "reference"}, plus {"prompt_ids", "source_tokens",
// "source_tokens_kept", "truncated"} when --tokenizer is given (build_prompt on every sample).
//
// usage: dataset_dump --dataset NAME [--data PATH] [--data-dir DIR] [--split S] [--split-seed N]
//                     [--limit N] [--tokenizer DIR [--context N] [--max-new-tokens N]
//                     [--template T]] --out FILE
// Exit status 2 on a UsageError, 1 on any other gptbench::Error; the message goes to stderr.
#include <cstdio>   // std::fprintf
#include <fstream>  // std::ofstream
#include <map>      // std::map, for the flags
#include <optional>  // std::optional
#include <string>   // std::string

#include <nlohmann/json.hpp>  // nlohmann::json

#include "gptbench/data/dataset.h"         // load_dataset, to_json
#include "gptbench/data/prompt.h"          // build_prompt
#include "gptbench/text/gpt2_tokenizer.h"  // Gpt2Tokenizer
#include "gptbench/util/check.h"           // GPTBENCH_CHECK
#include "gptbench/util/error.h"           // Error, UsageError, exit codes
#include "gptbench/util/tool_main.h"  // tool_main

namespace {

using namespace gptbench;

int run(int argc, char** argv) {
  std::map<std::string, std::string> flags;
  for (int i = 1; i < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag.rfind("--", 0) != 0 || i + 1 >= argc) throw UsageError("dataset_dump: bad argument " + flag);
    flags[flag.substr(2)] = argv[i + 1];
  }
  const auto get = [&](const std::string& name, const std::string& fallback) {
    const auto it = flags.find(name);
    return it == flags.end() ? fallback : it->second;
  };
  GPTBENCH_CHECK(flags.count("out") && flags.count("dataset"), "dataset_dump: --dataset and --out are required");

  data::DatasetOptions options;
  options.kind = parse_enum(data::kDatasetNames, "--dataset", flags["dataset"]);
  options.path = get("data", "");
  options.data_dir = get("data-dir", "");
  options.split = data::parse_split(get("split", "test"));
  options.split_seed = std::stoull(get("split-seed", "0"));
  if (flags.count("limit")) options.limit = std::stoll(flags["limit"]);
  const data::Dataset dataset = data::load_dataset(options);

  std::ofstream out(flags["out"], std::ios::binary);
  GPTBENCH_CHECK(out.good(), "dataset_dump: cannot write {}", flags["out"]);
  out << nlohmann::json{{"dataset", dataset.name}, {"path", dataset.path}, {"stats", data::to_json(dataset.stats)}}
             .dump()
      << "\n";

  std::optional<text::Gpt2Tokenizer> tokenizer;
  data::PromptOptions prompt_options;
  if (flags.count("tokenizer")) {
    tokenizer = text::Gpt2Tokenizer::from_dir(flags["tokenizer"]);
    prompt_options.context = std::stoll(get("context", "1024"));
    prompt_options.max_new_tokens = std::stoll(get("max-new-tokens", "64"));
    prompt_options.templ = get("template", prompt_options.templ);
  }
  for (const data::Sample& s : dataset.samples) {
    nlohmann::json record{{"id", s.id}, {"line", s.line}, {"source", s.source}, {"reference", s.reference}};
    if (tokenizer) {
      const data::Prompt p = data::build_prompt(s.source, *tokenizer, prompt_options);
      record["prompt_ids"] = p.ids;
      record["source_tokens"] = p.source_tokens;
      record["source_tokens_kept"] = p.source_tokens_kept;
      record["truncated"] = p.truncated;
    }
    out << record.dump() << "\n";
  }
  GPTBENCH_CHECK(out.good(), "dataset_dump: write error on {}", flags["out"]);
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) { return gptbench::tool_main("dataset_dump", argc, argv, run); }
