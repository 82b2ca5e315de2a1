// attn-bench: see attn_bench.h. Timing is CUDA events on the current stream around each
// call, warm-up excluded, an L2-sized buffer rewritten between runs (outside the timed
// region), and the median of at least min_runs runs and min_time_ms of timed work.
#include "attn_bench.h"

#include <ATen/ATen.h>                     // at::randn, at::scaled_dot_product_attention, at::_fused_sdp_choice
#include <ATen/Context.h>                  // at::globalContext (SDPA backend switches), at::hasCUDA
#include <c10/util/Exception.h>            // c10::Error, c10::WarningHandler
#include <fmt/format.h>                    // fmt::format
#include <torch/version.h>                 // TORCH_VERSION
#ifndef GPTBENCH_BENCH_NO_CUDA
#include <ATen/cuda/CUDAContext.h>         // at::cuda::getCurrentDeviceProperties
#include <ATen/cuda/CUDAEvent.h>           // at::cuda::CUDAEvent
#include <ATen/detail/CUDAHooksInterface.h>  // cuDNN version
#include <cuda_runtime_api.h>              // cudaDriverGetVersion, cudaRuntimeGetVersion
#endif

#include <algorithm>   // std::sort
#include <chrono>      // std::chrono::system_clock
#include <cmath>       // std::sqrt, std::pow
#include <cstdio>      // std::fputs, stdout
#include <ctime>       // std::gmtime, std::strftime
#include <functional>  // std::function
#include <limits>      // std::numeric_limits
#include <map>         // std::map
#include <memory>      // std::unique_ptr
#include <string>      // std::string
#include <tuple>       // std::tuple
#include <vector>      // std::vector

#include "gptbench/kernels/attention_op.h"  // attention_op
#include "gptbench/attention/sdpa_backend.h"  // sdpa_backend_name
#include "gptbench/bench/environment.h"   // environment_json, tool_json
#include "gptbench/io/atomic_file.h"      // write_file_atomic
#include "gptbench/util/error.h"          // gptbench::Error, UsageError
#include "gptbench/version.h"             // kVersion, kGitSha

namespace gptbench::bench {
namespace {

struct BackendInfo {
  AttnBackend backend;
  const char* name;
  at::SDPBackend sdp;  // the SDPA backend it forces (unused for kFlash)
};

const std::vector<BackendInfo>& backends() {
  static const std::vector<BackendInfo> kAll = {
      {AttnBackend::kFlash, "flash", at::SDPBackend::error},
      {AttnBackend::kSdpaFlash, "sdpa-flash", at::SDPBackend::flash_attention},
      {AttnBackend::kSdpaCudnn, "sdpa-cudnn", at::SDPBackend::cudnn_attention},
      {AttnBackend::kSdpaEfficient, "sdpa-efficient", at::SDPBackend::efficient_attention},
      {AttnBackend::kSdpaMath, "sdpa-math", at::SDPBackend::math},
  };
  return kAll;
}

const BackendInfo& info(AttnBackend b) {
  for (const BackendInfo& i : backends()) {
    if (i.backend == b) return i;
  }
  throw Error("attn-bench: unknown backend");
}

// Enables exactly one SDPA backend for its lifetime, restoring the previous switches after.
class SdpBackendScope {
 public:
  explicit SdpBackendScope(at::SDPBackend only) {
    auto& ctx = at::globalContext();
    saved_ = {ctx.userEnabledFlashSDP(), ctx.userEnabledCuDNNSDP(), ctx.userEnabledMemEfficientSDP(),
              ctx.userEnabledMathSDP()};
    ctx.setSDPUseFlash(only == at::SDPBackend::flash_attention);
    ctx.setSDPUseCuDNN(only == at::SDPBackend::cudnn_attention);
    ctx.setSDPUseMemEfficient(only == at::SDPBackend::efficient_attention);
    ctx.setSDPUseMath(only == at::SDPBackend::math);
  }
  ~SdpBackendScope() {
    auto& ctx = at::globalContext();
    ctx.setSDPUseFlash(std::get<0>(saved_));
    ctx.setSDPUseCuDNN(std::get<1>(saved_));
    ctx.setSDPUseMemEfficient(std::get<2>(saved_));
    ctx.setSDPUseMath(std::get<3>(saved_));
  }
  SdpBackendScope(const SdpBackendScope&) = delete;
  SdpBackendScope& operator=(const SdpBackendScope&) = delete;

 private:
  std::tuple<bool, bool, bool, bool> saved_;
};

// SDPA explains a refused backend through warnings; keep them as the skip reason.
class WarningCollector : public c10::WarningHandler {
 public:
  void process(const c10::Warning& warning) override {
    if (!text.empty()) text += "; ";
    text += warning.msg();
  }
  std::string text;
};

std::string first_line(const std::string& s) {
  const auto nl = s.find('\n');
  return nl == std::string::npos ? s : s.substr(0, nl);
}

at::ScalarType parse_dtype(const std::string& name) {
  if (name == "fp16") return at::kHalf;
  if (name == "bf16") return at::kBFloat16;
  throw UsageError(fmt::format("--dtype: unknown dtype '{}' (valid: fp16, bf16)", name));
}

#ifndef GPTBENCH_BENCH_NO_CUDA
// Medians of CUDA-event times of fn, each run preceded by an L2 flush outside the timing.
std::vector<double> time_on_stream(const std::function<void()>& fn, const AttnBenchConfig& cfg, at::Tensor& flush) {
  for (int i = 0; i < cfg.warmup_runs; ++i) fn();
  at::cuda::getCurrentCUDAStream().synchronize();
  std::vector<double> samples;
  double total = 0;
  constexpr int kBatch = 10;  // runs queued between host syncs
  while (static_cast<int>(samples.size()) < cfg.max_runs &&
         (static_cast<int>(samples.size()) < cfg.min_runs || total < cfg.min_time_ms)) {
    std::vector<at::cuda::CUDAEvent> start, stop;
    for (int i = 0; i < kBatch; ++i) {
      start.emplace_back(cudaEventDefault);
      stop.emplace_back(cudaEventDefault);
    }
    for (int i = 0; i < kBatch; ++i) {
      if (flush.defined()) flush.fill_(static_cast<int64_t>(samples.size() + i) & 0x7f);
      start[i].record();
      fn();
      stop[i].record();
    }
    stop.back().synchronize();
    for (int i = 0; i < kBatch; ++i) {
      const double ms = start[i].elapsed_time(stop[i]);
      samples.push_back(ms);
      total += ms;
    }
  }
  return samples;
}

#endif  // GPTBENCH_BENCH_NO_CUDA

void summarise(AttnBenchRow& row) {
  std::vector<double> s = row.samples_ms;
  std::sort(s.begin(), s.end());
  const size_t n = s.size();
  row.median_ms = n % 2 == 1 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
  row.min_ms = s.front();
  row.max_ms = s.back();
  const double seconds = row.median_ms * 1e-3;
  const double pairs = row.q_len == 1 ? static_cast<double>(row.k_len)  // one query sees every key
                                      : 0.5 * static_cast<double>(row.q_len) * static_cast<double>(row.k_len);
  row.tflops = 4.0 * row.batch * row.heads * pairs * row.head_dim / seconds * 1e-12;
  if (row.q_len == 1) {
    const double elem = row.dtype == "fp32" ? 4.0 : 2.0;
    row.kv_gbps = 2.0 * row.batch * row.heads * row.k_len * row.head_dim * elem / seconds * 1e-9;
  }
}

struct Cell {
  AttnVariant variant;
  std::string variant_name, dtype_name;
  at::ScalarType dtype;
  int64_t batch, heads, q_len, k_len, head_dim, window;
};

#ifndef GPTBENCH_BENCH_NO_CUDA
AttnBenchRow run_cell(const Cell& c, const AttnBenchConfig& cfg, at::Tensor& flush) {
  AttnBenchRow row;
  row.variant = c.variant_name;
  row.dtype = c.dtype_name;
  row.batch = c.batch;
  row.heads = c.heads;
  row.q_len = c.q_len;
  row.k_len = c.k_len;
  row.head_dim = c.head_dim;
  row.window = c.window;
  row.global_tokens = c.variant.sparse ? cfg.global_tokens : 0;
  auto skip = [&row](std::string reason) {
    row.status = "skipped";
    row.reason = std::move(reason);
    return row;
  };

  const auto opts = at::TensorOptions().device(at::kCUDA).dtype(c.dtype);
  const double scale = 1.0 / std::sqrt(static_cast<double>(c.head_dim));
  at::Tensor q, k, v;
  try {
    q = at::randn({c.batch, c.heads, c.q_len, c.head_dim}, opts);
    k = at::randn({c.batch, c.heads, c.k_len, c.head_dim}, opts);
    v = at::randn({c.batch, c.heads, c.k_len, c.head_dim}, opts);
  } catch (const c10::Error& e) {
    return skip("inputs do not fit: " + first_line(e.what_without_backtrace()));
  }
  std::vector<float> slope_values(c.heads);
  for (int64_t h = 0; h < c.heads; ++h) slope_values[h] = static_cast<float>(std::pow(2.0, -8.0 * (h + 1) / c.heads));
  const at::Tensor slopes = at::tensor(slope_values).to(at::kCUDA);

  std::function<void()> call;
  std::unique_ptr<SdpBackendScope> scope;
  at::Tensor mask;
  bool is_causal = false;
  if (c.variant.backend == AttnBackend::kFlash) {
    kernels::AttentionOptions fo;
    if (c.variant.alibi) fo.alibi_slopes = slopes;
    fo.window = c.window;
    fo.global_tokens = c.variant.sparse ? cfg.global_tokens : 0;
    fo.scale = scale;
    const at::Tensor key_start = at::zeros({c.batch}, opts.dtype(at::kInt));
    try {
      kernels::attention_op(q, k, v, key_start, fo, &row.kernel);
    } catch (const std::exception& e) {
      return skip(first_line(e.what()));
    }
    call = [q, k, v, key_start, fo] { kernels::attention_op(q, k, v, key_start, fo); };
  } else {
    // Positions of the prefill (Tq = Tk) or decode (one query at Tk - 1) problem.
    const auto i64 = opts.dtype(at::kLong);
    const at::Tensor qpos = (at::arange(c.q_len, i64) + (c.k_len - c.q_len)).view({1, 1, c.q_len, 1});
    const at::Tensor kpos = at::arange(c.k_len, i64).view({1, 1, 1, c.k_len});
    try {
      if (c.variant.alibi || c.variant.sparse) {
        at::Tensor visible = kpos <= qpos;
        if (c.variant.sparse) visible = visible & (((qpos - kpos) < c.window) | (kpos < cfg.global_tokens));
        if (c.variant.alibi) {
          // ALiBi as a materialised additive bias (1, H, Tq, Tk), -inf where masked.
          const at::Tensor bias = -slopes.view({1, c.heads, 1, 1}) * (qpos - kpos).to(at::kFloat);
          mask = at::where(visible, bias, at::full({}, -std::numeric_limits<float>::infinity(), bias.options()))
                     .to(c.dtype);
        } else {
          mask = visible;  // (1, 1, Tq, Tk) boolean
        }
      } else {
        is_causal = c.q_len > 1;  // Tq = Tk: SDPA's top-left causal equals our bottom-right one
      }
    } catch (const c10::Error& e) {
      return skip("mask does not fit: " + first_line(e.what_without_backtrace()));
    }
    const at::SDPBackend want = info(c.variant.backend).sdp;
    scope = std::make_unique<SdpBackendScope>(want);
    WarningCollector warnings;
    int64_t chosen = -1;
    {
      c10::WarningUtils::WarningHandlerGuard guard(&warnings);
      try {
        chosen = at::_fused_sdp_choice(q, k, v, mask.defined() ? std::optional<at::Tensor>(mask) : std::nullopt,
                                       0.0, is_causal, scale, false);
      } catch (const c10::Error& e) {
        return skip(fmt::format("{} refused: {}{}", info(c.variant.backend).name,
                                first_line(e.what_without_backtrace()),
                                warnings.text.empty() ? "" : " (" + first_line(warnings.text) + ")"));
      }
    }
    if (chosen != static_cast<int64_t>(want)) {
      return skip(fmt::format("SDPA would run {} instead of {}", attention::sdpa_backend_name(chosen), attention::sdpa_backend_name(static_cast<int64_t>(want))));
    }
    row.kernel = std::string("sdpa:") + attention::sdpa_backend_name(chosen);
    call = [q, k, v, mask, is_causal, scale] {
      at::scaled_dot_product_attention(q, k, v, mask.defined() ? std::optional<at::Tensor>(mask) : std::nullopt, 0.0,
                                       is_causal, scale);
    };
  }
  try {
    row.samples_ms = time_on_stream(call, cfg, flush);
  } catch (const c10::Error& e) {
    return skip("failed: " + first_line(e.what_without_backtrace()));
  }
  summarise(row);
  return row;
}

#endif  // GPTBENCH_BENCH_NO_CUDA

nlohmann::json row_json(const AttnBenchRow& r) {
  nlohmann::json j = {{"variant", r.variant}, {"dtype", r.dtype},         {"batch", r.batch},
                      {"heads", r.heads},     {"q_len", r.q_len},         {"k_len", r.k_len},
                      {"head_dim", r.head_dim}, {"window", r.window},     {"global_tokens", r.global_tokens},
                      {"status", r.status},   {"kernel", r.kernel}};
  if (r.status != "ok") {
    j["reason"] = r.reason;
    return j;
  }
  j["median_ms"] = r.median_ms;
  j["min_ms"] = r.min_ms;
  j["max_ms"] = r.max_ms;
  j["runs"] = r.samples_ms.size();
  j["samples_ms"] = r.samples_ms;
  j["tflops"] = r.tflops;
  if (r.q_len == 1) j["kv_gbps"] = r.kv_gbps;
  if (r.speedup_vs_flash > 0) j["flash_over_this"] = r.speedup_vs_flash;
  return j;
}

}  // namespace

AttnVariant parse_attn_variant(const std::string& name) {
  AttnVariant v;
  std::vector<std::string> parts;
  size_t pos = 0;
  while (true) {
    const size_t plus = name.find('+', pos);
    parts.push_back(name.substr(pos, plus == std::string::npos ? std::string::npos : plus - pos));
    if (plus == std::string::npos) break;
    pos = plus + 1;
  }
  bool found = false;
  std::string valid;
  for (const BackendInfo& i : backends()) {
    valid += (valid.empty() ? "" : ", ") + std::string(i.name);
    if (parts[0] == i.name) {
      v.backend = i.backend;
      found = true;
    }
  }
  if (!found) {
    throw UsageError(fmt::format("--variants: unknown backend '{}' in '{}' (valid: {}; modifiers +alibi, +sparse)",
                                 parts[0], name, valid));
  }
  for (size_t i = 1; i < parts.size(); ++i) {
    if (parts[i] == "alibi" && !v.alibi) {
      v.alibi = true;
    } else if (parts[i] == "sparse" && !v.sparse) {
      v.sparse = true;
    } else {
      throw UsageError(fmt::format("--variants: bad modifier '{}' in '{}' (valid: +alibi, +sparse, each once)",
                                   parts[i], name));
    }
  }
  return v;
}

std::string attn_variant_name(const AttnVariant& v) {
  return std::string(info(v.backend).name) + (v.alibi ? "+alibi" : "") + (v.sparse ? "+sparse" : "");
}

std::string attn_bench_markdown(const std::vector<AttnBenchRow>& rows) {
  std::string s =
      "| variant | dtype | B | H | Tq | Tk | D | W | kernel | median ms | TFLOP/s | K/V GB/s | flash/this | note |\n"
      "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const AttnBenchRow& r : rows) {
    if (r.status != "ok") {
      s += fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} | {} | - | - | - | - | skipped: {} |\n", r.variant,
                       r.dtype, r.batch, r.heads, r.q_len, r.k_len, r.head_dim, r.window, r.kernel, r.reason);
      continue;
    }
    s += fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.4f} | {:.1f} | {} | {} | {} runs |\n", r.variant,
                     r.dtype, r.batch, r.heads, r.q_len, r.k_len, r.head_dim, r.window, r.kernel, r.median_ms,
                     r.tflops, r.q_len == 1 ? fmt::format("{:.0f}", r.kv_gbps) : "-",
                     r.speedup_vs_flash > 0 ? fmt::format("{:.2f}", r.speedup_vs_flash) : "-", r.samples_ms.size());
  }
  return s;
}

nlohmann::json run_attn_bench(const AttnBenchConfig& cfg) {
  std::vector<AttnVariant> variants;
  for (const std::string& name : cfg.variants) variants.push_back(parse_attn_variant(name));
  std::vector<std::pair<std::string, at::ScalarType>> dtypes;
  for (const std::string& name : cfg.dtype) dtypes.emplace_back(name, parse_dtype(name));
  if (cfg.min_runs < 1 || cfg.max_runs < cfg.min_runs || cfg.warmup_runs < 0) {
    throw UsageError("attn-bench: need 1 <= --min-runs <= --max-runs and --warmup >= 0");
  }

  std::vector<Cell> cells;
  const std::vector<int64_t>& lengths = cfg.decode ? cfg.kv_len : cfg.seq;
  for (const auto& [dtype_name, dtype] : dtypes) {
    for (int64_t b : cfg.batch) {
      for (int64_t h : cfg.heads) {
        for (int64_t d : cfg.head_dim) {
          for (int64_t t : lengths) {
            for (size_t vi = 0; vi < variants.size(); ++vi) {
              const std::vector<int64_t> windows = variants[vi].sparse ? cfg.window : std::vector<int64_t>{0};
              for (int64_t w : windows) {
                if (b < 1 || h < 1 || d < 1 || t < 1 || (variants[vi].sparse && w < 1)) {
                  throw UsageError(fmt::format("attn-bench: sizes and windows must be >= 1 (B={} H={} D={} T={} W={})",
                                               b, h, d, t, w));
                }
                cells.push_back(Cell{variants[vi], cfg.variants[vi], dtype_name, dtype, b, h,
                                     cfg.decode ? 1 : t, t, d, w});
              }
            }
          }
        }
      }
    }
  }

#ifdef GPTBENCH_BENCH_NO_CUDA
  throw Error("attn-bench: this build has no CUDA (configured without nvcc)");
#else
  if (!at::hasCUDA()) throw Error("attn-bench: no CUDA device (the benchmark times GPU kernels)");

  // A buffer twice the L2 size, rewritten before every timed run, so no run finds the
  // previous run's K/V in L2.
  at::Tensor flush;
  if (cfg.flush_l2) {
    const int64_t l2 = at::cuda::getCurrentDeviceProperties()->l2CacheSize;
    flush = at::empty({2 * l2}, at::TensorOptions().device(at::kCUDA).dtype(at::kByte));
  }

  std::vector<AttnBenchRow> rows;
  for (const Cell& c : cells) {
    rows.push_back(run_cell(c, cfg, flush));
    const AttnBenchRow& r = rows.back();
    std::fprintf(stderr, "attn-bench: %s %s B=%lld H=%lld T=%lld D=%lld W=%lld: %s\n", r.variant.c_str(),
                 r.dtype.c_str(), static_cast<long long>(r.batch), static_cast<long long>(r.heads),
                 static_cast<long long>(r.k_len), static_cast<long long>(r.head_dim), static_cast<long long>(r.window),
                 r.status == "ok" ? fmt::format("{:.4f} ms", r.median_ms).c_str() : r.reason.c_str());
  }
  // Ratios against our dense causal flash of the same shape (the window speed-up target).
  std::map<std::tuple<std::string, int64_t, int64_t, int64_t, int64_t, int64_t>, double> dense;
  for (const AttnBenchRow& r : rows) {
    if (r.status == "ok" && r.variant == "flash") {
      dense[{r.dtype, r.batch, r.heads, r.q_len, r.k_len, r.head_dim}] = r.median_ms;
    }
  }
  for (AttnBenchRow& r : rows) {
    const auto it = dense.find({r.dtype, r.batch, r.heads, r.q_len, r.k_len, r.head_dim});
    if (r.status == "ok" && it != dense.end()) r.speedup_vs_flash = it->second / r.median_ms;
  }

  nlohmann::json report = {
      {"schema_version", 1},
      {"tool", tool_json()},
      {"command", "attn-bench"},
      {"env", environment_json(c10::Device(c10::kCUDA))},
      {"config",
       {{"batch", cfg.batch}, {"heads", cfg.heads}, {"seq", cfg.seq}, {"kv_len", cfg.kv_len},
        {"head_dim", cfg.head_dim}, {"window", cfg.window}, {"global_tokens", cfg.global_tokens},
        {"dtype", cfg.dtype}, {"variants", cfg.variants}, {"decode", cfg.decode}, {"min_runs", cfg.min_runs},
        {"min_time_ms", cfg.min_time_ms}, {"max_runs", cfg.max_runs}, {"warmup_runs", cfg.warmup_runs},
        {"flush_l2", cfg.flush_l2}}},
      {"flops_rule",
       "TFLOP/s = 4*B*H*Tq*Tk*D/2 (causal prefill, windows counted as dense causal) or 4*B*H*Tk*D (decode) / median"},
      {"results", nlohmann::json::array()},
  };
  for (const AttnBenchRow& r : rows) report["results"].push_back(row_json(r));
  std::fputs(attn_bench_markdown(rows).c_str(), stdout);
  if (!cfg.out_path.empty()) io::write_file_atomic(cfg.out_path, report.dump(2) + "\n");
  return report;
#endif
}

}  // namespace gptbench::bench
