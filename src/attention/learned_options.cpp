// A learned variant's options in config.json (learned_options.h): one value accessor per option,
// driven by kLearnedOptionKeys for writing, reading and applying.
#include "gptbench/attention/learned_options.h"

#include <fmt/format.h>  // fmt::format

#include "gptbench/io/json_input.h"    // json_excerpt
#include "gptbench/io/json_integer.h"  // json_integer
#include "gptbench/util/error.h"       // Error, UsageError

namespace gptbench::attention {
namespace {

// Far above any sensible setting, low enough that a hostile config.json cannot ask for huge tensors.
constexpr int64_t kMaxSize = int64_t{1} << 24;

// The NsaSizes member of an nsa option (Sizes: NsaSizes or const NsaSizes).
template <typename Sizes>
auto& nsa_size(Sizes& n, LearnedOption o) {
  switch (o) {
    case LearnedOption::kNsaBlock: return n.block;
    case LearnedOption::kNsaStride: return n.stride;
    case LearnedOption::kNsaSelectBlock: return n.select_block;
    case LearnedOption::kNsaTopk: return n.topk;
    default: return n.window;
  }
}

// The option's value as config.json writes it.
nlohmann::json option_value(const LearnedSpec& s, LearnedOption o) {
  switch (o) {
    case LearnedOption::kMaskMixWindows: {
      nlohmann::json windows = nlohmann::json::array();
      for (int64_t w : s.maskmix_windows) windows.push_back(w == kMaskMixAll ? nlohmann::json("all") : nlohmann::json(w));
      return windows;
    }
    case LearnedOption::kFeatures: return s.features;
    case LearnedOption::kFeatureSeed: return s.feature_seed;
    default: return nsa_size(s.nsa, o);
  }
}

// Sets the option from its config.json value, checked by the flag's rule; Error naming `what` otherwise.
void set_option(LearnedSpec& s, LearnedOption o, const nlohmann::json& v, const std::string& what) {
  switch (o) {
    case LearnedOption::kMaskMixWindows: {
      if (!v.is_array() || v.empty())
        throw Error(fmt::format("{} must be a list of window sizes and \"all\", got {}", what, io::json_excerpt(v)));
      std::vector<int64_t> windows;
      for (const nlohmann::json& w : v)
        windows.push_back(w == "all" ? kMaskMixAll : io::json_integer<int64_t>(w, what + " (a window size or \"all\")", 1, kMaxSize));
      const std::string problem = maskmix_windows_problem(windows);
      if (!problem.empty()) throw Error(fmt::format("{} {}: {}", what, io::json_excerpt(v), problem));
      s.maskmix_windows = windows;
      return;
    }
    case LearnedOption::kFeatures: s.features = io::json_integer<int64_t>(v, what, 1, kMaxSize); return;
    case LearnedOption::kFeatureSeed: s.feature_seed = io::json_integer<uint64_t>(v, what); return;
    default: nsa_size(s.nsa, o) = io::json_integer<int64_t>(v, what, o == LearnedOption::kNsaTopk ? 3 : 1, kMaxSize);
  }
}

// A value as its flag is written: 16, or 1,4,16,all.
std::string flag_text(const nlohmann::json& v) {
  if (!v.is_array()) return v.dump();
  std::string s;
  for (const nlohmann::json& e : v) s += (s.empty() ? "" : ",") + (e.is_string() ? e.get<std::string>() : e.dump());
  return s;
}

}  // namespace

std::string maskmix_windows_problem(const std::vector<int64_t>& windows) {
  if (windows.empty()) return "no windows";
  for (size_t i = 0; i < windows.size(); ++i) {
    const bool after_all = i > 0 && windows[i - 1] == kMaskMixAll;
    if (after_all || (i > 0 && windows[i] != kMaskMixAll && windows[i] <= windows[i - 1]))
      return "windows must increase strictly, \"all\" last";
  }
  return "";
}

LearnedSpec recorded_options(const LearnedSpec& learned) {
  LearnedSpec r = learned;
  for (const LearnedOptionKey& row : kLearnedOptionKeys)
    if (row.kind == learned.kind) r.state(row.option);
  return r;
}

nlohmann::json learned_options_to_json(const LearnedSpec& recorded) {
  nlohmann::json j = nlohmann::json::object();
  for (const LearnedOptionKey& row : kLearnedOptionKeys)
    if (recorded.is_stated(row.option)) j[row.key] = option_value(recorded, row.option);
  return j;
}

LearnedSpec learned_options_from_json(const nlohmann::json& block, const std::string& source) {
  LearnedSpec r;
  for (const LearnedOptionKey& row : kLearnedOptionKeys) {
    if (!block.contains(row.key)) continue;
    set_option(r, row.option, block.at(row.key), fmt::format("{}: \"gptbench.{}\"", source, row.key));
    r.state(row.option);
  }
  if (r.is_stated(LearnedOption::kNsaBlock) && r.is_stated(LearnedOption::kNsaStride) && r.nsa.stride > r.nsa.block)
    throw Error(fmt::format("{}: \"gptbench.nsa_stride\" {} is larger than \"gptbench.nsa_block\" {}", source,
                            r.nsa.stride, r.nsa.block));
  return r;
}

void apply_recorded_options(LearnedSpec& spec, const LearnedSpec& recorded, const std::string& source) {
  for (const LearnedOptionKey& row : kLearnedOptionKeys) {
    if (row.kind != spec.kind || !recorded.is_stated(row.option)) continue;
    const nlohmann::json want = option_value(recorded, row.option);
    if (spec.is_stated(row.option)) {
      const nlohmann::json given = option_value(spec, row.option);
      if (given != want)
        throw UsageError(fmt::format("--{} {} conflicts with {}: \"gptbench.{}\" is {}, the value the checkpoint was "
                                     "trained with (leave the flag out or give {})",
                                     row.flag, flag_text(given), source, row.key, flag_text(want), flag_text(want)));
      continue;
    }
    set_option(spec, row.option, want, source);
    spec.state(row.option);
  }
  if (spec.kind == LearnedKind::kNsa && spec.nsa.stride > spec.nsa.block)
    throw UsageError(fmt::format("{} and the flags: nsa's stride {} is larger than its block {} (\"gptbench.nsa_stride\", "
                                 "\"gptbench.nsa_block\", --nsa-stride, --nsa-block)",
                                 source, spec.nsa.stride, spec.nsa.block));
}

}  // namespace gptbench::attention
