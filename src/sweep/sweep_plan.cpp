// The cross product of a sweep's axes, skip reasons, cell keys and shards.
#include "gptbench/sweep/sweep_plan.h"

#include <fmt/format.h>  // fmt::format

#include <charconv>       // std::from_chars
#include <system_error>   // std::errc
#include <unordered_set>  // std::unordered_set

#include "gptbench/attention/variant.h"    // parse_variant
#include "gptbench/model/causal_lm.h"      // check_attention_supported
#include "gptbench/model/generator.h"      // check_fits_context
#include "gptbench/run/model_selection.h"  // ModelSelection, resolve_selection
#include "gptbench/util/error.h"           // UsageError

namespace gptbench::sweep {
namespace {

// The cell's settings over the sweep's fixed ones: its variant, window and dtype; sink tokens only
// for a sparse variant.
run::ModelSelection cell_selection(const SweepSpec& spec, const Cell& cell, bool sparse) {
  run::ModelSelection s = spec.base.model.flags;
  s.variant = cell.variant;
  s.window = cell.window;
  if (!sparse) s.global_tokens.reset();
  s.dtype = cell.dtype;
  if (cell.quant != "none") s.quant = cell.quant;
  if (cell.quant == "none" || cell.quant == "int8") s.quant_group.reset();  // the sweep's group is int4's / nf4's
  return s;
}

// Why `cell` cannot run, or "" (and its window made the one that runs).
std::string skip_reason(const SweepSpec& spec, const model::ModelShape& shape, c10::Device device, Cell& cell) {
  try {
    const bool sparse = attention::parse_variant(cell.variant).sparse();
    const run::ResolvedSelection model = run::resolve_selection(cell_selection(spec, cell, sparse));
    if (sparse) cell.window = model.attention.window;
    model::check_attention_supported(shape, model.attention, model.dtype, device);
    model::check_fits_context(shape, model.attention, cell.prompt_tokens, cell.max_new_tokens);
  } catch (const UsageError& e) {
    return e.what();
  }
  if (!spec.min_new_tokens_is_max && spec.base.min_new_tokens > cell.max_new_tokens)
    return fmt::format("--min-new-tokens {} is more than the cell's {} new tokens", spec.base.min_new_tokens,
                       cell.max_new_tokens);
  return "";
}

}  // namespace

std::string cell_key(const Cell& c) {
  return fmt::format("{}/{}/w{}/b{}/p{}/n{}{}", c.variant, c.dtype, c.window ? std::to_string(*c.window) : "-",
                     c.batch_size, c.prompt_tokens, c.max_new_tokens, c.quant == "none" ? "" : "/q" + c.quant);
}

nlohmann::json cell_json(const Cell& c) {
  nlohmann::json j = {{"variant", c.variant},
                      {"batch_size", c.batch_size},
                      {"prompt_tokens", c.prompt_tokens},
                      {"max_new_tokens", c.max_new_tokens},
                      {"dtype", c.dtype},
                      {"window", c.window ? nlohmann::json(*c.window) : nlohmann::json(nullptr)}};
  if (c.quant != "none") j["quant"] = c.quant;
  return j;
}

std::vector<Cell> plan_cells(const SweepSpec& spec, const model::ModelShape& shape, c10::Device device) {
  const SweepAxes& a = spec.axes;
  // Refused before any cell is built: the product of the axes, computed so that it cannot overflow.
  int64_t grid = 1;
  for (const size_t axis : {a.variants.size(), a.dtypes.size(), a.quants.size(), a.windows.size(),
                            a.batch_sizes.size(), a.prompt_tokens.size(), a.new_tokens.size()}) {
    grid = static_cast<int64_t>(axis) > kMaxSweepCells / grid ? kMaxSweepCells + 1 : grid * static_cast<int64_t>(axis);
  }
  if (grid > kMaxSweepCells)
    throw UsageError(fmt::format("the sweep grid (variants x dtypes x quants x windows x batch sizes x prompt tokens "
                                 "x new tokens) has more than {} cells; split it into several sweeps",
                                 kMaxSweepCells));
  std::vector<Cell> cells;
  std::unordered_set<std::string> keys;
  for (const auto& variant : a.variants)
    for (const auto& dtype : a.dtypes)
      for (const auto& quant : a.quants)
        for (const auto& window : a.windows)
          for (int64_t batch : a.batch_sizes)
            for (int64_t prompt : a.prompt_tokens)
              for (int64_t new_tokens : a.new_tokens) {
                Cell cell{static_cast<int64_t>(cells.size()), variant, dtype, window, batch, prompt, new_tokens, "",
                          quant};
                cell.skip_reason = skip_reason(spec, shape, device, cell);
                if (keys.insert(cell_key(cell)).second) cells.push_back(std::move(cell));
              }
  return cells;
}

run::RunConfig cell_run_config(const SweepSpec& spec, const Cell& cell) {
  run::RunConfig c = spec.base;
  // A planned cell resolves: a sparse one has its window by now, the others none.
  c.model = run::resolve_selection(cell_selection(spec, cell, cell.window.has_value()));
  c.batch_size = cell.batch_size;
  c.max_new_tokens = cell.max_new_tokens;
  if (spec.min_new_tokens_is_max) c.min_new_tokens = cell.max_new_tokens;
  if (c.dataset == run::DatasetKind::kSynthetic) {
    c.prompt_tokens = cell.prompt_tokens;
  } else {
    c.max_prompt_tokens = cell.prompt_tokens;
  }
  if (spec.batches) c.limit = *spec.batches * cell.batch_size;
  return c;
}

Shard parse_shard(const std::string& what, const std::string& text) {
  const size_t slash = text.find('/');
  auto number = [&](const std::string& s, int64_t& out) {
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return !s.empty() && ec == std::errc() && ptr == s.data() + s.size();
  };
  Shard shard;
  if (slash == std::string::npos || !number(text.substr(0, slash), shard.index) ||
      !number(text.substr(slash + 1), shard.count))
    throw UsageError(fmt::format("{} \"{}\": expected K/N, e.g. 0/4 (shard K of N, counted from 0)", what, text));
  if (shard.count < 1 || shard.index < 0 || shard.index >= shard.count)
    throw UsageError(fmt::format("{} {}: shard K of N needs N >= 1 and 0 <= K < N (counted from 0)", what, text));
  return shard;
}

}  // namespace gptbench::sweep
