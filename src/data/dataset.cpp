// load_dataset: resolves the file, runs the dataset's reader, then selects the split and the limit.
#include "gptbench/data/dataset.h"  // this file's declarations

#include <fmt/format.h>  // fmt::format

#include <cctype>      // std::tolower
#include <filesystem>  // std::filesystem
#include <optional>    // std::optional

#include "dataset_rows.h"               // RowSet, read_news_summary, read_cnn_dailymail, read_jsonl_dataset
#include "gptbench/data/data_dir.h"     // require_data_file, DataGroup
#include "gptbench/data/file_bytes.h"   // read_file_bytes, content_name
#include "gptbench/util/check.h"        // GPTBENCH_CHECK
#include "gptbench/util/error.h"        // gptbench::UsageError

namespace gptbench::data {
namespace {

namespace fs = std::filesystem;

void usage_check(bool ok, const std::string& message) {
  if (!ok) throw UsageError(message);
}

bool is_folder(const fs::path& p) {
  std::error_code ec;
  return fs::is_directory(p, ec);
}

bool path_exists(const fs::path& p) {
  std::error_code ec;
  return fs::exists(p, ec);
}

// The split a file holds by its name: "test.partial.jsonl.xz" -> test. Published datasets ship
// one file per split, named this way (HF exports, Kaggle CSVs, the shared See et al. subset).
std::optional<Split> split_of_file_name(const fs::path& file) {
  std::string name = file.filename().string();
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const std::string stem = name.substr(0, name.find('.'));
  if (stem == name) return std::nullopt;  // no extension: not a named split file
  if (stem == "train") return Split::kTrain;
  if (stem == "validation" || stem == "val") return Split::kValidation;
  if (stem == "test") return Split::kTest;
  return std::nullopt;
}

// A cnn_dailymail folder holds one file per split; the first of these names that exists is used.
fs::path cnn_file_in_folder(const fs::path& folder, Split split) {
  usage_check(split != Split::kAll,
              fmt::format("--split all: {} holds one cnn_dailymail file per split; pass one file with --data to "
                          "use all of its rows",
                          folder.string()));
  const std::string s = split_name(split);
  const std::array<std::string, 5> candidates = {s + ".partial.jsonl.xz", s + ".jsonl.xz", s + ".jsonl",
                                                 s + ".csv.xz", s + ".csv"};
  for (const auto& name : candidates) {
    if (path_exists(folder / name)) return folder / name;
  }
  throw Error(fmt::format("{}: no cnn_dailymail file for split {} (looked for {}, {}, {}, {}, {})", folder.string(), s,
                          candidates[0], candidates[1], candidates[2], candidates[3], candidates[4]));
}

fs::path resolve_path(const DatasetOptions& options) {
  const std::string name = enum_name(kDatasetNames, options.kind);
  const bool jsonl = options.kind == DatasetKind::kJsonl, news = options.kind == DatasetKind::kNewsSummary;
  fs::path path = options.path;
  if (path.empty()) {
    usage_check(!jsonl, "--dataset jsonl needs a file: pass it with --data");
    usage_check(!options.data_dir.empty(),
                fmt::format("--dataset {}: no --data file and no data folder (pass --data-dir or set GPTBENCH_DATA_DIR)",
                            name));
    GPTBENCH_CHECK(is_folder(options.data_dir),
                   "data folder {} does not exist (--data-dir or GPTBENCH_DATA_DIR); scripts/get_data.sh --data-dir {} "
                   "fetches the data into it (data/README.md)",
                   options.data_dir, options.data_dir);
    path = fs::path(options.data_dir) / (news ? fs::path("news_summary") / "news_summary.csv"
                                              : fs::path("cnn_dailymail") / "see2017_tok_lower");
    require_data_file(path, "dataset " + name, news ? DataGroup::kNewsSummary : DataGroup::kCnnDailymail,
                      options.data_dir);
  }
  if (is_folder(path)) {
    GPTBENCH_CHECK(!jsonl, "{}: is a folder; --dataset jsonl needs a file", path.string());
    path = news ? path / "news_summary.csv" : cnn_file_in_folder(path, options.split);
  }
  GPTBENCH_CHECK(path_exists(path), "{}: no such file (dataset {})", path.string(), name);
  return path;
}

RowSet read_rows(DatasetKind kind, const fs::path& path) {
  const std::string file = path.string();
  const std::string content = read_file_bytes(path);
  switch (kind) {
    case DatasetKind::kNewsSummary: return read_news_summary(content, file);
    case DatasetKind::kCnnDailymail: return read_cnn_dailymail(content, file, content_name(path));
    case DatasetKind::kJsonl: break;
  }
  return read_jsonl_dataset(content, file);
}

}  // namespace

Dataset load_dataset(const DatasetOptions& options) {
  usage_check(!options.limit || *options.limit >= 1,
              fmt::format("--limit must be at least 1, got {}", options.limit.value_or(0)));
  const fs::path path = resolve_path(options);

  // A per-split file IS its split: hashing it again would keep only a tenth of a published test set.
  const std::optional<Split> file_split = split_of_file_name(path);
  if (file_split) {
    usage_check(options.split == *file_split || options.split == Split::kAll,
                fmt::format("--split {}: {} is the {} split (its name says so); use --split {} or --split all",
                            split_name(options.split), path.string(), split_name(*file_split),
                            split_name(*file_split)));
  }

  RowSet rows = read_rows(options.kind, path);
  Dataset dataset;
  dataset.name = enum_name(kDatasetNames, options.kind);
  dataset.path = path.string();
  DatasetStats& stats = dataset.stats;
  stats.rows_read = rows.rows_read;
  stats.skipped_empty = rows.skipped_empty;
  stats.duplicates_removed = rows.duplicates_removed;
  stats.decoding = std::move(rows.decoding);
  if (file_split) {
    stats.split_rule = fmt::format("the file {} is the {} split by its name: every row is in it",
                                   path.filename().string(), split_name(*file_split));
  } else if (options.split == Split::kAll) {
    stats.split_rule = "all: every row";
  } else {
    stats.split_rule = hash_split_rule(options.split_seed);
  }

  const bool hashed = !file_split && options.split != Split::kAll;
  for (Sample& sample : rows.samples) {
    if (hashed && hash_split(sample.id, options.split_seed) != options.split) continue;
    ++stats.in_split;
    if (!options.limit || static_cast<int64_t>(dataset.samples.size()) < *options.limit) {
      dataset.samples.push_back(std::move(sample));
    }
  }
  stats.selected = static_cast<int64_t>(dataset.samples.size());
  GPTBENCH_CHECK(!dataset.samples.empty(),
                 "no samples in split {} of {} ({} rows read, {} empty skipped, {} duplicates removed)",
                 split_name(options.split), dataset.path, stats.rows_read, stats.skipped_empty,
                 stats.duplicates_removed);
  return dataset;
}

nlohmann::json to_json(const DatasetStats& stats) {
  return nlohmann::json{{"rows_read", stats.rows_read},
                        {"skipped_empty", stats.skipped_empty},
                        {"duplicates_removed", stats.duplicates_removed},
                        {"in_split", stats.in_split},
                        {"selected", stats.selected},
                        {"decoding", stats.decoding},
                        {"split_rule", stats.split_rule}};
}

}  // namespace gptbench::data
