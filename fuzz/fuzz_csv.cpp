// libFuzzer target: dataset CSV bytes through parse_csv (quotes, BOM, CRLF, ragged rows). It may
// only fail with gptbench::Error, and every accepted row has the header's width.
#include <cstdint>  // uint8_t
#include <cstdio>   // std::fprintf
#include <cstdlib>  // std::abort
#include <string_view>  // std::string_view

#include "fuzz_support.h"                // expect_only_gptbench_errors
#include "gptbench/data/csv_reader.h"    // parse_csv

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  gptbench::fuzz::expect_only_gptbench_errors("fuzz_csv", [&] {
    const gptbench::data::CsvTable table = gptbench::data::parse_csv(text, "fuzz.csv");
    for (const auto& row : table.rows) {
      if (row.fields.size() != table.header.size()) {
        std::fprintf(stderr, "fuzz_csv: a row of another width was accepted\n");
        std::abort();
      }
    }
  });
  return 0;
}
