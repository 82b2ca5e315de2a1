// Where the shared data folder is (the news CSV, the tokenizer, WikiText-2, CNN/DM): the one
// default of every --data-dir flag and "data-dir" sweep setting.
#pragma once

#include <filesystem>  // std::filesystem::path
#include <string>      // std::string

namespace gptbench::data {

// $GPTBENCH_DATA_DIR when set and not empty, else "../shared/data".
std::string default_data_dir();

// What scripts/get_data.sh fetches, one value per name of its --only (data/README.md).
enum class DataGroup { kNewsSummary, kWikitext2, kGpt2Tokenizer, kCnnDailymail };

// The command that fetches `group` into `data_dir`: "scripts/get_data.sh --only wikitext2 --data-dir DIR".
std::string fetch_command(DataGroup group, const std::string& data_dir);

// The WikiText-2 test text of a data folder (run --task perplexity's default --data).
std::filesystem::path wikitext2_test_path(const std::string& data_dir);

// Throws gptbench::Error "FILE: no such file (WHAT); fetch it with: COMMAND" when `path`, a file of the
// data folder `data_dir`, is missing.
void require_data_file(const std::filesystem::path& path, const std::string& what, DataGroup group,
                       const std::string& data_dir);

}  // namespace gptbench::data
