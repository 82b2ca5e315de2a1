// The sweep at a glance: one row per cell (variant, batch, prompt, new tokens, dtype, window,
// status, TTFT p50, TPOT p50, tokens/s, peak allocated MiB, the kernel that ran, skip reason or
// error) as a markdown table and as CSV (RFC 4180 quoting).
#pragma once

#include <nlohmann/json.hpp>  // nlohmann::json

#include <filesystem>  // std::filesystem::path
#include <string>      // std::string
#include <vector>      // std::vector

namespace gptbench::sweep {

// `cells`: cell lines (docs/result-schema.md), one per cell, in the order the rows should have.
std::string summary_markdown(const std::vector<nlohmann::json>& cells);
std::string summary_csv(const std::vector<nlohmann::json>& cells);

// Where summaries go by default: SWEEP.jsonl -> SWEEP.md and SWEEP.csv (beside it).
std::filesystem::path default_summary_path(const std::filesystem::path& jsonl, const std::string& extension);

}  // namespace gptbench::sweep
