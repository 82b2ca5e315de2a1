// bench_tokenizer: single-thread GPT-2 tokenizer throughput on a whole dataset.
//   bench_tokenizer --csv news_summary.csv   every field of every row, decoded as the dataset reader does
//   bench_tokenizer --text FILE              the file as one string
// Options: --tokenizer DIR (default $GPTBENCH_DATA_DIR/gpt2_tokenizer, else the configured data dir),
// --repeats N (default 5). The first pass runs with a cold piece cache and is reported apart; the
// figure is the median of the N passes after it (steady clock). MB = 10^6 bytes of UTF-8 input.
#include <fmt/format.h>  // fmt::format, fmt::print

#include <algorithm>   // std::sort
#include <chrono>      // std::chrono::steady_clock
#include <cstdlib>     // std::getenv
#include <exception>   // std::exception
#include <filesystem>  // std::filesystem::path
#include <fstream>     // std::ifstream
#include <iterator>    // std::istreambuf_iterator
#include <string>      // std::string
#include <vector>      // std::vector

#include "gptbench/data/csv_reader.h"      // read_csv
#include "gptbench/data/text_decoding.h"   // decode_mixed_text
#include "gptbench/text/gpt2_tokenizer.h"  // Gpt2Tokenizer
#include "gptbench/util/check.h"           // GPTBENCH_CHECK
#include "gptbench/util/error.h"           // gptbench::UsageError
#include "gptbench/util/tool_main.h"  // tool_main

namespace {

using Clock = std::chrono::steady_clock;

struct Pass {
  double seconds;
  std::size_t tokens;
};

Pass encode_all(const gptbench::text::Gpt2Tokenizer& tokenizer, const std::vector<std::string>& texts) {
  const auto start = Clock::now();
  std::size_t tokens = 0;
  for (const auto& t : texts) tokens += tokenizer.encode(t).size();
  return {std::chrono::duration<double>(Clock::now() - start).count(), tokens};
}

int run(int argc, char** argv) {
  std::string csv, text_file, tokenizer_dir;
  int repeats = 5;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) throw gptbench::UsageError(fmt::format("flag {} needs a value", flag));
    const std::string value = argv[++i];
    if (flag == "--csv") csv = value;
    else if (flag == "--text") text_file = value;
    else if (flag == "--tokenizer") tokenizer_dir = value;
    else if (flag == "--repeats") repeats = std::stoi(value);
    else throw gptbench::UsageError(fmt::format("unknown flag {}", flag));
  }
  if (csv.empty() == text_file.empty()) throw gptbench::UsageError("give exactly one of --csv FILE or --text FILE");
  if (repeats < 1) throw gptbench::UsageError("--repeats must be at least 1");
  if (tokenizer_dir.empty()) {
    const char* env = std::getenv("GPTBENCH_DATA_DIR");
    tokenizer_dir = (std::filesystem::path(env ? env : GPTBENCH_DATA_DIR) / "gpt2_tokenizer").string();
  }
  const auto tokenizer = gptbench::text::Gpt2Tokenizer::from_dir(tokenizer_dir);

  std::vector<std::string> texts;
  if (!csv.empty()) {
    const auto table = gptbench::data::read_csv(csv);
    for (const auto& row : table.rows) {
      for (const auto& field : row.fields) texts.push_back(gptbench::data::decode_mixed_text(field).text);
    }
  } else {
    std::ifstream in(text_file, std::ios::binary);
    GPTBENCH_CHECK(in.good(), "cannot open {}", text_file);
    texts.emplace_back((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
  std::size_t bytes = 0;
  for (const auto& t : texts) bytes += t.size();
  const double mb = static_cast<double>(bytes) / 1e6;

  const Pass cold = encode_all(tokenizer, texts);
  std::vector<double> seconds;
  for (int r = 0; r < repeats; ++r) {
    const Pass p = encode_all(tokenizer, texts);
    GPTBENCH_CHECK(p.tokens == cold.tokens, "token count changed between passes ({} vs {})", p.tokens, cold.tokens);
    seconds.push_back(p.seconds);
  }
  std::vector<double> sorted = seconds;
  std::sort(sorted.begin(), sorted.end());
  const double median = sorted[sorted.size() / 2];
  const std::string input = csv.empty() ? text_file : csv;
  fmt::print("bench_tokenizer: {} ({} texts): {:.2f} MB, {} tokens, median {:.3f} s over {} passes = {:.2f} MB/s "
             "({:.2f} M tokens/s); cold first pass {:.3f} s = {:.2f} MB/s\n",
             input, texts.size(), mb, cold.tokens, median, repeats, mb / median, cold.tokens / median / 1e6,
             cold.seconds, mb / cold.seconds);
  fmt::print("{{\"bench\": \"tokenizer\", \"input\": \"{}\", \"texts\": {}, \"mb\": {:.4f}, \"tokens\": {}, "
             "\"repeats\": {}, \"seconds_median\": {:.6f}, \"mb_per_s\": {:.3f}, \"cold_seconds\": {:.6f}, "
             "\"cold_mb_per_s\": {:.3f}, \"threads\": 1}}\n",
             input, texts.size(), mb, cold.tokens, repeats, median, mb / median, cold.seconds, mb / cold.seconds);
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return gptbench::tool_main("bench_tokenizer", argc, argv, run); }
