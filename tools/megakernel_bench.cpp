// megakernel_bench: issue 22's measurement in one process. Greedy decode of one checkpoint, B rows of a random
// prompt, the persistent decode megakernel (gptbench/kernels/decode_megakernel.h; flags, and the grid-barrier A/B)
// against the CUDA-graph decode (model::DecodeGraph), same prompt, same batch:
//   ms/token (median of --repeats timed runs of --new steps, CUDA events, no host synchronisation inside a run),
//   the bytes a megakernel step streams (weights once, the keys/values it reads) over its time, against the
//   device's copy bandwidth measured here (a 1 GiB device-to-device copy, read + write counted), and the weight
//   floor (the checkpoint's weight bytes at that bandwidth); whether the greedy tokens agree (an untimed run each).
//   megakernel_bench --model DIR [--dtype fp16|bf16] [--batch 1] [--prompt 512] [--new 64] [--repeats 5]
//                    [--json FILE]
// Prints a markdown table; --json writes the same numbers as one JSON object.
#include <ATen/cuda/CUDAEvent.h>     // at::cuda::CUDAEvent
#include <ATen/ops/argmax.h>         // at::argmax
#include <ATen/ops/empty.h>          // at::empty
#include <ATen/ops/full.h>           // at::full
#include <ATen/ops/tensor.h>         // at::tensor
#include <ATen/ops/zeros.h>          // at::zeros
#include <c10/core/InferenceMode.h>  // c10::InferenceMode
#include <c10/cuda/CUDAStream.h>     // c10::cuda::getCurrentCUDAStream
#include <fmt/format.h>              // fmt::format, fmt::print

#include <algorithm>   // std::sort
#include <cstdint>     // int64_t, uint64_t
#include <fstream>     // std::ofstream
#include <functional>  // std::function
#include <string>      // std::string, std::stoi
#include <vector>      // std::vector

#include <nlohmann/json.hpp>  // nlohmann::json

#include "gptbench/attention/variant.h"          // parse_variant
#include "gptbench/kernels/decode_megakernel.h"  // DecodeMegakernel
#include "gptbench/model/checkpoint.h"           // load_model, parse_dtype
#include "gptbench/model/decode_graph.h"         // DecodeGraph
#include "gptbench/model/gpt2_megakernel.h"      // megakernel_weights, megakernel_unsupported_reason
#include "gptbench/model/kv_cache.h"             // DenseKvCache
#include "gptbench/util/error.h"                 // UsageError
#include "gptbench/util/tool_main.h"             // tool_main

namespace {

using namespace gptbench;

// Median milliseconds of `repeats` runs of `body` between two CUDA events on the current stream.
double median_ms(int repeats, const std::function<void()>& before, const std::function<void()>& body) {
  std::vector<double> ms;
  for (int r = 0; r < repeats; ++r) {
    before();
    at::cuda::CUDAEvent start(cudaEventDefault), end(cudaEventDefault);
    const auto stream = c10::cuda::getCurrentCUDAStream();
    start.record(stream);
    body();
    end.record(stream);
    end.synchronize();
    ms.push_back(static_cast<double>(start.elapsed_time(end)));
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

// Bytes per second of a device-to-device copy of 1 GiB, read and write counted (scripts/gpu/copy_bandwidth.py's
// measure, in this process).
double copy_bandwidth(c10::Device device) {
  const at::Tensor x = at::empty({int64_t{1} << 29}, at::TensorOptions().dtype(at::kHalf).device(device));
  const at::Tensor y = at::empty_like(x);
  for (int i = 0; i < 3; ++i) y.copy_(x);
  constexpr int kCopies = 10;
  const double ms = median_ms(
      3, [] {},
      [&] {
        for (int i = 0; i < kCopies; ++i) y.copy_(x);
      });
  return 2.0 * static_cast<double>(x.nbytes()) * kCopies / (ms / 1e3);
}

int run(int argc, char** argv) {
  std::string dir, dtype_name = "fp16", json_path;
  int64_t batch = 1, prompt = 512, new_tokens = 64;
  int repeats = 5;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) throw UsageError(fmt::format("flag {} needs a value", flag));
    const std::string value = argv[++i];
    if (flag == "--model")
      dir = value;
    else if (flag == "--dtype")
      dtype_name = value;
    else if (flag == "--batch")
      batch = std::stoll(value);
    else if (flag == "--prompt")
      prompt = std::stoll(value);
    else if (flag == "--new")
      new_tokens = std::stoll(value);
    else if (flag == "--repeats")
      repeats = std::stoi(value);
    else if (flag == "--json")
      json_path = value;
    else
      throw UsageError(fmt::format("unknown flag {}", flag));
  }
  if (dir.empty()) throw UsageError("--model DIR is required");
  if (batch < 1 || prompt < 1 || new_tokens < 1 || repeats < 1) throw UsageError("sizes must be positive");
  c10::InferenceMode inference;
  const c10::Device cuda(c10::kCUDA, 0);
  const model::LoadedModel loaded =
      model::load_model(dir, attention::parse_variant("flash", {}), model::parse_dtype(dtype_name), cuda);
  model::CausalLm& m = *loaded.model;
  const std::string why = model::megakernel_unsupported_reason(m, batch);
  if (!why.empty()) throw Error("the decode megakernel cannot run this model: " + why);
  const int64_t vocab = m.shape().vocab_size;
  const int64_t capacity = (prompt + new_tokens + 63) / 64 * 64;

  // A random prompt (a fixed generator: the same tokens on every machine), every row the same length.
  std::vector<int64_t> ids_host(static_cast<size_t>(batch * prompt));
  uint64_t x = 20261204;
  for (int64_t& id : ids_host) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    id = static_cast<int64_t>((x >> 33) % static_cast<uint64_t>(vocab));
  }
  const at::Tensor ids = at::tensor(ids_host, at::kLong).view({batch, prompt}).to(cuda);
  const at::Tensor key_start = at::zeros({batch}, ids.options());
  const double bandwidth = copy_bandwidth(cuda);

  // The CUDA-graph decode.
  model::GraphCaptureStats stats;
  model::DecodeGraph graph(m, batch, capacity, &stats);
  const at::Tensor first = at::argmax(graph.prefill(ids, key_start).select(1, 0), -1);
  std::vector<int64_t> graph_tokens;
  graph.set_input(first, prompt);
  for (int64_t s = 0; s < new_tokens; ++s) {
    graph.replay();
    const at::Tensor t = graph.next_tokens().to(at::kCPU);
    graph_tokens.insert(graph_tokens.end(), t.data_ptr<int64_t>(), t.data_ptr<int64_t>() + batch);
  }
  const double graph_ms = median_ms(
                              repeats, [&] { graph.set_input(first, prompt); },
                              [&] {
                                for (int64_t s = 0; s < new_tokens; ++s) graph.replay();
                              }) /
                          static_cast<double>(new_tokens);

  // The megakernel, from its own cache with the same prefill.
  model::DenseKvCache cache(m.cache_shape(batch), capacity);
  m.forward(ids, attention::AttentionPositions{key_start, 0, {}, /*left_padded=*/false}, &cache,
            model::LogitsMode::kLastPosition);
  std::vector<at::Tensor> kv;
  for (int64_t l = 0; l < m.shape().n_layer; ++l) kv.push_back(cache.device_position_buffer(l));
  const at::Tensor step_ids = first.clone(), pos = at::full({1}, prompt, first.options());
  struct Mode {
    std::string name;
    double ms = 0;
    int64_t bytes = 0;
  };
  std::vector<Mode> modes;
  std::vector<int64_t> mega_tokens;
  for (const int barriers : {0, 1}) {
    kernels::DecodeMegakernel mega(model::megakernel_weights(m), kv, barriers);
    auto reset = [&] {
      step_ids.copy_(first);
      pos.fill_(prompt);
    };
    if (barriers == 0) {
      reset();
      for (int64_t s = 0; s < new_tokens; ++s) {
        mega.step(step_ids, pos, {});
        const at::Tensor t = step_ids.to(at::kCPU);
        mega_tokens.insert(mega_tokens.end(), t.data_ptr<int64_t>(), t.data_ptr<int64_t>() + batch);
      }
    }
    const double ms = median_ms(repeats, reset,
                                [&] {
                                  for (int64_t s = 0; s < new_tokens; ++s) mega.step(step_ids, pos, {});
                                }) /
                      static_cast<double>(new_tokens);
    if (mega.error() != 0) throw Error(fmt::format("{}: the kernel reported error {}", mega.name(), mega.error()));
    modes.push_back({mega.name(), ms, mega.step_bytes(prompt + new_tokens / 2)});
  }
  size_t same = 0;
  while (same < graph_tokens.size() && same < mega_tokens.size() && graph_tokens[same] == mega_tokens[same]) ++same;

  const double floor_ms = static_cast<double>(loaded.weight_bytes) / bandwidth * 1e3;
  fmt::print(
      "## {} ({}), B{}, {}-token prompt + {} tokens; copy bandwidth {:.2f} TB/s, weights {:.1f} MB "
      "(floor {:.4f} ms)\n\n",
      dir, dtype_name, batch, prompt, new_tokens, bandwidth / 1e12, loaded.weight_bytes / 1e6, floor_ms);
  fmt::print("| decode | ms/token | x weight floor | bytes/token | GB/s | of copy BW | vs graph |\n");
  fmt::print("|---|---|---|---|---|---|---|\n");
  fmt::print("| graph ({}) | {:.4f} | {:.2f} | | | | 1.00 |\n", graph.step_kernels().linear, graph_ms,
             graph_ms / floor_ms);
  nlohmann::json out = {{"model", dir},
                        {"dtype", dtype_name},
                        {"batch", batch},
                        {"prompt", prompt},
                        {"new_tokens", new_tokens},
                        {"copy_bandwidth", bandwidth},
                        {"weight_bytes", loaded.weight_bytes},
                        {"floor_ms", floor_ms},
                        {"graph_ms_per_token", graph_ms},
                        {"graph_kernels", graph.step_kernels().linear},
                        {"tokens_same", same},
                        {"tokens", graph_tokens.size()}};
  for (const Mode& mode : modes) {
    const double gbs = static_cast<double>(mode.bytes) / (mode.ms / 1e3) / 1e9;
    fmt::print("| {} | {:.4f} | {:.2f} | {:.1f} MB | {:.0f} | {:.2f} | {:.2f}x |\n", mode.name, mode.ms,
               mode.ms / floor_ms, mode.bytes / 1e6, gbs, gbs * 1e9 / bandwidth, graph_ms / mode.ms);
    out["megakernel"].push_back({{"name", mode.name}, {"ms_per_token", mode.ms}, {"bytes_per_token", mode.bytes}});
  }
  fmt::print("\ngreedy tokens: {} of {} as the graph decode's{}\n", same, graph_tokens.size(),
             same == graph_tokens.size() ? "" : " (first difference at step " + std::to_string(same / batch) + ")");
  if (!json_path.empty()) std::ofstream(json_path) << out.dump() << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return gptbench::tool_main("megakernel_bench", argc, argv, run); }
