// load_dataset on small hand-written files: news_summary CSV rules (decoding, trimming, empty rows,
// duplicates, content ids, multi-line fields), jsonl and cnn_dailymail layouts, xz files, path
// resolution, per-split files, --limit, and the one-line errors naming file and line.
// Expected ids are "ns-" + FNV-1a 64 hex computed by the Python implementation in
// scripts/oracles/dataset_oracle.py.
#include <gmock/gmock.h>  // testing::HasSubstr, testing::ThrowsMessage
#include <gtest/gtest.h>  // TEST, EXPECT_*

#include <cstdlib>     // std::system, setenv, getenv
#include <filesystem>  // std::filesystem
#include <fstream>     // std::ifstream
#include <iterator>    // std::istreambuf_iterator
#include <string>      // std::string

#include "gptbench/data/data_dir.h"    // require_data_file, DataGroup
#include "gptbench/data/dataset.h"     // load_dataset
#include "gptbench/data/file_bytes.h"  // read_file_bytes, XzDecoder
#include "gptbench/text/utf8.h"        // is_valid_utf8
#include "gptbench/util/error.h"       // Error, UsageError
#include "../support/temp_dir.h"     // TempDir

namespace gptbench::data {
namespace {

using testing::HasSubstr;
using test_support::TempDir;

// The message of the gptbench::Error that f throws, and whether it was a UsageError.
template <typename F>
std::string error_of(F&& f, bool* usage = nullptr) {
  try {
    f();
  } catch (const UsageError& e) {
    if (usage) *usage = true;
    return e.what();
  } catch (const Error& e) {
    if (usage) *usage = false;
    return e.what();
  }
  return "(no error)";
}

DatasetOptions options_for(const std::string& name, const std::filesystem::path& path, Split split = Split::kAll) {
  DatasetOptions o;
  o.kind = parse_enum(kDatasetNames, "--dataset", name);
  o.path = path.string();
  o.split = split;
  return o;
}

// Six rows: plain, empty ctext, white-space-only ctext (an NBSP byte among spaces), a multi-line
// quoted ctext, a duplicate of the first after trimming, and Windows-1252 quotes next to UTF-8.
const std::string kNewsCsv =
    "author,date,headlines,read_more,text,ctext\n"
    "a,\"01 Jan 2017,Sunday\",h1,u1 ,Summary one.,Alpha article.\n"
    "b,\"01 Jan 2017,Sunday\",h2,u2 ,Summary two.,\n"
    "c,\"01 Jan 2017,Sunday\",h3,u3 ,Summary three., \xa0 \n"
    "d,\"01 Jan 2017,Sunday\",h4,u4 ,Summary four.,\"Second story\nwith two lines.\"\n"
    "e,\"01 Jan 2017,Sunday\",h5,u5 ,Summary five.,  Alpha article.\n"
    "f,\"01 Jan 2017,Sunday\",h6,u6 ,\x93Quoted\x94 summary,\x93Quoted\x94 text \x96 caf\xc3\xa9.\n";

TEST(NewsSummaryReader, SkipsDeduplicatesDecodesAndHashes) {
  TempDir dir;
  const auto file = dir.write("news.csv", kNewsCsv);
  const Dataset d = load_dataset(options_for("news_summary", file));
  ASSERT_EQ(d.samples.size(), 3u);
  EXPECT_EQ(d.samples[0].id, "ns-c0b755983cc2bf21");
  EXPECT_EQ(d.samples[0].source, "Alpha article.");
  EXPECT_EQ(d.samples[0].reference, "Summary one.");
  EXPECT_EQ(d.samples[0].line, 2);
  EXPECT_EQ(d.samples[1].id, "ns-3e2a8b0d4e92ad2f");
  EXPECT_EQ(d.samples[1].source, "Second story\nwith two lines.");
  EXPECT_EQ(d.samples[1].line, 5);
  EXPECT_EQ(d.samples[2].id, "ns-bed3ad14600e370a");
  EXPECT_EQ(d.samples[2].source, "\u201cQuoted\u201d text \u2013 caf\u00e9.");  // “Quoted” text – café.
  EXPECT_EQ(d.samples[2].reference, "\u201cQuoted\u201d summary");
  EXPECT_EQ(d.samples[2].line, 8);
  EXPECT_EQ(d.stats.rows_read, 6);
  EXPECT_EQ(d.stats.skipped_empty, 2);
  EXPECT_EQ(d.stats.duplicates_removed, 1);
  EXPECT_EQ(d.stats.in_split, 3);
  EXPECT_EQ(d.stats.selected, 3);
  // 12 fields: 9 ASCII, 3 with Windows-1252 bytes (NBSP; “ ” –; “ ”) = 6 bytes.
  EXPECT_THAT(d.stats.decoding, HasSubstr("9 ascii, 0 utf-8, 3 with cp1252 bytes (6 bytes)"));
  EXPECT_EQ(d.stats.split_rule, "all: every row");
  EXPECT_EQ(d.path, file.string());
  for (const auto& s : d.samples) EXPECT_TRUE(text::is_valid_utf8(s.source) && text::is_valid_utf8(s.reference));
}

TEST(NewsSummaryReader, StatsToJson) {
  TempDir dir;
  const Dataset d = load_dataset(options_for("news_summary", dir.write("news.csv", kNewsCsv)));
  const nlohmann::json j = to_json(d.stats);
  EXPECT_EQ(j.at("rows_read"), 6);
  EXPECT_EQ(j.at("skipped_empty"), 2);
  EXPECT_EQ(j.at("duplicates_removed"), 1);
  EXPECT_EQ(j.at("in_split"), 3);
  EXPECT_EQ(j.at("selected"), 3);
  EXPECT_EQ(j.at("split_rule"), "all: every row");
  EXPECT_EQ(j.at("decoding"), d.stats.decoding);
  EXPECT_EQ(j.size(), 7u);
}

TEST(NewsSummaryReader, MissingColumnNamesFileAndColumn) {
  TempDir dir;
  const auto file = dir.write("news.csv", "author,text,content\nx,y,z\n");
  EXPECT_THAT(error_of([&] { load_dataset(options_for("news_summary", file)); }),
              HasSubstr(file.string() + ": no column named 'ctext'"));
  const auto bad = dir.write("bad.csv", "text,ctext\n\"a,b\n");
  EXPECT_THAT(error_of([&] { load_dataset(options_for("news_summary", bad)); }),
              HasSubstr("bad.csv:2: unterminated quoted field"));
}

TEST(NewsSummaryReader, DefaultPathAndFolder) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() / "news_summary");
  const auto file = dir.write("news_summary/news_summary.csv", kNewsCsv);
  DatasetOptions o;  // name news_summary, no path
  o.data_dir = dir.path().string();
  o.split = Split::kAll;
  EXPECT_EQ(load_dataset(o).path, file.string());
  EXPECT_EQ(load_dataset(options_for("news_summary", dir.path() / "news_summary")).path, file.string());

  bool usage = false;
  o.data_dir.clear();
  EXPECT_THAT(error_of([&] { load_dataset(o); }, &usage), HasSubstr("--data-dir"));
  EXPECT_TRUE(usage);
  o.data_dir = (dir.path() / "nowhere").string();
  EXPECT_THAT(error_of([&] { load_dataset(o); }, &usage), HasSubstr("data folder " + o.data_dir + " does not exist"));
  EXPECT_FALSE(usage);
  EXPECT_THAT(error_of([&] { load_dataset(options_for("news_summary", dir.path() / "x.csv")); }),
              HasSubstr("x.csv: no such file"));
}

// A file missing from the data folder: the error names the file and the command that fetches it
// (data_dir.h, one place for every dataset); a file the user named gets no fetch hint.
TEST(NewsSummaryReader, MissingDefaultFileNamesTheFetchCommand) {
  TempDir dir;
  DatasetOptions o;  // news_summary under the data folder
  o.data_dir = dir.path().string();
  const std::string news = error_of([&] { load_dataset(o); });
  EXPECT_THAT(news, HasSubstr((dir.path() / "news_summary" / "news_summary.csv").string() + ": no such file"));
  EXPECT_THAT(news, HasSubstr("scripts/get_data.sh --only news_summary --data-dir " + o.data_dir));
  o.kind = DatasetKind::kCnnDailymail;
  EXPECT_THAT(error_of([&] { load_dataset(o); }),
              HasSubstr("scripts/get_data.sh --only cnn_dailymail --data-dir " + o.data_dir));
  EXPECT_THAT(error_of([&] { require_data_file(dir.path() / "wikitext2_raw" / "wiki.test.raw", "WikiText-2",
                                               DataGroup::kWikitext2, o.data_dir); }),
              HasSubstr("wiki.test.raw: no such file (WikiText-2); fetch it with: scripts/get_data.sh --only "
                        "wikitext2 --data-dir " + o.data_dir));
  EXPECT_THAT(error_of([&] { load_dataset(options_for("news_summary", dir.path() / "x.csv")); }),
              testing::Not(HasSubstr("get_data.sh")));
  o.data_dir = (dir.path() / "nowhere").string();
  EXPECT_THAT(error_of([&] { load_dataset(o); }), HasSubstr("scripts/get_data.sh --data-dir " + o.data_dir));
}

const std::string kJsonl =
    "{\"id\": \"a\", \"source\": \" Text A \", \"reference\": \"Ref A\"}\n"
    "\n"
    "{\"source\": \"Text B\", \"reference\": \"Ref B\\nsecond\", \"extra\": 1}\r\n"
    "{\"source\": \"\\u00a0\", \"reference\": \"x\"}\n"
    "{\"source\": \"caf\\u00e9 <|endoftext|>\", \"reference\": \"\\u201cr\\u201d\"}";

TEST(JsonlReader, IdsLinesTrimmingAndEmptyRows) {
  TempDir dir;
  const Dataset d = load_dataset(options_for("jsonl", dir.write("mine.jsonl", kJsonl)));
  ASSERT_EQ(d.samples.size(), 3u);
  EXPECT_EQ(d.samples[0].id, "a");
  EXPECT_EQ(d.samples[0].source, "Text A");
  EXPECT_EQ(d.samples[0].line, 1);
  EXPECT_EQ(d.samples[1].id, "line-3");
  EXPECT_EQ(d.samples[1].reference, "Ref B\nsecond");
  EXPECT_EQ(d.samples[1].line, 3);
  EXPECT_EQ(d.samples[2].id, "line-5");
  EXPECT_EQ(d.samples[2].source, "caf\xc3\xa9 <|endoftext|>");
  EXPECT_EQ(d.samples[2].reference, "\xe2\x80\x9cr\xe2\x80\x9d");
  EXPECT_EQ(d.stats.rows_read, 4);
  EXPECT_EQ(d.stats.skipped_empty, 1);
  EXPECT_EQ(d.stats.duplicates_removed, 0);
}

TEST(JsonlReader, ErrorsNameFileAndLine) {
  TempDir dir;
  const auto err = [&](const std::string& content) {
    return error_of([&] { load_dataset(options_for("jsonl", dir.write("bad.jsonl", content))); });
  };
  const std::string ok = "{\"source\": \"s\", \"reference\": \"r\"}\n";
  EXPECT_THAT(err(ok + "{\"source\": \"x\" \"reference\"}\n"), HasSubstr("bad.jsonl:2: invalid JSON"));
  EXPECT_THAT(err(ok + ok + "{\"source\": \"x\"}\n"), HasSubstr("bad.jsonl:3: field 'reference' is missing"));
  EXPECT_THAT(err("{\"source\": 5, \"reference\": \"r\"}\n"),
              HasSubstr("bad.jsonl:1: field 'source' must be a string, found number"));
  EXPECT_THAT(err("{\"source\": \"s\", \"reference\": null}\n"),
              HasSubstr("bad.jsonl:1: field 'reference' must be a string, found null"));
  EXPECT_THAT(err("{\"id\": 7, \"source\": \"s\", \"reference\": \"r\"}\n"),
              HasSubstr("bad.jsonl:1: field 'id' must be a string, found number"));
  EXPECT_THAT(err("[1, 2]\n"), HasSubstr("bad.jsonl:1: expected a JSON object, found array"));
  EXPECT_THAT(err("{\"id\": \"x\", \"source\": \"s\", \"reference\": \"r\"}\n" + ok +
                  "{\"id\": \"x\", \"source\": \"t\", \"reference\": \"r\"}\n"),
              HasSubstr("bad.jsonl:3: id 'x' repeats the id of line 1"));
  EXPECT_THAT(err("{\"id\": \"\", \"source\": \"s\", \"reference\": \"r\"}\n"), HasSubstr("bad.jsonl:1: empty id"));
  // Invalid UTF-8 never reaches a Sample, and the message itself stays valid UTF-8.
  const std::string invalid = err(ok + "{\"source\": \"caf\xe9\", \"reference\": \"r\"}\n");
  EXPECT_THAT(invalid, HasSubstr("bad.jsonl:2: invalid JSON"));
  EXPECT_TRUE(text::is_valid_utf8(invalid)) << invalid;
  EXPECT_THAT(err("{\"source\": \"\\ud800\", \"reference\": \"r\"}\n"), HasSubstr("bad.jsonl:1: invalid JSON"));
  EXPECT_THAT(err("\n\n"), HasSubstr("no samples in split all of"));
}

TEST(DatasetOptionsCheck, NameLimitAndPathErrors) {
  TempDir dir;
  const auto file = dir.write("test.jsonl", kJsonl);
  bool usage = false;
  EXPECT_THAT(error_of([&] { options_for("xsum", file); }, &usage),
              HasSubstr("--dataset: unknown value \"xsum\" (news_summary, cnn_dailymail, jsonl)"));
  EXPECT_TRUE(usage);
  auto o = options_for("jsonl", file);
  o.limit = 0;
  EXPECT_THAT(error_of([&] { load_dataset(o); }, &usage), HasSubstr("--limit must be at least 1, got 0"));
  EXPECT_TRUE(usage);
  o.limit = -3;
  EXPECT_THAT(error_of([&] { load_dataset(o); }, &usage), HasSubstr("--limit"));
  o = options_for("jsonl", "");
  EXPECT_THAT(error_of([&] { load_dataset(o); }, &usage), HasSubstr("--dataset jsonl needs a file"));
  EXPECT_TRUE(usage);
  o = options_for("jsonl", dir.path());
  EXPECT_THAT(error_of([&] { load_dataset(o); }, &usage), HasSubstr("is a folder"));
}

std::string numbered_jsonl(int n) {
  std::string out;
  for (int i = 0; i < n; ++i) {
    out += "{\"id\": \"doc-" + std::to_string(i) + "\", \"source\": \"s" + std::to_string(i) +
           "\", \"reference\": \"r\"}\n";
  }
  return out;
}

TEST(DatasetSelection, PerSplitFileIsItsSplit) {
  TempDir dir;
  const auto file = dir.write("test.jsonl", numbered_jsonl(10));
  auto o = options_for("jsonl", file, Split::kTest);
  Dataset d = load_dataset(o);
  EXPECT_EQ(d.samples.size(), 10u);  // hashing would keep about one of ten
  EXPECT_THAT(d.stats.split_rule, HasSubstr("test.jsonl is the test split by its name"));
  o.split = Split::kAll;
  EXPECT_EQ(load_dataset(o).samples.size(), 10u);
  o.split = Split::kTrain;
  bool usage = false;
  EXPECT_THAT(error_of([&] { load_dataset(o); }, &usage),
              HasSubstr("--split train: " + file.string() + " is the test split (its name says so); use --split test "
                        "or --split all"));
  EXPECT_TRUE(usage);
  const auto val = dir.write("Validation.part1.jsonl", numbered_jsonl(3));
  EXPECT_EQ(load_dataset(options_for("jsonl", val, Split::kValidation)).samples.size(), 3u);
}

TEST(DatasetSelection, HashSplitAndLimitKeepFileOrder) {
  TempDir dir;
  const auto file = dir.write("pool.jsonl", numbered_jsonl(200));
  auto o = options_for("jsonl", file, Split::kTrain);
  const Dataset full = load_dataset(o);
  EXPECT_EQ(full.stats.split_rule,
            "fmix64(fnv1a64(le64(seed=0) ++ id)) % 1000 < 800 train, < 900 validation, else test");
  for (const auto& s : full.samples) EXPECT_EQ(hash_split(s.id, 0), Split::kTrain) << s.id;
  for (std::size_t i = 1; i < full.samples.size(); ++i) EXPECT_LT(full.samples[i - 1].line, full.samples[i].line);
  o.limit = 5;
  const Dataset first5 = load_dataset(o);
  ASSERT_EQ(first5.samples.size(), 5u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(first5.samples[i].id, full.samples[i].id);
  EXPECT_EQ(first5.stats.in_split, full.stats.in_split);
  EXPECT_EQ(first5.stats.selected, 5);
  o.limit = 100000;
  EXPECT_EQ(load_dataset(o).samples.size(), full.samples.size());
  o.limit.reset();
  o.split_seed = 7;
  EXPECT_THAT(load_dataset(o).stats.split_rule, HasSubstr("seed=7"));
}

TEST(DatasetSelection, EmptySplitIsAnError) {
  TempDir dir;
  // doc-1 falls in train under seed 0 (bucket 578, see split_test.cpp).
  const auto file = dir.write("one.jsonl", "{\"id\": \"doc-1\", \"source\": \"s\", \"reference\": \"r\"}\n");
  EXPECT_THAT(error_of([&] { load_dataset(options_for("jsonl", file, Split::kTest)); }),
              HasSubstr("no samples in split test of " + file.string()));
  EXPECT_EQ(load_dataset(options_for("jsonl", file, Split::kTrain)).samples.size(), 1u);
}

const std::string kCnnJsonl =
    "{\"id\": \"c1\", \"index\": 0, \"article\": \"first article .\", \"highlights\": \"h one .\\nh two .\"}\n"
    "{\"id\": \"c2\", \"index\": 1, \"article\": \"second article .\", \"highlights\": \"h three .\"}\n";

TEST(CnnDailymailReader, JsonlFolderAndSplitFiles) {
  TempDir dir;
  dir.write("test.jsonl", kCnnJsonl);
  auto o = options_for("cnn_dailymail", dir.path(), Split::kTest);
  const Dataset d = load_dataset(o);
  EXPECT_EQ(d.path, (dir.path() / "test.jsonl").string());
  ASSERT_EQ(d.samples.size(), 2u);
  EXPECT_EQ(d.samples[0].id, "c1");
  EXPECT_EQ(d.samples[0].source, "first article .");
  EXPECT_EQ(d.samples[0].reference, "h one .\nh two .");
  EXPECT_EQ(d.samples[1].line, 2);
  o.split = Split::kValidation;
  EXPECT_THAT(error_of([&] { load_dataset(o); }), HasSubstr("no cnn_dailymail file for split validation"));
  o.split = Split::kAll;
  bool usage = false;
  EXPECT_THAT(error_of([&] { load_dataset(o); }, &usage), HasSubstr("--split all"));
  EXPECT_TRUE(usage);
  const auto bad = dir.write("test.partial.jsonl", "{\"id\": \"c1\", \"article\": \"a\"}\n");
  EXPECT_THAT(error_of([&] { load_dataset(options_for("cnn_dailymail", bad, Split::kTest)); }),
              HasSubstr("test.partial.jsonl:1: field 'highlights' is missing"));
  const auto text = dir.write("test.txt", "x\n");
  EXPECT_THAT(error_of([&] { load_dataset(options_for("cnn_dailymail", text, Split::kTest)); }),
              HasSubstr("unknown cnn_dailymail layout"));
}

TEST(CnnDailymailReader, HfCsvLayout) {
  TempDir dir;
  const auto file = dir.write("train.csv",
                              "article,highlights,id\r\n"
                              "\"an article, with a comma\",\"line one\r\nline two\",id-1\r\n"
                              "caf\xe9 article,\"\",id-2\r\n"
                              "third,summary,id-3\r\n");
  const Dataset d = load_dataset(options_for("cnn_dailymail", file, Split::kTrain));
  ASSERT_EQ(d.samples.size(), 2u);  // id-2 has no highlights
  EXPECT_EQ(d.samples[0].id, "id-1");
  EXPECT_EQ(d.samples[0].source, "an article, with a comma");
  EXPECT_EQ(d.samples[0].reference, "line one\r\nline two");
  EXPECT_EQ(d.samples[1].id, "id-3");
  EXPECT_EQ(d.samples[1].line, 5);
  EXPECT_EQ(d.stats.skipped_empty, 1);
  EXPECT_THAT(d.stats.decoding, HasSubstr("1 with cp1252 bytes (1 bytes)"));
  const auto no_id = dir.write("test.csv", "article,highlights\na,b\n");
  EXPECT_THAT(error_of([&] { load_dataset(options_for("cnn_dailymail", no_id, Split::kTest)); }),
              HasSubstr("test.csv: no column named 'id'"));
}

// Compresses a file with the xz program, as the shared data was made.
std::filesystem::path xz_compress(const std::filesystem::path& file) {
  const std::string command = "xz -k -f -- '" + file.string() + "'";
  EXPECT_EQ(std::system(command.c_str()), 0) << "the xz program is needed to make test files: " << command;
  return file.string() + ".xz";
}

TEST(XzFiles, BothDecodersReadWhatXzWrote) {
  TempDir dir;
  const std::string big = numbered_jsonl(5000);  // several xz blocks' worth of output buffers
  const auto xz = xz_compress(dir.write("test.jsonl", big));
  EXPECT_EQ(read_file_bytes(xz, XzDecoder::kProgram), big);
  if (have_liblzma()) {
    EXPECT_EQ(read_file_bytes(xz, XzDecoder::kLibrary), big);
  } else {
    EXPECT_THAT(error_of([&] { read_file_bytes(xz, XzDecoder::kLibrary); }), HasSubstr("no liblzma"));
  }
  EXPECT_EQ(read_file_bytes(xz), big);
  const Dataset d = load_dataset(options_for("jsonl", xz, Split::kTest));
  EXPECT_EQ(d.samples.size(), 5000u);
  EXPECT_EQ(d.path, xz.string());
  EXPECT_THAT(d.stats.split_rule, HasSubstr("test.jsonl.xz is the test split"));
  // Plain files are returned as they are, whatever the decoder.
  EXPECT_EQ(read_file_bytes(dir.write("plain.txt", "abc"), XzDecoder::kProgram), "abc");
}

TEST(XzFiles, CorruptTruncatedAndMislabelledFilesAreErrors) {
  TempDir dir;
  const auto xz = xz_compress(dir.write("data.jsonl", numbered_jsonl(300)));
  std::ifstream in(xz, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GT(bytes.size(), 64u);
  const auto truncated = dir.write("truncated.jsonl.xz", bytes.substr(0, bytes.size() / 2));
  std::string flipped = bytes;
  flipped[flipped.size() / 2] = static_cast<char>(flipped[flipped.size() / 2] ^ 0x55);
  const auto corrupt = dir.write("corrupt.jsonl.xz", flipped);
  for (const XzDecoder decoder : {XzDecoder::kLibrary, XzDecoder::kProgram}) {
    if (decoder == XzDecoder::kLibrary && !have_liblzma()) continue;  // checked in BothDecodersReadWhatXzWrote
    EXPECT_THAT(error_of([&] { read_file_bytes(truncated, decoder); }),
                HasSubstr(truncated.string() + ": cannot decompress"));
    EXPECT_THAT(error_of([&] { read_file_bytes(corrupt, decoder); }),
                HasSubstr(corrupt.string() + ": cannot decompress"));
  }
  const auto fake = dir.write("fake.jsonl.xz", "{\"source\": \"s\"}\n");
  EXPECT_THAT(error_of([&] { read_file_bytes(fake); }), HasSubstr("fake.jsonl.xz: named .xz but not an xz file"));
  EXPECT_THAT(error_of([&] { read_file_bytes(dir.path() / "missing.xz"); }), HasSubstr("missing.xz: no such file"));
}

TEST(XzFiles, MissingXzProgramIsAClearError) {
  TempDir dir;
  const auto xz = xz_compress(dir.write("data.jsonl", "x\n"));
  const std::string saved = std::getenv("PATH") ? std::getenv("PATH") : "";
  ::setenv("PATH", dir.path().c_str(), 1);  // a folder without an xz program
  const std::string message = error_of([&] { read_file_bytes(xz, XzDecoder::kProgram); });
  ::setenv("PATH", saved.c_str(), 1);
  EXPECT_THAT(message, HasSubstr("the xz program was not found"));
  EXPECT_THAT(message, HasSubstr(xz.string()));
}

}  // namespace
}  // namespace gptbench::data
