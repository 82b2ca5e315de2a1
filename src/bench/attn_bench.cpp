// attn-bench: see attn_bench.h. Timing is DeviceTimer marks around each call (CUDA events on the
// current stream, or a steady clock on the CPU), warm-up excluded, on CUDA an L2-sized buffer
// rewritten between runs (outside the timed region), and the median of the runs the stopping rule
// (bench/stopping_rule.h: --min-runs, --min-time-ms, --max-noise, --max-time, --max-runs) took.
#include "attn_bench.h"

#include <ATen/ATen.h>           // at::randn, at::zeros, at::scaled_dot_product_attention, at::_fused_sdp_choice
#include <ATen/Context.h>        // at::hasCUDA
#include <c10/util/Exception.h>  // c10::Error, c10::WarningHandler
#include <fmt/format.h>          // fmt::format, fmt::print
#include <torch/csrc/autograd/autograd.h>  // torch::autograd::grad (--backward SDPA cells)
#ifdef GPTBENCH_HAVE_CUDA
#include <ATen/cuda/CUDAContext.h>  // at::cuda::getDeviceProperties
#endif

#include <algorithm>   // std::min
#include <chrono>      // std::chrono::steady_clock
#include <cmath>       // std::sqrt, std::pow
#include <cstdio>      // stdout
#include <exception>   // std::exception
#include <functional>  // std::function
#include <map>         // std::map
#include <memory>      // std::unique_ptr
#include <optional>    // std::optional
#include <string>      // std::string
#include <tuple>       // std::tuple
#include <utility>     // std::move
#include <vector>      // std::vector

#include "attn_bench_variant.h"                   // AttnVariant, parse_attn_variant, SdpaBackendScope
#include "gptbench/attention/alibi.h"             // alibi_slopes
#include "gptbench/attention/attention_mask.h"    // query_key_positions, visibility_mask, alibi_additive_mask
#include "gptbench/attention/flash_op_options.h"  // flash_op_options
#include "gptbench/attention/sdpa_backend.h"      // sdpa_backend_name
#include "gptbench/bench/device_timer.h"          // DeviceTimer, synchronize_device
#include "gptbench/bench/environment.h"           // environment_json, tool_json
#include "gptbench/bench/progress.h"              // ProgressReporter
#include "gptbench/bench/stopping_rule.h"         // StoppingRule, stop_reason, relative_noise, check_stopping_rule
#include "gptbench/bench/stats.h"                 // summarize
#include "gptbench/io/atomic_file.h"              // write_file_atomic
#include "gptbench/kernels/attention_op.h"        // attention_op
#include "gptbench/kernels/flash_backward_op.h"   // flash_forward_with_lse, flash_backward (--backward)
#include "gptbench/kernels/flash_arch.h"          // kFlashArchNames
#include "gptbench/kernels/grouped_query.h"       // grouped_heads_valid
#include "gptbench/kernels/rope_op.h"             // rope_split_qkv, rope_split_qkv_into_cache
#include "gptbench/model/checkpoint.h"            // parse_dtype
#include "gptbench/util/enum_names.h"             // enum_name
#include "gptbench/util/error.h"                  // Error, UsageError

namespace gptbench::bench {
namespace {

using report::AttnBenchRow;

// SDPA explains a refused backend through warnings; keep them as the skip reason.
class WarningCollector : public c10::WarningHandler {
 public:
  void process(const c10::Warning& warning) override {
    if (!text.empty()) text += "; ";
    text += warning.msg();
  }
  std::string text;
};

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

c10::Device parse_device(const std::string& name) {
  std::optional<c10::Device> device;
  try {
    device = c10::Device(name);
  } catch (const c10::Error&) {
  }
  if (!device || !(device->is_cpu() || device->is_cuda()))
    throw UsageError(fmt::format("--device: expected cpu, cuda or cuda:<index>, got \"{}\"", name));
  if (device->is_cuda() && !at::hasCUDA())
    throw Error("attn-bench: no CUDA device (--device cpu runs the CPU reference and SDPA on the CPU)");
  return *device;
}

StoppingRule stopping_rule(const AttnBenchConfig& cfg) {
  return {cfg.min_runs, cfg.min_time_ms, cfg.max_noise, cfg.max_time_s, cfg.max_runs};
}

struct TimedRuns {
  std::vector<double> samples_ms;
  std::string stopped_by;
};

// Timing of fn on `device` under the stopping rule, each run preceded by an L2 flush outside the timing.
TimedRuns time_runs(const std::function<void()>& fn, const AttnBenchConfig& cfg, c10::Device device,
                    at::Tensor& flush) {
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < cfg.warmup_runs; ++i) fn();
  synchronize_device(device);
  DeviceTimer timer(device);
  const StoppingRule rule = stopping_rule(cfg);
  TimedRuns timed;
  std::vector<double>& samples = timed.samples_ms;
  constexpr int kBatch = 10;  // runs queued between host syncs (the rule is checked between batches)
  for (;;) {
    const double elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (auto reason = stop_reason(rule, samples, elapsed_s)) {
      timed.stopped_by = *reason;
      return timed;
    }
    const int runs = std::min(kBatch, cfg.max_runs - static_cast<int>(samples.size()));
    timer.clear();
    for (int i = 0; i < runs; ++i) {
      if (flush.defined()) flush.fill_(static_cast<int64_t>(samples.size() + i) & 0x7f);
      timer.mark();
      fn();
      timer.mark();
    }
    timer.synchronize();
    for (int i = 0; i < runs; ++i) samples.push_back(timer.elapsed_ms(2 * i, 2 * i + 1));
  }
}

// Forward + backward counted as this many forwards (FlashAttention's convention: the backward's
// five matmuls against the forward's two).
constexpr double kBackwardFlopFactor = 2.5;

// Median, extremes and the rates of a timed row; backward: the row timed forward + backward.
void summarise(AttnBenchRow& row, c10::ScalarType dtype, bool backward) {
  const Summary s = summarize(row.samples_ms);
  row.median_ms = s.p50;
  row.min_ms = s.min;
  row.max_ms = s.max;
  const double seconds = row.median_ms * 1e-3;
  const double pairs = row.q_len == 1 ? static_cast<double>(row.k_len)  // one query sees every key
                                      : 0.5 * static_cast<double>(row.q_len) * static_cast<double>(row.k_len);
  row.tflops = (backward ? kBackwardFlopFactor : 1.0) * 4.0 * row.batch * row.heads * pairs * row.head_dim / seconds *
               1e-12;
  if (row.q_len == 1) {
    const double elem = static_cast<double>(c10::elementSize(dtype));
    row.kv_gbps = 2.0 * row.batch * row.kv_heads * row.k_len * row.head_dim * elem / seconds * 1e-9;
  }
}

struct Cell {
  const AttnVariant* variant;
  attention::AttentionSpec spec;  // the variant's, with this cell's window and sinks
  std::string dtype_name;
  c10::ScalarType dtype;
  int64_t batch, heads, q_len, k_len, head_dim;
  int64_t kv_heads;  // Hkv: heads / kv_heads query heads share one key/value head
  bool rope;         // each call starts from the qkv projection and runs the fused RoPE kernel
  bool backward;     // each call runs forward + backward
};

// The attention inputs of one timed call: q (B, H, Tq, D); k, v (B, Hkv, Tk, D).
struct CallInputs {
  at::Tensor q, k, v;
};

// What each timed call runs before its attention: nothing (inputs drawn once), or, with --rope, our
// fused RoPE kernel from the qkv projection output (prefill: rope_split_qkv; decode: the step's
// key and value rotated into a KV cache of Tk slots at position Tk - 1, rope_split_qkv_into_cache).
std::function<CallInputs()> make_inputs(const Cell& c, c10::Device device) {
  const auto opts = at::TensorOptions().device(device).dtype(c.dtype);
  if (!c.rope) {
    const CallInputs in{at::randn({c.batch, c.heads, c.q_len, c.head_dim}, opts),
                        at::randn({c.batch, c.kv_heads, c.k_len, c.head_dim}, opts),
                        at::randn({c.batch, c.kv_heads, c.k_len, c.head_dim}, opts)};
    return [in] { return in; };
  }
  std::vector<float> freq(c.head_dim / 2);
  for (int64_t i = 0; i < c.head_dim / 2; ++i) freq[i] = static_cast<float>(std::pow(1e4, -2.0 * i / c.head_dim));
  const at::Tensor inv_freq = at::tensor(freq).to(device);
  const at::Tensor qkv = at::randn({c.batch, c.q_len, (c.heads + 2 * c.kv_heads) * c.head_dim}, opts);
  const int64_t heads = c.heads, kv_heads = c.kv_heads;
  if (c.q_len > 1) {
    return [qkv, inv_freq, heads, kv_heads] {
      const kernels::RotatedQkv r = kernels::rope_split_qkv(qkv, inv_freq, heads, kv_heads, 0);
      return CallInputs{r.q, r.k, r.v};
    };
  }
  at::Tensor cache = at::randn({2, c.batch, c.kv_heads, c.k_len, c.head_dim}, opts);
  const at::Tensor q_pos = at::full({1}, c.k_len - 1, at::TensorOptions().device(device).dtype(at::kLong));
  return [qkv, inv_freq, heads, kv_heads, q_pos, cache]() mutable {
    const at::Tensor q = kernels::rope_split_qkv_into_cache(qkv, inv_freq, heads, kv_heads, q_pos, cache);
    return CallInputs{q, cache.select(0, 0), cache.select(0, 1)};
  };
}

// The call of a flash cell: our op (CUDA kernels, or its CPU reference), named by its own choice.
std::function<void()> flash_call(const Cell& c, const std::function<CallInputs()>& inputs, c10::Device device,
                                 AttnBenchRow& row) {
  attention::AttentionPositions positions;
  positions.q_pos0 = c.k_len - c.q_len;
  kernels::AttentionOptions options = attention::flash_op_options(c.spec, positions, attn_bench_slopes(c.heads, device));
  options.scale = 1.0 / std::sqrt(static_cast<double>(c.head_dim));
  const at::Tensor key_start = at::zeros({c.batch}, at::TensorOptions().device(device).dtype(at::kInt));
  const CallInputs first = inputs();
  if (c.backward) {  // our training forward (LSE) and the fused backward, dO drawn once
    const at::Tensor dout = at::randn_like(first.q);
    const kernels::FlashForward f = kernels::flash_forward_with_lse(first.q, first.k, first.v, key_start, options);
    const kernels::FlashGradients g =
        kernels::flash_backward(dout, first.q, first.k, first.v, f.out, f.lse, key_start, options, false);
    row.kernel = f.kernel + "+" + g.kernel;
    return [inputs, key_start, options, dout] {
      const CallInputs in = inputs();
      const kernels::FlashForward fwd = kernels::flash_forward_with_lse(in.q, in.k, in.v, key_start, options);
      kernels::flash_backward(dout, in.q, in.k, in.v, fwd.out, fwd.lse, key_start, options, false);
    };
  }
  kernels::attention_op(first.q, first.k, first.v, key_start, options, &row.kernel);  // throws when unsupported
  return [inputs, key_start, options] {
    const CallInputs in = inputs();
    kernels::attention_op(in.q, in.k, in.v, key_start, options);
  };
}

// The call of an SDPA cell, or an empty function with row.status "skipped" and the reason.
std::function<void()> sdpa_call(const Cell& c, const std::function<CallInputs()>& inputs, c10::Device device,
                                AttnBenchRow& row) {
  const double scale = 1.0 / std::sqrt(static_cast<double>(c.head_dim));
  at::Tensor mask;
  try {
    mask = attn_bench_sdpa_mask(c.spec, c.heads, c.q_len, c.k_len, c.dtype, device);
  } catch (const c10::Error& e) {
    row.status = "skipped";
    row.reason = "mask does not fit: " + first_line(e.what_without_backtrace());
    return {};
  }
  const std::optional<at::Tensor> attn_mask = mask.defined() ? std::optional<at::Tensor>(mask) : std::nullopt;
  const bool is_causal = !mask.defined() && c.q_len > 1;  // Tq = Tk: SDPA's top-left causal equals ours
  const bool gqa = c.kv_heads != c.heads;                  // SDPA's own grouped-query attention
  const CallInputs first = inputs();
  const std::optional<at::SDPBackend> want = c.variant->sdpa_backend;
  WarningCollector warnings;
  int64_t chosen = -1;
  {
    c10::WarningUtils::WarningHandlerGuard guard(&warnings);
    try {
      chosen = at::_fused_sdp_choice(first.q, first.k, first.v, attn_mask, 0.0, is_causal, scale, gqa);
    } catch (const c10::Error& e) {
      row.status = "skipped";
      row.reason = fmt::format("{} refused: {}{}", c.variant->name, first_line(e.what_without_backtrace()),
                               warnings.text.empty() ? "" : " (" + first_line(warnings.text) + ")");
      return {};
    }
  }
  if (want && chosen != static_cast<int64_t>(*want)) {
    row.status = "skipped";
    row.reason = fmt::format("SDPA would run {} instead of {}", attention::sdpa_backend_name(chosen),
                             attention::sdpa_backend_name(static_cast<int64_t>(*want)));
    return {};
  }
  row.kernel = "sdpa:" + attention::sdpa_backend_name(chosen);
  if (c.backward) {  // SDPA's forward and its autograd backward, dO drawn once
    row.kernel += "+autograd";
    const at::Tensor dout = at::randn_like(first.q);
    return [inputs, attn_mask, is_causal, scale, gqa, dout] {
      const CallInputs in = inputs();
      const at::Tensor q = in.q.detach().requires_grad_(true), k = in.k.detach().requires_grad_(true),
                       v = in.v.detach().requires_grad_(true);
      const at::Tensor out = at::scaled_dot_product_attention(q, k, v, attn_mask, 0.0, is_causal, scale, gqa);
      torch::autograd::grad({out}, {q, k, v}, {dout});
    };
  }
  return [inputs, attn_mask, is_causal, scale, gqa] {
    const CallInputs in = inputs();
    at::scaled_dot_product_attention(in.q, in.k, in.v, attn_mask, 0.0, is_causal, scale, gqa);
  };
}

AttnBenchRow run_cell(const Cell& c, const AttnBenchConfig& cfg, c10::Device device, at::Tensor& flush) {
  AttnBenchRow row;
  row.variant = c.variant->name;
  row.dtype = c.dtype_name;
  row.batch = c.batch;
  row.heads = c.heads;
  row.q_len = c.q_len;
  row.k_len = c.k_len;
  row.head_dim = c.head_dim;
  row.kv_heads = c.kv_heads;
  row.rope = c.rope;
  row.window = c.spec.window;
  row.global_tokens = c.spec.global_tokens;
  auto skip = [&row](std::string reason) {
    row.status = "skipped";
    row.reason = std::move(reason);
    return row;
  };

  std::function<CallInputs()> inputs;
  try {
    inputs = make_inputs(c, device);
  } catch (const c10::Error& e) {
    return skip("inputs do not fit: " + first_line(e.what_without_backtrace()));
  }
  std::function<void()> call;
  std::unique_ptr<SdpaBackendScope> scope;  // held while the SDPA cell runs
  if (c.spec.kernel == attention::Kernel::kFlash) {
    try {
      call = flash_call(c, inputs, device, row);
    } catch (const std::exception& e) {
      return skip(first_line(e.what()));
    }
  } else {
    if (c.variant->sdpa_backend) scope = std::make_unique<SdpaBackendScope>(*c.variant->sdpa_backend);
    try {
      call = sdpa_call(c, inputs, device, row);
    } catch (const std::exception& e) {  // the RoPE kernel refused the inputs
      return skip(first_line(e.what()));
    }
    if (!call) return row;
  }
  try {
    TimedRuns timed = time_runs(call, cfg, device, flush);
    row.samples_ms = std::move(timed.samples_ms);
    row.stopped_by = timed.stopped_by;
    row.noise = relative_noise(row.samples_ms);
  } catch (const c10::Error& e) {
    return skip("failed: " + first_line(e.what_without_backtrace()));
  }
  summarise(row, c.dtype, c.backward);
  return row;
}

std::vector<Cell> make_cells(const AttnBenchConfig& cfg, const std::vector<AttnVariant>& variants) {
  std::vector<Cell> cells;
  const std::vector<int64_t>& lengths = cfg.decode ? cfg.kv_len : cfg.seq;
  for (const std::string& dtype_name : cfg.dtype) {
    const c10::ScalarType dtype = model::parse_dtype(dtype_name);
    for (int64_t b : cfg.batch) {
      for (int64_t h : cfg.heads) {
       for (int64_t kv_given : cfg.kv_heads) {
        const int64_t hkv = kv_given == 0 ? h : kv_given;
        if (h < 1 || !kernels::grouped_heads_valid(h, hkv))
          throw UsageError(fmt::format("attn-bench: --kv-heads {} does not divide --heads {} (grouped-query attention "
                                       "needs H % Hkv == 0)",
                                       kv_given, h));
        for (int64_t d : cfg.head_dim) {
          if (cfg.rope && d % 2 != 0) throw UsageError(fmt::format("attn-bench: --rope needs an even --head-dim, got {}", d));
          for (int64_t t : lengths) {
            for (const AttnVariant& variant : variants) {
              const bool sparse = variant.spec.sparse();
              for (int64_t w : sparse ? cfg.window : std::vector<int64_t>{0}) {
                if (b < 1 || h < 1 || d < 1 || t < 1 || (sparse && w < 1)) {
                  throw UsageError(fmt::format("attn-bench: sizes and windows must be >= 1 (B={} H={} D={} T={} W={})",
                                               b, h, d, t, w));
                }
                attention::AttentionSpec spec = variant.spec;
                spec.window = w;
                spec.global_tokens = sparse ? cfg.global_tokens : 0;
                spec.flash_arch = cfg.flash_arch;
                cells.push_back(
                    Cell{&variant, spec, dtype_name, dtype, b, h, cfg.decode ? 1 : t, t, d, hkv, cfg.rope, cfg.backward});
              }
            }
          }
        }
       }
      }
    }
  }
  return cells;
}

nlohmann::json config_json(const AttnBenchConfig& cfg, c10::Device device, bool flushed) {
  return {{"batch", cfg.batch},       {"heads", cfg.heads},
          {"kv_heads", cfg.kv_heads}, {"rope", cfg.rope},
          {"seq", cfg.seq},           {"kv_len", cfg.kv_len},
          {"head_dim", cfg.head_dim}, {"window", cfg.window},
          {"global_tokens", cfg.global_tokens}, {"dtype", cfg.dtype},
          {"flash_arch", enum_name(kernels::kFlashArchNames, cfg.flash_arch)},
          {"variants", cfg.variants}, {"decode", cfg.decode}, {"backward", cfg.backward},
          {"device", device.str()},   {"min_runs", cfg.min_runs},
          {"min_time_ms", cfg.min_time_ms}, {"max_runs", cfg.max_runs},
          {"max_noise", cfg.max_noise}, {"max_time_s", cfg.max_time_s},
          {"warmup_runs", cfg.warmup_runs}, {"flush_l2", flushed}};
}

// Ratios against our dense causal flash of the same shape (the window speed-up target).
void set_flash_ratios(std::vector<AttnBenchRow>& rows, const std::vector<Cell>& cells) {
  using Shape = std::tuple<std::string, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, bool>;
  auto shape = [](const AttnBenchRow& r) {
    return Shape{r.dtype, r.batch, r.heads, r.q_len, r.k_len, r.head_dim, r.kv_heads, r.rope};
  };
  std::map<Shape, double> dense;
  for (size_t i = 0; i < rows.size(); ++i)
    if (rows[i].ok() && cells[i].variant->is_dense_flash()) dense[shape(rows[i])] = rows[i].median_ms;
  for (AttnBenchRow& r : rows) {
    const auto it = dense.find(shape(r));
    if (r.ok() && it != dense.end()) r.flash_over_this = it->second / r.median_ms;
  }
}

}  // namespace

at::Tensor attn_bench_slopes(int64_t heads, c10::Device device) {
  const std::vector<double> slopes = attention::alibi_slopes(heads);
  return at::tensor(std::vector<float>(slopes.begin(), slopes.end())).to(device);
}

at::Tensor attn_bench_sdpa_mask(const attention::AttentionSpec& spec, int64_t heads, int64_t q_len, int64_t k_len,
                                c10::ScalarType dtype, c10::Device device) {
  if (!spec.alibi() && !spec.sparse()) return {};
  attention::AttentionPositions positions;  // no padding: one key_start broadcasts over the batch
  positions.key_start = at::zeros({1}, at::TensorOptions().device(device).dtype(at::kLong));
  positions.q_pos0 = k_len - q_len;
  const attention::QueryKeyPositions qk = attention::query_key_positions(positions, 0, q_len, 0, k_len, device);
  const at::Tensor visible = attention::visibility_mask(qk, positions, spec).unsqueeze(1);  // (1, 1, Tq, Tk)
  if (!spec.alibi()) return visible;
  return attention::alibi_additive_mask(qk, visible, attn_bench_slopes(heads, device), dtype);
}

std::string attn_bench_markdown(const std::vector<AttnBenchRow>& rows) {
  std::string s =
      "| variant | dtype | B | H | Hkv | Tq | Tk | D | W | rope | kernel | median ms | TFLOP/s | K/V GB/s | flash/this | "
      "note |\n"
      "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const AttnBenchRow& r : rows) {
    if (!r.ok()) {
      s += fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | - | - | - | - | skipped: {} |\n",
                       r.variant, r.dtype, r.batch, r.heads, r.kv_heads, r.q_len, r.k_len, r.head_dim, r.window,
                       r.rope ? "yes" : "no", r.kernel, r.reason);
      continue;
    }
    s += fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.4f} | {:.1f} | {} | {} | {} runs |\n",
                     r.variant, r.dtype, r.batch, r.heads, r.kv_heads, r.q_len, r.k_len, r.head_dim, r.window,
                     r.rope ? "yes" : "no", r.kernel, r.median_ms,
                     r.tflops, r.kv_gbps ? fmt::format("{:.0f}", *r.kv_gbps) : "-",
                     r.flash_over_this ? fmt::format("{:.2f}", *r.flash_over_this) : "-", r.samples_ms.size());
  }
  return s;
}

report::AttnBenchReport run_attn_bench(const AttnBenchConfig& cfg) {
  std::vector<AttnVariant> variants;
  for (const std::string& name : cfg.variants) variants.push_back(parse_attn_variant(name));
  check_stopping_rule(stopping_rule(cfg));
  (void)format_attn_bench(report::AttnBenchReport{}, cfg.format);  // a bad --format fails before any timing
  if (cfg.warmup_runs < 0) throw UsageError(fmt::format("--warmup must be >= 0, got {}", cfg.warmup_runs));
  if (cfg.backward && (cfg.decode || cfg.rope))
    throw UsageError("attn-bench: --backward times prefill without --rope (not with --decode or --rope)");
  const std::vector<Cell> cells = make_cells(cfg, variants);
  const c10::Device device = parse_device(cfg.device);

  // A buffer twice the L2 size, rewritten before every timed run, so no run finds the
  // previous run's K/V in L2.
  at::Tensor flush;
#ifdef GPTBENCH_HAVE_CUDA
  if (cfg.flush_l2 && device.is_cuda()) {
    const int64_t l2 = at::cuda::getDeviceProperties(device.index() < 0 ? 0 : device.index())->l2CacheSize;
    flush = at::empty({2 * l2}, at::TensorOptions().device(device).dtype(at::kByte));
  }
#endif

  std::vector<AttnBenchRow> rows;
  ProgressReporter progress("attn-bench", "shapes", cfg.progress);
  progress.start(static_cast<int64_t>(cells.size()));
  for (const Cell& c : cells) {
    rows.push_back(run_cell(c, cfg, device, flush));
    const AttnBenchRow& r = rows.back();
    progress.announce(fmt::format("{} {} B={} H={} Hkv={} T={} D={} W={}{}: {}", r.variant, r.dtype, r.batch, r.heads,
                                  r.kv_heads, r.k_len, r.head_dim, r.window, r.rope ? " rope" : "",
                                  r.ok() ? fmt::format("{:.4f} ms", r.median_ms) : r.reason));
    progress.update(static_cast<int64_t>(rows.size()));
  }
  set_flash_ratios(rows, cells);

  report::AttnBenchReport report;
  report.schema_version = report::kAttnBenchSchemaVersion;
  report.tool = tool_json();
  report.command = "attn-bench";
  report.env = environment_json(device);
  report.config = config_json(cfg, device, flush.defined());
  report.flops_rule =
      "TFLOP/s = 4*B*H*Tq*Tk*D/2 (causal prefill, windows counted as dense causal) or 4*B*H*Tk*D (decode) / median; "
      "K/V GB/s = 2*B*Hkv*Tk*D*bytes / median; with rope the median includes our fused RoPE kernel";
  if (cfg.backward) report.flops_rule += "; --backward: the median is forward + backward, FLOPs 2.5x the forward's";
  report.results = rows;
  std::fputs(format_attn_bench(report, cfg.format).c_str(), stdout);
  if (!cfg.out_path.empty()) io::write_file_atomic(cfg.out_path, to_json(report).dump(2) + "\n");
  return report;
}

}  // namespace gptbench::bench
