// Lab: the sm_90a prefill kernel (flash_prefill_sm90.cuh) against a CPU fp64 reference and
// against today's sm_80 kernel (run_flash_prefill), then timed next to it. No torch.
//  - check: fresh random inputs per case, outputs poisoned with NaN before every launch,
//    fp16/bf16 x D 64/128 x every mask policy, odd lengths, left padding (padded K/V slots
//    hold NaN: they must never be read), Tq != Tk, a (B, T, H, D) strided layout. A case passes
//    when every output is finite and the sm_90 error against fp64 is at most 2x the sm_80
//    kernel's (plus one output ulp at 1.0), the lab's stand-in for "2x SDPA's error"; shapes
//    with more query blocks than resident CTAs exercise the persistent grid.
//  - time: CUDA events, L2 flushed before each run, median of 30 after 3 warm-ups, random
//    data, the issue's shapes (H 12); TFLOP/s counts 4·B·H·T²·D/2 (dense causal) for every policy.
// Exit status 1 when any check fails. Usage: flash_sm90_lab [check|time|all]
#include <cuda_bf16.h>     // __nv_bfloat16, host conversions
#include <cuda_fp16.h>     // __half, host conversions
#include <cuda_runtime.h>  // cudaMalloc, cudaMemcpy, cudaMemset

#include <algorithm>   // std::max
#include <cmath>       // std::sqrt, std::exp, std::isfinite, std::pow
#include <cstdio>      // std::printf
#include <random>      // std::mt19937, std::normal_distribution
#include <string>      // std::string
#include <vector>      // std::vector

#include "flash_instances.h"     // run_flash_prefill (today's sm_80 kernel)
#include "flash_prefill_sm90.h"  // run_flash_prefill_sm90
#include "lab_timing.cuh"         // CHECK_CUDA, fill_normalish, Timer

namespace gk = gptbench::kernels;
using gk::MaskPolicy;

using Launch = cudaError_t (*)(const gk::AttentionParams&, cudaStream_t);
enum class Path { kSm80 = 0, kSm90 = 1 };
const char* kPolicyNames[] = {"causal", "alibi", "window", "alibi_window"};

// [path][bf16][D == 128][policy]
template <typename T, int D>
void fill_launches(Launch (&sm80)[4], Launch (&sm90)[4]) {
  sm80[0] = gk::run_flash_prefill<T, D, MaskPolicy::kCausal>;
  sm80[1] = gk::run_flash_prefill<T, D, MaskPolicy::kAlibi>;
  sm80[2] = gk::run_flash_prefill<T, D, MaskPolicy::kWindow>;
  sm80[3] = gk::run_flash_prefill<T, D, MaskPolicy::kAlibiWindow>;
  sm90[0] = gk::run_flash_prefill_sm90<T, D, MaskPolicy::kCausal>;
  sm90[1] = gk::run_flash_prefill_sm90<T, D, MaskPolicy::kAlibi>;
  sm90[2] = gk::run_flash_prefill_sm90<T, D, MaskPolicy::kWindow>;
  sm90[3] = gk::run_flash_prefill_sm90<T, D, MaskPolicy::kAlibiWindow>;
}
Launch launch_for(Path path, bool bf16, int d, MaskPolicy policy) {
  static Launch table[2][2][2][4];
  static bool ready = false;
  if (!ready) {
    fill_launches<__half, 64>(table[0][0][0], table[1][0][0]);
    fill_launches<__half, 128>(table[0][0][1], table[1][0][1]);
    fill_launches<__nv_bfloat16, 64>(table[0][1][0], table[1][1][0]);
    fill_launches<__nv_bfloat16, 128>(table[0][1][1], table[1][1][1]);
    ready = true;
  }
  return table[static_cast<int>(path)][bf16][d == 128][static_cast<int>(policy)];
}

float to_float(uint16_t bits, bool bf16) {
  if (bf16) {
    __nv_bfloat16_raw r;
    r.x = bits;
    return __bfloat162float(__nv_bfloat16(r));
  }
  __half_raw r;
  r.x = bits;
  return __half2float(__half(r));
}
uint16_t from_float(float x, bool bf16) {
  if (bf16) return static_cast<__nv_bfloat16_raw>(__float2bfloat16_rn(x)).x;
  return static_cast<__half_raw>(__float2half_rn(x)).x;
}
constexpr uint16_t kNaNBits = 0xFFFF;  // NaN in both fp16 and bf16

// ---------------------------------------------------------------- check

struct Case {
  MaskPolicy policy;
  int b, h, tq, tk;
  int window = 0, sinks = 0;
  std::vector<int> key_start;  // (B); empty = all 0
  bool bthd = false;           // (B, T, H, D) memory layout instead of (B, H, T, D)
  int hkv = 0;                 // key/value heads (grouped-query attention); 0 = h
  int kv_heads() const { return hkv > 0 ? hkv : h; }
};

// Element strides {batch, head, row} of a (B, heads, T, D) tensor stored as (B, heads, T, D) or (B, T, heads, D).
void strides_of(const Case& c, int heads, int t, int d, int64_t (&s)[3]) {
  if (c.bthd) {
    s[0] = int64_t(t) * heads * d, s[1] = d, s[2] = int64_t(heads) * d;
  } else {
    s[0] = int64_t(heads) * t * d, s[1] = int64_t(t) * d, s[2] = d;
  }
}
int64_t offset(const int64_t (&s)[3], int b, int h, int t) { return b * s[0] + h * s[1] + t * s[2]; }

struct CheckResult {
  double max_abs = 0, rel_l2 = 0;
  bool finite = true;
};

CheckResult compare(const std::vector<uint16_t>& got, const std::vector<double>& ref, const Case& c, int d,
                    const int64_t (&s)[3], bool bf16) {
  CheckResult r;
  double num = 0, den = 0;
  for (int b = 0; b < c.b; ++b)
    for (int h = 0; h < c.h; ++h)
      for (int i = 0; i < c.tq; ++i)
        for (int x = 0; x < d; ++x) {
          const double y = to_float(got[offset(s, b, h, i) + x], bf16);
          const double e = ref[((int64_t(b) * c.h + h) * c.tq + i) * d + x];
          if (!std::isfinite(y)) r.finite = false;
          r.max_abs = std::max(r.max_abs, std::fabs(y - e));
          num += (y - e) * (y - e);
          den += e * e;
        }
  r.rel_l2 = std::sqrt(num / std::max(den, 1e-30));
  return r;
}

bool run_case(const Case& c, bool bf16, int d, std::mt19937& rng) {
  int64_t qs[3], ks[3];
  const int hkv = c.kv_heads(), group = c.h / hkv;  // query head h reads kv head h / group
  strides_of(c, c.h, c.tq, d, qs);
  strides_of(c, hkv, c.tk, d, ks);
  const size_t nq = size_t(c.b) * c.h * c.tq * d, nk = size_t(c.b) * hkv * c.tk * d;
  std::vector<int> key_start = c.key_start.empty() ? std::vector<int>(c.b, 0) : c.key_start;
  std::normal_distribution<float> normal(0.f, 1.f);
  std::vector<uint16_t> hq(nq), hk(nk), hv(nk);
  for (auto& x : hq) x = from_float(normal(rng), bf16);
  for (auto& x : hk) x = from_float(normal(rng), bf16);
  for (auto& x : hv) x = from_float(normal(rng), bf16);
  for (int b = 0; b < c.b; ++b)  // padding slots: NaN, never to be read
    for (int h = 0; h < hkv; ++h)
      for (int j = 0; j < key_start[b]; ++j)
        for (int x = 0; x < d; ++x) hk[offset(ks, b, h, j) + x] = hv[offset(ks, b, h, j) + x] = kNaNBits;
  std::vector<float> slopes(c.h);
  for (int h = 0; h < c.h; ++h) slopes[h] = std::pow(2.f, -8.f * (h + 1) / c.h);

  // fp64 reference of the rule in flash_mask.cuh; rows with no visible key are 0.
  const int q_pos0 = c.tk - c.tq;
  const double scale = 1.0 / std::sqrt(double(d));
  std::vector<double> ref(nq, 0.0);
  const bool alibi = gk::policy_has_alibi(c.policy), windowed = gk::policy_has_window(c.policy);
#pragma omp parallel for collapse(2) schedule(dynamic)
  for (int b = 0; b < c.b; ++b)
    for (int h = 0; h < c.h; ++h) {
      std::vector<double> w(c.tk);
      for (int i = 0; i < c.tq; ++i) {
        const int qpos = q_pos0 + i;
        double mx = -1e300;
        for (int j = 0; j < c.tk; ++j) {
          bool vis = j >= key_start[b] && j <= qpos;
          if (windowed) vis = vis && (qpos - j < c.window || j - key_start[b] < c.sinks);
          if (!vis) {
            w[j] = -1e300;
            continue;
          }
          double dot = 0;
          for (int x = 0; x < d; ++x)
            dot += double(to_float(hq[offset(qs, b, h, i) + x], bf16)) * to_float(hk[offset(ks, b, h / group, j) + x], bf16);
          w[j] = dot * scale + (alibi ? double(slopes[h]) * (j - qpos) : 0.0);
          mx = std::max(mx, w[j]);
        }
        if (mx == -1e300) continue;
        double sum = 0;
        for (int j = 0; j < c.tk; ++j) {
          w[j] = w[j] == -1e300 ? 0.0 : std::exp(w[j] - mx);
          sum += w[j];
        }
        double* o = &ref[((int64_t(b) * c.h + h) * c.tq + i) * d];
        for (int j = 0; j < c.tk; ++j) {
          if (w[j] == 0.0) continue;
          for (int x = 0; x < d; ++x) o[x] += w[j] / sum * to_float(hv[offset(ks, b, h / group, j) + x], bf16);
        }
      }
    }

  uint16_t *dq, *dk, *dv, *dout;
  int* dks;
  float* dslopes;
  CHECK_CUDA(cudaMalloc(&dq, nq * 2));
  CHECK_CUDA(cudaMalloc(&dk, nk * 2));
  CHECK_CUDA(cudaMalloc(&dv, nk * 2));
  CHECK_CUDA(cudaMalloc(&dout, nq * 2));
  CHECK_CUDA(cudaMalloc(&dks, c.b * sizeof(int)));
  CHECK_CUDA(cudaMalloc(&dslopes, c.h * sizeof(float)));
  CHECK_CUDA(cudaMemcpy(dq, hq.data(), nq * 2, cudaMemcpyHostToDevice));
  CHECK_CUDA(cudaMemcpy(dk, hk.data(), nk * 2, cudaMemcpyHostToDevice));
  CHECK_CUDA(cudaMemcpy(dv, hv.data(), nk * 2, cudaMemcpyHostToDevice));
  CHECK_CUDA(cudaMemcpy(dks, key_start.data(), c.b * sizeof(int), cudaMemcpyHostToDevice));
  CHECK_CUDA(cudaMemcpy(dslopes, slopes.data(), c.h * sizeof(float), cudaMemcpyHostToDevice));

  gk::AttentionParams p;
  p.q = dq, p.k = dk, p.v = dv, p.out = dout;
  for (int i = 0; i < 3; ++i) p.q_strides[i] = p.out_strides[i] = qs[i], p.k_strides[i] = p.v_strides[i] = ks[i];
  p.key_start = dks;
  p.alibi_slopes = alibi ? dslopes : nullptr;
  p.batch = c.b, p.heads = c.h, p.kv_heads = hkv, p.q_len = c.tq, p.k_len = c.tk, p.head_dim = d;
  p.q_pos0 = q_pos0;
  p.window = c.window, p.global_tokens = c.sinks;
  p.scale = float(scale);
  p.dtype = bf16 ? gk::ElementType::kBf16 : gk::ElementType::kFp16;
  p.policy = c.policy;

  CheckResult res[2];
  std::vector<uint16_t> got(nq);
  for (Path path : {Path::kSm80, Path::kSm90}) {
    CHECK_CUDA(cudaMemset(dout, 0xFF, nq * 2));
    CHECK_CUDA(launch_for(path, bf16, d, c.policy)(p, 0));
    CHECK_CUDA(cudaDeviceSynchronize());
    CHECK_CUDA(cudaMemcpy(got.data(), dout, nq * 2, cudaMemcpyDeviceToHost));
    res[static_cast<int>(path)] = compare(got, ref, c, d, qs, bf16);
  }
  cudaFree(dq), cudaFree(dk), cudaFree(dv), cudaFree(dout), cudaFree(dks), cudaFree(dslopes);

  const double ulp = bf16 ? 0x1p-7 : 0x1p-10;
  const CheckResult &a = res[0], &n = res[1];
  const bool ok = n.finite && a.finite && n.max_abs <= 2 * a.max_abs + ulp && n.rel_l2 <= 2 * a.rel_l2 + ulp;
  std::string ks_text;
  for (int x : key_start) ks_text += std::to_string(x) + ",";
  std::printf(
      "check %-4s D%-3d %-12s B%d H%d Tq%-4d Tk%-4d W%-3d S%-2d Hkv%-2d ks[%s]%s  sm90 max %.2e rel %.2e  sm80 max %.2e rel "
      "%.2e  %s\n",
      bf16 ? "bf16" : "fp16", d, kPolicyNames[static_cast<int>(c.policy)], c.b, c.h, c.tq, c.tk, c.window, c.sinks,
      hkv, ks_text.c_str(), c.bthd ? " bthd" : "", n.max_abs, n.rel_l2, a.max_abs, a.rel_l2, ok ? "ok" : "FAIL");
  return ok;
}

int check_all() {
  std::mt19937 rng(20261203u);
  const std::vector<Case> cases = {
      {MaskPolicy::kCausal, 2, 3, 256, 256},
      {MaskPolicy::kCausal, 1, 2, 77, 77},
      {MaskPolicy::kCausal, 1, 1, 1, 50},
      {MaskPolicy::kCausal, 2, 2, 300, 300, 0, 0, {0, 45}},
      {MaskPolicy::kCausal, 2, 2, 129, 700, 0, 0, {0, 301}},
      {MaskPolicy::kCausal, 2, 3, 333, 333, 0, 0, {7, 0}, true},
      {MaskPolicy::kAlibi, 2, 3, 300, 300, 0, 0, {0, 45}},
      {MaskPolicy::kAlibi, 2, 2, 129, 700, 0, 0, {130, 0}},
      {MaskPolicy::kWindow, 2, 2, 600, 600, 64, 0, {0, 70}},
      {MaskPolicy::kWindow, 2, 2, 700, 700, 100, 5, {0, 33}},
      {MaskPolicy::kWindow, 1, 2, 200, 900, 128, 3},
      {MaskPolicy::kWindow, 1, 2, 517, 517, 256, 4, {}, true},
      {MaskPolicy::kAlibiWindow, 2, 2, 500, 500, 64, 4, {0, 21}},
      {MaskPolicy::kAlibiWindow, 1, 3, 190, 640, 200, 0},
      // More work items than resident CTAs (a persistent grid walks several per CTA), some
      // with no visible key at all (query blocks wholly before key_start).
      {MaskPolicy::kCausal, 4, 16, 600, 600, 0, 0, {0, 500, 599, 200}},
      {MaskPolicy::kAlibi, 2, 40, 300, 300, 0, 0, {0, 290}},
      {MaskPolicy::kWindow, 4, 16, 600, 600, 96, 3, {0, 300, 599, 17}},
      // Grouped-query attention: H query heads over Hkv key/value heads (G = 4, 3, multi-query).
      {MaskPolicy::kCausal, 2, 8, 300, 300, 0, 0, {0, 45}, false, 2},
      {MaskPolicy::kCausal, 2, 6, 333, 333, 0, 0, {7, 0}, true, 2},
      {MaskPolicy::kAlibi, 1, 4, 129, 700, 0, 0, {}, false, 1},
      {MaskPolicy::kWindow, 2, 8, 600, 600, 64, 3, {0, 70}, false, 2},
  };
  int failed = 0, total = 0;
  for (bool bf16 : {false, true})
    for (int d : {64, 128})
      for (const Case& c : cases) {
        failed += run_case(c, bf16, d, rng) ? 0 : 1;
        ++total;
      }
  std::printf("check: %d of %d cases passed\n", total - failed, total);
  return failed;
}

// ---------------------------------------------------------------- time

struct TimedShape {
  bool bf16;
  int d;
  MaskPolicy policy;
  int b, t, window;
};

void time_all() {
  Timer timer;
  const int h = 12;
  std::vector<TimedShape> shapes;
  for (bool bf16 : {false, true})
    for (int bt : {0, 1, 2}) shapes.push_back({bf16, 64, MaskPolicy::kCausal, 16 >> (2 * bt), 1024 << (2 * bt), 0});
  for (int bt : {0, 1, 2}) shapes.push_back({false, 64, MaskPolicy::kAlibi, 16 >> (2 * bt), 1024 << (2 * bt), 0});
  shapes.push_back({false, 64, MaskPolicy::kWindow, 1, 16384, 256});
  for (int bt : {0, 1, 2}) shapes.push_back({false, 128, MaskPolicy::kCausal, 16 >> (2 * bt), 1024 << (2 * bt), 0});
  float slopes[64];
  for (int i = 0; i < h; ++i) slopes[i] = std::pow(2.f, -8.f * (i + 1) / h);
  for (const TimedShape& s : shapes) {
    const size_t n = size_t(s.b) * h * s.t * s.d;
    uint16_t *q, *k, *v, *o80, *o90;
    int* key_start;
    float* dslopes;
    CHECK_CUDA(cudaMalloc(&q, n * 2));
    CHECK_CUDA(cudaMalloc(&k, n * 2));
    CHECK_CUDA(cudaMalloc(&v, n * 2));
    CHECK_CUDA(cudaMalloc(&o80, n * 2));
    CHECK_CUDA(cudaMalloc(&o90, n * 2));
    CHECK_CUDA(cudaMalloc(&key_start, s.b * sizeof(int)));
    CHECK_CUDA(cudaMemset(key_start, 0, s.b * sizeof(int)));
    CHECK_CUDA(cudaMalloc(&dslopes, h * sizeof(float)));
    CHECK_CUDA(cudaMemcpy(dslopes, slopes, h * sizeof(float), cudaMemcpyHostToDevice));
    unsigned seed = 1;
    for (uint16_t* x : {q, k, v}) {
      if (s.bf16) {
        fill_normalish<<<1024, 256>>>(reinterpret_cast<__nv_bfloat16*>(x), n, seed++);
      } else {
        fill_normalish<<<1024, 256>>>(reinterpret_cast<__half*>(x), n, seed++);
      }
    }
    CHECK_CUDA(cudaGetLastError());
    gk::AttentionParams p;
    p.q = q, p.k = k, p.v = v;
    const int64_t st[3] = {int64_t(h) * s.t * s.d, int64_t(s.t) * s.d, s.d};
    for (int i = 0; i < 3; ++i) p.q_strides[i] = p.k_strides[i] = p.v_strides[i] = p.out_strides[i] = st[i];
    p.key_start = key_start;
    p.alibi_slopes = gk::policy_has_alibi(s.policy) ? dslopes : nullptr;
    p.batch = s.b, p.heads = p.kv_heads = h, p.q_len = p.k_len = s.t, p.head_dim = s.d;
    p.window = s.window;
    p.scale = 1.f / std::sqrt(float(s.d));
    p.dtype = s.bf16 ? gk::ElementType::kBf16 : gk::ElementType::kFp16;
    p.policy = s.policy;
    double ms[2];
    for (Path path : {Path::kSm80, Path::kSm90}) {
      p.out = path == Path::kSm80 ? o80 : o90;
      const Launch launch = launch_for(path, s.bf16, s.d, s.policy);
      ms[static_cast<int>(path)] = timer.median_ms([&] { return launch(p, 0); });
    }
    std::vector<uint16_t> a(n), c(n);
    CHECK_CUDA(cudaMemcpy(a.data(), o80, n * 2, cudaMemcpyDeviceToHost));
    CHECK_CUDA(cudaMemcpy(c.data(), o90, n * 2, cudaMemcpyDeviceToHost));
    double diff = 0;
    for (size_t i = 0; i < n; ++i) {
      const double x = to_float(a[i], s.bf16), y = to_float(c[i], s.bf16);
      diff = std::isfinite(y) ? std::max(diff, std::fabs(x - y)) : INFINITY;
    }
    const double flops = 4.0 * s.b * h * double(s.t) * s.t * s.d / 2;
    std::printf("time %-4s D%-3d %-6s W%-3d B%-2d H%d T%-5d  sm90 %.4f ms %6.1f TF  sm80 %.4f ms %6.1f TF  sm90/sm80 %.2fx  max|diff| %.2e\n",
                s.bf16 ? "bf16" : "fp16", s.d, kPolicyNames[static_cast<int>(s.policy)], s.window, s.b, h, s.t, ms[1],
                flops / (ms[1] * 1e-3) * 1e-12, ms[0], flops / (ms[0] * 1e-3) * 1e-12, ms[0] / ms[1], diff);
    cudaFree(q), cudaFree(k), cudaFree(v), cudaFree(o80), cudaFree(o90), cudaFree(key_start), cudaFree(dslopes);
  }
}

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "all";
  if (mode != "check" && mode != "time" && mode != "all") {
    std::printf("usage: flash_sm90_lab [check|time|all] (got '%s')\n", mode.c_str());
    return 2;
  }
  int failed = 0;
  if (mode != "time") failed = check_all();
  if (mode != "check") time_all();
  return failed == 0 ? 0 : 1;
}
