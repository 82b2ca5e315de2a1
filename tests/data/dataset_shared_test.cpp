// load_dataset on the shared data: counts that PROVENANCE.md and pandas give (news_summary: 4,514
// rows, 118 empty ctext, 55 duplicate non-empty ctext; cnn_dailymail: 4,490 test and 4,368
// validation rows), default paths under the data folder, the per-split-file rule, and the two
// xz decoders agreeing on the real files. dataset_oracle.py compares every sample.
#include <gmock/gmock.h>  // testing::HasSubstr
#include <gtest/gtest.h>  // TEST, EXPECT_*

#include <cstdio>      // std::printf
#include <filesystem>  // std::filesystem::path
#include <set>         // std::set
#include <string>      // std::string

#include "gptbench/data/dataset.h"     // load_dataset
#include "gptbench/data/file_bytes.h"  // read_file_bytes
#include "gptbench/text/utf8.h"        // is_valid_utf8
#include "gptbench/util/error.h"       // UsageError

namespace gptbench::data {
namespace {

using testing::HasSubstr;

DatasetOptions shared(const std::string& name, Split split) {
  DatasetOptions o;
  o.kind = parse_enum(kDatasetNames, "--dataset", name);
  o.data_dir = GPTBENCH_DATA_DIR;
  o.split = split;
  return o;
}

TEST(SharedNewsSummary, CountsMatchPandas) {
  const Dataset all = load_dataset(shared("news_summary", Split::kAll));
  EXPECT_EQ(all.path, (std::filesystem::path(GPTBENCH_DATA_DIR) / "news_summary" / "news_summary.csv").string());
  EXPECT_EQ(all.stats.rows_read, 4514);
  EXPECT_EQ(all.stats.skipped_empty, 118);
  EXPECT_EQ(all.stats.duplicates_removed, 55);  // pandas: df.ctext.dropna().duplicated().sum()
  EXPECT_EQ(all.samples.size(), 4514u - 118u - 55u);
  std::set<std::string> ids;
  for (const auto& s : all.samples) {
    ASSERT_TRUE(text::is_valid_utf8(s.source) && text::is_valid_utf8(s.reference)) << s.line;
    EXPECT_EQ(s.id.size(), 19u);
    ids.insert(s.id);
  }
  EXPECT_EQ(ids.size(), all.samples.size());

  std::size_t parts = 0;
  for (const Split split : {Split::kTrain, Split::kValidation, Split::kTest}) {
    const Dataset d = load_dataset(shared("news_summary", split));
    parts += d.samples.size();
    for (const auto& s : d.samples) EXPECT_EQ(ids.count(s.id), 1u);
    std::printf("news_summary %s: %zu\n", split_name(split).c_str(), d.samples.size());
  }
  EXPECT_EQ(parts, all.samples.size());
}

TEST(SharedCnnDailymail, PerSplitFilesAndProvenanceCounts) {
  const Dataset test = load_dataset(shared("cnn_dailymail", Split::kTest));
  EXPECT_THAT(test.path, HasSubstr("see2017_tok_lower/test.partial.jsonl.xz"));
  EXPECT_EQ(test.samples.size(), 4490u);
  // PROVENANCE.md: test row 1 (the Palestinian ICC story) has id f001ec5c...
  EXPECT_EQ(test.samples[1].id, "f001ec5c4704938247d27a44948eebb37ae98d01");
  EXPECT_NE(test.samples[0].reference.find('\n'), std::string::npos);  // highlights joined by "\n"
  const Dataset validation = load_dataset(shared("cnn_dailymail", Split::kValidation));
  EXPECT_EQ(validation.samples.size(), 4368u);

  DatasetOptions o = shared("cnn_dailymail", Split::kTrain);
  o.path = test.path;
  EXPECT_THAT([&] { (void)load_dataset(o); },
              testing::ThrowsMessage<UsageError>(HasSubstr("is the test split (its name says so)")));
  o.split = Split::kAll;
  o.limit = 10;
  EXPECT_EQ(load_dataset(o).samples.size(), 10u);
}

TEST(SharedCnnDailymail, BothXzDecodersAgree) {
  const auto file = std::filesystem::path(GPTBENCH_DATA_DIR) / "cnn_dailymail" / "see2017_tok_lower" /
                    "validation.partial.jsonl.xz";
  const std::string by_program = read_file_bytes(file, XzDecoder::kProgram);
  EXPECT_EQ(by_program.size(), 17887239u);  // PROVENANCE.md: decompressed size
  if (have_liblzma()) {
    EXPECT_EQ(read_file_bytes(file, XzDecoder::kLibrary), by_program);
  } else {
    std::printf("this build reads xz with the xz program only (no liblzma)\n");
  }
}

}  // namespace
}  // namespace gptbench::data
