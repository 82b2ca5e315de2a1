// Microbenchmark of the decode GEMV per weight format (run by hand on a GPU; not a test):
//   quant_gemv_bench [ITERATIONS]
// For GPT-2, GPT-2 XL and Mistral-7B projection shapes, fp16 inputs and 1, 2, 4, 8 rows, one JSON
// line per (shape, format, rows): microseconds per call of our kernel (fp16: the dense GEMV; int8,
// int4 g128 (g64 where K = 1600), nf4: the quantized GEMV), cuBLAS's fp16 at::linear for the same
// call, the weight bytes, and the floor = weight bytes / the device's measured copy bandwidth.
// Timed with CUDA events over ITERATIONS back-to-back calls (default 200) after 20 warm-ups.
#include <ATen/ATen.h>               // at::randn, at::empty, at::linear
#include <ATen/Context.h>            // at::hasCUDA
#include <ATen/cuda/CUDAEvent.h>     // at::cuda::CUDAEvent
#include <c10/core/InferenceMode.h>  // c10::InferenceMode
#include <c10/cuda/CUDAStream.h>     // c10::cuda::getCurrentCUDAStream

#include <cstdio>      // std::printf, std::fprintf
#include <cstdlib>     // std::atoi
#include <functional>  // std::function
#include <string>      // std::string

#include "gptbench/kernels/fused_linear.h"      // fused_linear, kGemvKernelMaxRows
#include "gptbench/kernels/quantized_linear.h"  // quantized_linear
#include "gptbench/quant/quantize.h"            // quantize, weight_bytes

namespace {

using gptbench::quant::QuantFormat;

// Microseconds per call of f, averaged over `iterations` calls after 20 warm-ups.
double time_us(const std::function<void()>& f, int iterations) {
  for (int i = 0; i < 20; ++i) f();
  at::cuda::CUDAEvent start(cudaEventDefault), stop(cudaEventDefault);
  const auto stream = c10::cuda::getCurrentCUDAStream();
  start.record(stream);
  for (int i = 0; i < iterations; ++i) f();
  stop.record(stream);
  stop.synchronize();
  return static_cast<double>(start.elapsed_time(stop)) * 1000.0 / iterations;
}

// Device bandwidth in bytes/s: a 1 GiB device-to-device copy reads and writes every byte.
double copy_bandwidth() {
  const int64_t bytes = int64_t{1} << 30;
  const at::Tensor a = at::empty({bytes}, at::TensorOptions().dtype(at::kByte).device(at::kCUDA));
  at::Tensor b = at::empty_like(a);
  const double us = time_us([&] { b.copy_(a); }, 20);
  return 2.0 * static_cast<double>(bytes) / (us * 1e-6);
}

}  // namespace

int main(int argc, char** argv) {
  if (!at::hasCUDA()) {
    std::fprintf(stderr, "quant_gemv_bench: no CUDA device\n");
    return 1;
  }
  const int iterations = argc > 1 ? std::atoi(argv[1]) : 200;
  if (iterations <= 0) {
    std::fprintf(stderr, "quant_gemv_bench: ITERATIONS must be a positive integer\n");
    return 2;
  }
  c10::InferenceMode inference;
  const double bandwidth = copy_bandwidth();
  std::printf("{\"device\": \"%s\", \"copy_bandwidth_gbs\": %.1f}\n", at::cuda::getCurrentDeviceProperties()->name,
              bandwidth / 1e9);
  struct Shape {
    const char* name;
    int64_t k, n;
  };
  const Shape shapes[] = {{"gpt2.qkv", 768, 2304},     {"gpt2.mlp_up", 768, 3072},   {"gpt2.mlp_down", 3072, 768},
                          {"gpt2-xl.qkv", 1600, 4800}, {"gpt2-xl.mlp_up", 1600, 6400}, {"gpt2-xl.mlp_down", 6400, 1600},
                          {"mistral.mlp_up", 4096, 14336}, {"mistral.mlp_down", 14336, 4096}};
  const auto opt = at::TensorOptions().dtype(at::kHalf).device(at::kCUDA);
  for (const Shape& s : shapes) {
    const at::Tensor w = at::randn({s.n, s.k}, opt) * 0.02;
    const int64_t group = s.k % 128 == 0 ? 128 : 64;
    for (const int64_t rows : {1, 2, 4, 8}) {
      const at::Tensor x = at::randn({rows, 1, s.k}, opt);
      gptbench::kernels::FusedLinearOptions o;
      o.gemv_max_rows = gptbench::kernels::kGemvKernelMaxRows;
      const double cublas = time_us([&] { at::linear(x, w); }, iterations);
      const auto report = [&](const char* format, double us, int64_t bytes, const std::string& path) {
        const double floor_us = static_cast<double>(bytes) / bandwidth * 1e6;
        std::printf("{\"shape\": \"%s\", \"k\": %lld, \"n\": %lld, \"rows\": %lld, \"format\": \"%s\", \"path\": \"%s\", "
                    "\"us\": %.2f, \"cublas_fp16_us\": %.2f, \"weight_bytes\": %lld, \"floor_us\": %.2f, "
                    "\"vs_floor\": %.2f}\n",
                    s.name, static_cast<long long>(s.k), static_cast<long long>(s.n), static_cast<long long>(rows), format,
                    path.c_str(), us, cublas, static_cast<long long>(bytes), floor_us, us / floor_us);
      };
      std::string path;
      gptbench::kernels::fused_linear(x, w, o, &path);
      report("fp16", time_us([&] { gptbench::kernels::fused_linear(x, w, o); }, iterations), w.numel() * 2, path);
      for (const auto& [name, spec] :
           {std::pair<const char*, gptbench::quant::QuantSpec>{"int8", {QuantFormat::kInt8, 0, false}},
            {"int4", {QuantFormat::kInt4, group, false}},
            {"nf4", {QuantFormat::kNf4, 0, false}}}) {
        const gptbench::quant::QuantizedWeight q = gptbench::quant::quantize(w, spec);
        gptbench::kernels::quantized_linear(x, q, o, &path);
        report(name, time_us([&] { gptbench::kernels::quantized_linear(x, q, o); }, iterations),
               gptbench::quant::weight_bytes(q).after, path);
      }
    }
  }
  return 0;
}
