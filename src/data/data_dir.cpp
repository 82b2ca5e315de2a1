// The default shared data folder.
#include "gptbench/data/data_dir.h"

#include <fmt/format.h>  // fmt::format

#include <cstdlib>       // std::getenv
#include <system_error>  // std::error_code

#include "gptbench/util/error.h"  // Error

namespace gptbench::data {

std::string default_data_dir() {
  const char* env = std::getenv("GPTBENCH_DATA_DIR");
  return env != nullptr && *env != '\0' ? env : "../shared/data";
}

std::string fetch_command(DataGroup group, const std::string& data_dir) {
  const char* name = group == DataGroup::kNewsSummary    ? "news_summary"
                     : group == DataGroup::kWikitext2     ? "wikitext2"
                     : group == DataGroup::kGpt2Tokenizer ? "gpt2_tokenizer"
                                                          : "cnn_dailymail";
  return fmt::format("scripts/get_data.sh --only {} --data-dir {}", name, data_dir);
}

std::filesystem::path wikitext2_test_path(const std::string& data_dir) {
  return std::filesystem::path(data_dir) / "wikitext2_raw" / "wiki.test.raw";
}

void require_data_file(const std::filesystem::path& path, const std::string& what, DataGroup group,
                       const std::string& data_dir) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) return;
  throw Error(fmt::format("{}: no such file ({}); fetch it with: {} (data/README.md)", path.string(), what,
                          fetch_command(group, data_dir)));
}

}  // namespace gptbench::data
