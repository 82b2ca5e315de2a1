// `gptbench attn-bench`: parses the list-valued axes and hands them to gptbench::bench.
// Lists are comma-separated (--seq 1024,4096); the runs are their cross product.
#include <CLI/CLI.hpp>  // CLI::App

#include <memory>  // std::make_shared

#include "attn_bench.h"                // AttnBenchConfig, run_attn_bench
#include "command.h"                   // register_attn_bench_command
#include "enum_option.h"               // add_enum_option
#include "gptbench/io/output_path.h"   // check_output_path
#include "gptbench/kernels/flash_arch.h"  // kFlashArchNames
#include "progress_options.h"          // add_progress_options
#include "written_files.h"             // print_written_files

namespace gptbench::cli {

void register_attn_bench_command(CLI::App& app) {
  auto cfg = std::make_shared<bench::AttnBenchConfig>();
  CLI::App* sub = app.add_subcommand(
      "attn-bench",
      "Time attention kernels (our flash kernels, each SDPA backend) over the cross product of the axes");
  sub->add_option("--batch", cfg->batch, "Batch sizes B")->delimiter(',')->capture_default_str();
  sub->add_option("--heads", cfg->heads, "Head counts H")->delimiter(',')->capture_default_str();
  sub->add_option("--kv-heads", cfg->kv_heads,
                  "Key/value head counts Hkv (grouped-query attention, H % Hkv == 0); 0 = H")
      ->delimiter(',')
      ->capture_default_str();
  sub->add_flag("--rope", cfg->rope,
                "Start every timed call from the qkv projection and apply RoPE with our fused kernel "
                "(rope_split_qkv; decode: into a KV cache) before the attention");
  sub->add_option("--seq", cfg->seq, "Prefill lengths T (Tq = Tk = T)")->delimiter(',')->capture_default_str();
  sub->add_option("--head-dim", cfg->head_dim, "Head dims D")->delimiter(',')->capture_default_str();
  sub->add_option("--dtype", cfg->dtype, "Dtypes: fp16, bf16 (fp32: the CPU reference and SDPA only)")
      ->delimiter(',')
      ->capture_default_str();
  sub->add_option("--variants", cfg->variants,
                  "Variants: flash, sdpa (PyTorch's choice), sdpa-flash, sdpa-cudnn, sdpa-efficient, sdpa-math, each "
                  "optionally +alibi (SDPA gets a materialised bias) and/or +sparse (SDPA gets a boolean window mask)")
      ->delimiter(',')
      ->capture_default_str();
  sub->add_option("--window", cfg->window, "Windows W of the +sparse variants")->delimiter(',')->capture_default_str();
  add_enum_option(sub, "--flash-arch", kernels::kFlashArchNames, cfg->flash_arch,
                  "Prefill kernel of the flash variants: sm90, sm80, auto (sm90 where it runs)");
  sub->add_option("--global-tokens", cfg->global_tokens, "Sink tokens of the +sparse variants")
      ->capture_default_str();
  sub->add_option("--device", cfg->device,
                  "cuda[:i] times the kernels; cpu runs our op's CPU reference and SDPA on the CPU (smoke runs)")
      ->capture_default_str();
  sub->add_flag("--decode", cfg->decode, "Decode: Tq = 1 against --kv-len keys (reports K/V GB/s)");
  sub->add_flag("--backward", cfg->backward,
                "Time forward + backward (flash: our fused backward kernel; sdpa: its autograd); TFLOP/s at 2.5x "
                "the forward's FLOPs");
  sub->add_option("--kv-len", cfg->kv_len, "Decode KV lengths Tk")->delimiter(',')->capture_default_str();
  sub->add_option("--min-runs", cfg->min_runs, "Timed runs at least")->capture_default_str();
  sub->add_option("--min-time-ms", cfg->min_time_ms, "Timed milliseconds at least")->capture_default_str();
  sub->add_option("--max-runs", cfg->max_runs, "Timed runs at most")->capture_default_str();
  sub->add_option("--max-noise", cfg->max_noise,
                  "After the minimums, go on until the runs' relative std dev (std/mean) is at most this, e.g. 0.01; "
                  "0: off (nvbench's stopping rule; the report's stopped_by says which criterion ended a row)")
      ->capture_default_str();
  sub->add_option("--max-time", cfg->max_time_s, "Seconds of wall time per shape at most (0: no bound)")
      ->capture_default_str();
  sub->add_option("--warmup", cfg->warmup_runs, "Untimed warm-up runs")->capture_default_str();
  sub->add_flag("!--no-l2-flush", cfg->flush_l2, "Do not rewrite an L2-sized buffer between runs");
  sub->add_option("--out", cfg->out_path, "Write the JSON report here (atomically)");
  sub->add_option("--format", cfg->format, "stdout: md (a table), csv, json (the report), jsonl (one row per line)")
      ->check(CLI::IsMember({"md", "csv", "json", "jsonl"}))
      ->capture_default_str();
  add_progress_options(sub, cfg->progress);
  sub->callback([cfg] {
    io::check_output_path(cfg->out_path, "--out");
    bench::run_attn_bench(*cfg);
    if (cfg->progress.enabled) print_written_files({{"--out", cfg->out_path}});
  });
}

}  // namespace gptbench::cli
