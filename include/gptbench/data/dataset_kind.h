// The summarization datasets the data module reads, and the one table of their names: run's and
// train's --dataset tables take their rows' names from here.
#pragma once

#include "gptbench/util/enum_names.h"  // EnumName

namespace gptbench::data {

enum class DatasetKind { kNewsSummary, kCnnDailymail, kJsonl };
inline constexpr EnumName<DatasetKind> kDatasetNames[] = {{DatasetKind::kNewsSummary, "news_summary"},
                                                          {DatasetKind::kCnnDailymail, "cnn_dailymail"},
                                                          {DatasetKind::kJsonl, "jsonl"}};

// The table's name of `kind`, usable in other tables' constexpr rows.
constexpr const char* dataset_kind_name(DatasetKind kind) {
  for (const auto& row : kDatasetNames)
    if (row.value == kind) return row.name;
  return "";
}

}  // namespace gptbench::data
