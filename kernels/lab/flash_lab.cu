// Lab: the flash kernels at shapes and launch choices other than production's, fp16, D = 64,
// timed with CUDA events (L2 flushed between runs) on random data, no torch.
//  - prefill tile shapes (warps x m tiles per warp x KV tile x Q storage x min CTAs/SM),
//    causal, ALiBi and window W = 256;
//    prints the largest difference to the first shape (same function: a big one is a bug);
//  - decode split counts and loads in flight (kUnroll) at B = 8, H = 12 (* = production's choice).
// Winners go into flash_config.h; NOTES.md keeps the numbers.
#include <cuda_fp16.h>     // __half
#include <cuda_runtime.h>  // cudaMalloc, cudaEvent*

#include <algorithm>   // std::max
#include <cmath>       // std::fabs, std::sqrt
#include <cstdio>      // std::printf
#include <vector>      // std::vector

#include "flash_decode.cuh"   // launch_flash_decode_unrolled
#include "flash_launch.h"     // choose_decode_splits
#include "flash_prefill.cuh"  // launch_flash_prefill_tiled
#include "lab_timing.cuh"     // CHECK_CUDA, fill_normalish, Timer

namespace gk = gptbench::kernels;

using Launch = cudaError_t (*)(const gk::AttentionParams&, cudaStream_t);

struct Buffers {
  __half *q = nullptr, *k = nullptr, *v = nullptr, *o = nullptr, *o_ref = nullptr;
  int* key_start = nullptr;
  float *part = nullptr, *lse = nullptr, *slopes = nullptr;
  size_t nq = 0, nk = 0;
  Buffers(size_t nq_, size_t nk_, int batch) : nq(nq_), nk(nk_) {
    CHECK_CUDA(cudaMalloc(&q, nq * 2));
    CHECK_CUDA(cudaMalloc(&k, nk * 2));
    CHECK_CUDA(cudaMalloc(&v, nk * 2));
    CHECK_CUDA(cudaMalloc(&o, nq * 2));
    CHECK_CUDA(cudaMalloc(&o_ref, nq * 2));
    CHECK_CUDA(cudaMalloc(&key_start, batch * sizeof(int)));
    CHECK_CUDA(cudaMemset(key_start, 0, batch * sizeof(int)));
    CHECK_CUDA(cudaMalloc(&part, size_t(batch) * 64 * 128 * 64 * sizeof(float)));
    CHECK_CUDA(cudaMalloc(&lse, size_t(batch) * 64 * 128 * sizeof(float)));
    CHECK_CUDA(cudaMalloc(&slopes, 64 * sizeof(float)));
    std::vector<float> host_slopes(64);
    for (int i = 0; i < 64; ++i) host_slopes[i] = std::pow(2.f, -8.f * (i % 12 + 1) / 12.f);
    CHECK_CUDA(cudaMemcpy(slopes, host_slopes.data(), 64 * sizeof(float), cudaMemcpyHostToDevice));
    fill_normalish<<<1024, 256>>>(q, nq, 1u);
    fill_normalish<<<1024, 256>>>(k, nk, 2u);
    fill_normalish<<<1024, 256>>>(v, nk, 3u);
    CHECK_CUDA(cudaGetLastError());
  }
  ~Buffers() {
    cudaFree(q);
    cudaFree(k);
    cudaFree(v);
    cudaFree(o);
    cudaFree(o_ref);
    cudaFree(key_start);
    cudaFree(part);
    cudaFree(lse);
    cudaFree(slopes);
  }
  double max_diff() const {
    std::vector<__half> x(nq), y(nq);
    CHECK_CUDA(cudaMemcpy(x.data(), o_ref, nq * 2, cudaMemcpyDeviceToHost));
    CHECK_CUDA(cudaMemcpy(y.data(), o, nq * 2, cudaMemcpyDeviceToHost));
    double m = 0;
    for (size_t i = 0; i < nq; ++i) m = std::max(m, double(std::fabs(__half2float(x[i]) - __half2float(y[i]))));
    return m;
  }
};

gk::AttentionParams params(const Buffers& buf, int b, int h, int tq, int tk) {
  const int D = 64;
  gk::AttentionParams p;
  p.q = buf.q;
  p.k = buf.k;
  p.v = buf.v;
  p.out = buf.o;
  const int64_t qs[3] = {int64_t(h) * tq * D, int64_t(tq) * D, D};
  const int64_t ks[3] = {int64_t(h) * tk * D, int64_t(tk) * D, D};
  for (int i = 0; i < 3; ++i) {
    p.q_strides[i] = p.out_strides[i] = qs[i];
    p.k_strides[i] = p.v_strides[i] = ks[i];
  }
  p.key_start = buf.key_start;
  p.batch = b;
  p.heads = p.kv_heads = h;
  p.q_len = tq;
  p.k_len = tk;
  p.head_dim = D;
  p.q_pos0 = tk - tq;
  p.scale = 1.f / std::sqrt(float(D));
  p.partial_out = buf.part;
  p.partial_lse = buf.lse;
  return p;
}

void prefill_lab(Timer& timer) {
  struct Config {
    const char* name;
    Launch causal, alibi, window;
  };
  using gk::MaskPolicy;
  using gk::QStorage;
#define LAB_CONFIG(name, warps, mtiles, bn, q, min_ctas)                                               \
  Config {                                                                                             \
    name, gk::launch_flash_prefill_tiled<__half, 64, MaskPolicy::kCausal, warps, mtiles, bn, q, min_ctas>, \
        gk::launch_flash_prefill_tiled<__half, 64, MaskPolicy::kAlibi, warps, mtiles, bn, q, min_ctas>,    \
        gk::launch_flash_prefill_tiled<__half, 64, MaskPolicy::kWindow, warps, mtiles, bn, q, min_ctas>    \
  }
  const Config configs[] = {
      LAB_CONFIG("w4_mt2_bn128_qsmem", 4, 2, 128, QStorage::kShared, 1),     // prod: causal, ALiBi
      LAB_CONFIG("w4_mt2_bn64_qreg", 4, 2, 64, QStorage::kRegisters, 1),     // v3 causal, v4 ALiBi
      LAB_CONFIG("w4_mt1_bn64_qsmem_4cta", 4, 1, 64, QStorage::kShared, 4),  // prod: window
  };
#undef LAB_CONFIG
  struct Shape {
    int b, h, t;
  };
  for (const Shape s : {Shape{16, 12, 1024}, Shape{4, 12, 4096}, Shape{1, 12, 16384}}) {
    Buffers buf(size_t(s.b) * s.h * s.t * 64, size_t(s.b) * s.h * s.t * 64, s.b);
    const double flops = 4.0 * s.b * s.h * double(s.t) * s.t * 64 / 2;
    // variant 0: causal, 1: ALiBi, 2: window W = 256 (T = 16384 only).
    for (int variant = 0; variant < 3; ++variant) {
      if (variant == 2 && s.t != 16384) continue;
      bool first = true;
      for (const Config& c : configs) {
        gk::AttentionParams p = params(buf, s.b, s.h, s.t, s.t);
        p.out = first ? buf.o_ref : buf.o;
        p.window = variant == 2 ? 256 : 0;
        p.alibi_slopes = variant == 1 ? buf.slopes : nullptr;
        const Launch launch = variant == 0 ? c.causal : variant == 1 ? c.alibi : c.window;
        const double ms = timer.median_ms([&] { return launch(p, 0); });
        const char* what[] = {"causal", "alibi", "W=256"};
        std::printf("lab prefill B=%d H=%d T=%d %-6s %-22s %.4f ms  %6.1f TFLOP/s (dense-causal count)  max|diff| %.2e\n",
                    s.b, s.h, s.t, what[variant], c.name, ms, flops / (ms * 1e-3) * 1e-12,
                    first ? 0.0 : buf.max_diff());
        first = false;
      }
    }
  }
}

void decode_lab(Timer& timer) {
  using gk::MaskPolicy;
  const Launch unrolls[] = {gk::launch_flash_decode_unrolled<__half, 64, MaskPolicy::kCausal, 4>,
                            gk::launch_flash_decode_unrolled<__half, 64, MaskPolicy::kCausal, 8>};
  const int unroll_values[] = {4, 8};
  int sms = 0;
  CHECK_CUDA(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0));
  const int b = 8, h = 12;
  for (int tk : {4096, 32768}) {
    Buffers buf(size_t(b) * h * 64, size_t(b) * h * tk * 64, b);
    const double bytes = 2.0 * b * h * tk * 64 * 2;
    gk::AttentionParams probe = params(buf, b, h, 1, tk);
    probe.decode_span = tk;
    const int chosen = gk::choose_decode_splits(probe, sms, gk::kDecodeMinKeysPerSplit);
    for (int u = 0; u < 2; ++u) {
      for (int splits : {1, 4, 6, 7, 8, 9, 12, 16}) {
        gk::AttentionParams p = params(buf, b, h, 1, tk);
        p.num_splits = splits;
        p.out = splits == 1 && u == 0 ? buf.o_ref : buf.o;
        const double ms = timer.median_ms([&] { return unrolls[u](p, 0); });
        std::printf("lab decode B=%d H=%d Tk=%d unroll=%d splits=%2d%s %.4f ms  %5.0f GB/s  max|diff| %.2e\n", b, h,
                    tk, unroll_values[u], splits, splits == chosen && u == 0 ? "*" : " ", ms, bytes / (ms * 1e-3) * 1e-9,
                    splits == 1 && u == 0 ? 0.0 : buf.max_diff());
      }
    }
  }
}

int main() {
  Timer timer;
  prefill_lab(timer);
  decode_lab(timer);
  return 0;
}
