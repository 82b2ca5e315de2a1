// The cells of a sweep: the cross product of its axes in a fixed nesting order, each with a
// canonical key, a stable cell object, and the reason it cannot run (if any). Shards take the
// cells whose index is k modulo N.
#pragma once

#include <c10/core/Device.h>  // c10::Device

#include <nlohmann/json.hpp>  // nlohmann::json

#include <cstdint>   // int64_t
#include <optional>  // std::optional
#include <string>    // std::string
#include <vector>    // std::vector

#include "gptbench/model/model_config.h"  // ModelShape
#include "gptbench/run/run_config.h"     // RunConfig
#include "gptbench/sweep/sweep_spec.h"   // SweepSpec

namespace gptbench::sweep {

// The most cells one sweep may plan (or a sweep file's header may declare): the sample sweeps have
// a few hundred; a grid of 10^12 cells is a typo, refused before any cell is built.
inline constexpr int64_t kMaxSweepCells = 100000;

struct Cell {
  int64_t index = 0;  // position in the plan
  std::string variant, dtype;
  std::optional<int64_t> window;  // the window that runs (sparse: the axis value or the default), else the one given
  int64_t batch_size = 0, prompt_tokens = 0, max_new_tokens = 0;
  std::string skip_reason;  // empty: the cell runs
  std::string quant = "none";  // --quant (none: the checkpoint as it is)
};

// "flash+sparse/fp16/w256/b8/p512/n64" ("w-": no window), then "/q<quant>" for a quantized cell (so the
// keys of sweeps without a quant axis stay as they were).
std::string cell_key(const Cell& cell);
// {variant, batch_size, prompt_tokens, max_new_tokens, dtype, window}, and quant for a quantized cell
nlohmann::json cell_json(const Cell& cell);

// Every cell, nesting variant > dtype > window > batch size > prompt tokens > new tokens (the last
// varies fastest). A cell equal to an earlier one (a sparse variant's "none" window is the default
// window) is listed once. Skip reasons come from the same checks `run` makes: parse_variant (a
// window for a variant without 'sparse'), attention::check_supported (flash on the CPU, a build
// without our kernels, an unsupported dtype) and model::check_fits_context, on `shape` and `device`.
std::vector<Cell> plan_cells(const SweepSpec& spec, const model::ModelShape& shape, c10::Device device);

// The run of one cell that runs (no skip reason): the spec's fixed options with the cell's axis
// values, its model selection resolved through run::resolve_selection as `run`'s flags are.
run::RunConfig cell_run_config(const SweepSpec& spec, const Cell& cell);

struct Shard {
  int64_t index = 0, count = 1;  // this shard holds the cells with index % count == index
  bool holds(int64_t cell_index) const { return cell_index % count == index; }
};
// "k/N" with 0 <= k < N; UsageError naming `what` otherwise.
Shard parse_shard(const std::string& what, const std::string& text);

}  // namespace gptbench::sweep
