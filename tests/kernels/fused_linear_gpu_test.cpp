// The decode GEMV kernel behind fused_linear, against fp64 math on the same (rounded) inputs. The
// rule: our max error is at most 2x the error of the ATen path (cuBLAS) computing the same thing
// in the same dtype, plus a floor of a quarter ulp at the output's largest magnitude. A mutated
// call (a wrong LayerNorm epsilon fed to our kernel only) shows the rule can fail.
#include <ATen/ATen.h>              // at::randn, at::full
#include <ATen/Context.h>           // at::hasCUDA
#include <ATen/cuda/CUDAGraph.h>    // at::cuda::CUDAGraph
#include <c10/core/InferenceMode.h> // c10::InferenceMode
#include <c10/cuda/CUDAGuard.h>     // c10::cuda::CUDAStreamGuard
#include <c10/cuda/CUDAStream.h>    // c10::cuda::getStreamFromPool
#include <gtest/gtest.h>            // TEST, EXPECT_*

#include <cmath>             // std::sqrt, std::ldexp
#include <initializer_list>  // std::initializer_list
#include <string>            // std::string, std::to_string

#include "gptbench/kernels/fused_linear.h"  // fused_linear, fused_linear_reference, fused_linear_path, ...
#include "../support/gemv_name.h"           // test_support::gemv_name

namespace gptbench::kernels {
namespace {

#define SKIP_WITHOUT_CUDA()                                                              \
  do {                                                                                   \
    if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device: the GEMV kernel needs one"; \
  } while (0)

struct GemvCase {
  int64_t rows = 1, k = 768, n = 2304;
  at::ScalarType dtype = at::kHalf;
  LinearInput input = LinearInput::kAsIs;
  bool bias = true, residual = false;
  LinearActivation activation = LinearActivation::kNone;
  double ours_eps_factor = 1.0;  // mutation given to our kernel only
};

std::string describe(const GemvCase& c) {
  return "M=" + std::to_string(c.rows) + " K=" + std::to_string(c.k) + " N=" + std::to_string(c.n) + " " +
         c10::toString(c.dtype) + " input=" + std::to_string(static_cast<int>(c.input)) + (c.bias ? " bias" : "") + (c.residual ? " residual" : "") +
         " act=" + std::to_string(static_cast<int>(c.activation));
}

struct Inputs {
  at::Tensor x, w;
  FusedLinearOptions o;
};

Inputs make_inputs(const GemvCase& c) {
  const auto opt = at::TensorOptions().dtype(c.dtype).device(at::kCUDA);
  Inputs in;
  in.o.input = c.input;
  in.x = at::randn({c.rows, 1, linear_input_width(in.o, c.k)}, opt);  // decode: one token per row
  in.w = (at::randn({c.n, c.k}, opt.dtype(at::kFloat)) / std::sqrt(static_cast<double>(c.k))).to(c.dtype);
  if (c.input == LinearInput::kLayerNorm || c.input == LinearInput::kRmsNorm) {
    in.o.ln_weight = (1 + 0.2 * at::randn({c.k}, opt.dtype(at::kFloat))).to(c.dtype);
  }
  if (c.input == LinearInput::kLayerNorm) in.o.ln_bias = (0.2 * at::randn({c.k}, opt.dtype(at::kFloat))).to(c.dtype);
  if (c.bias) in.o.bias = (0.5 * at::randn({c.n}, opt.dtype(at::kFloat))).to(c.dtype);
  if (c.residual) in.o.residual = at::randn({c.rows, 1, c.n}, opt);
  in.o.activation = c.activation;
  in.o.gemv_max_rows = kGemvKernelMaxRows;  // every row count the kernel is built for
  return in;
}

FusedLinearOptions to_double_cpu(const FusedLinearOptions& o) {
  FusedLinearOptions d = o;
  for (at::Tensor* t : {&d.bias, &d.residual, &d.ln_weight, &d.ln_bias}) {
    if (t->defined()) *t = t->to(at::kCPU, at::kDouble);
  }
  return d;
}

// Checks one case; returns whether our kernel met the rule (EXPECTs only when expect_pass).
bool check_case(const GemvCase& c, bool expect_pass) {
  c10::InferenceMode inference;
  const Inputs in = make_inputs(c);
  FusedLinearOptions ours = in.o;
  ours.ln_eps = in.o.ln_eps * c.ours_eps_factor;
  std::string path;
  const at::Tensor got = fused_linear(in.x, in.w, ours, &path);
  const std::string expected_path = test_support::gemv_name(std::string("gemv_") +
                                                            (c.dtype == at::kHalf ? "fp16" : "bf16") + "_rows" +
                                                            std::to_string(c.rows));
  if (expect_pass) {
    EXPECT_EQ(path, expected_path) << describe(c);
  }
  const at::Tensor aten = fused_linear_reference(in.x, in.w, in.o);
  // The reference is the op as defined: the input step (norm or gate) in T, rounded as the unfused module
  // rounds it (ATen's on the device), and everything after it exact in fp64. Without that rounding in the
  // reference, a 2K-wide gate's input rounding (shared by ours and ATen's) leaves a single output (N 1) at
  // the mercy of ATen's second rounding before the residual add (measured: H200, 2026-12-04, M1 K1024 N1).
  FusedLinearOptions exact = to_double_cpu(in.o);
  exact.input = LinearInput::kAsIs;
  exact.ln_weight = exact.ln_bias = at::Tensor();
  const at::Tensor ref = fused_linear_reference(linear_input(in.x, in.o).to(at::kCPU, at::kDouble),
                                                in.w.to(at::kCPU, at::kDouble), exact);
  const double err_ours = (got.to(at::kCPU, at::kDouble) - ref).abs().max().item<double>();
  const double err_aten = (aten.to(at::kCPU, at::kDouble) - ref).abs().max().item<double>();
  const double scale = ref.abs().max().item<double>();
  const double floor = std::ldexp(scale, c.dtype == at::kHalf ? -12 : -9);  // a quarter ulp at the max
  const bool pass = err_ours <= 2 * err_aten + floor;
  if (expect_pass) {
    EXPECT_TRUE(pass) << describe(c) << ": ours " << err_ours << ", aten " << err_aten << ", floor " << floor;
  }
  return pass;
}

// One shape with each fusion: plain + bias, LayerNorm + tanh-GELU, residual + erf-GELU, no bias, and
// Llama's two: RMSNorm without bias, SwiGLU's gate (x 2K wide) + residual.
void check_fusions(GemvCase c) {
  check_case(c, true);
  c.input = LinearInput::kLayerNorm;
  c.activation = LinearActivation::kGeluTanh;
  check_case(c, true);
  c.input = LinearInput::kAsIs;
  c.residual = true;
  c.activation = LinearActivation::kGeluErf;
  check_case(c, true);
  c.bias = false;
  c.activation = LinearActivation::kNone;
  check_case(c, true);
  c.residual = false;
  c.input = LinearInput::kRmsNorm;
  check_case(c, true);
  c.residual = true;
  c.input = LinearInput::kSiluGate;
  check_case(c, true);
}

// Every fusion of each (K, N) at 1 .. max_rows rows, in fp16 and bf16.
struct GemvShape {
  int64_t k, n, max_rows;
};
void check_shapes(std::initializer_list<GemvShape> shapes) {
  for (const at::ScalarType dtype : {at::kHalf, at::kBFloat16}) {
    for (const GemvShape& s : shapes) {
      for (int64_t rows = 1; rows <= s.max_rows; ++rows) {
        GemvCase c;
        c.rows = rows;
        c.k = s.k;
        c.n = s.n;
        c.dtype = dtype;
        check_fusions(c);
      }
    }
  }
}

TEST(FusedLinearGpu, MatchesTheAtenPathAccuracyAcrossShapes) {
  SKIP_WITHOUT_CUDA();
  at::manual_seed(0);
  // GPT-2 124M's projections (qkv, attention out, MLP up, MLP down) and odd sizes, 1-8 rows.
  check_shapes({{768, 2304, 8}, {768, 768, 8}, {768, 3072, 8}, {3072, 768, 8}, {16, 13, 8}, {1024, 1, 8}, {8, 4097, 8}});
}

TEST(FusedLinearGpu, LmHeadShape) {
  SKIP_WITHOUT_CUDA();
  at::manual_seed(1);
  for (const int64_t rows : {1, 8}) {
    GemvCase c;
    c.rows = rows;
    c.k = 768;
    c.n = 50257;
    c.input = LinearInput::kLayerNorm;
    c.bias = false;
    check_case(c, true);
  }
}

// Rows of >= kGemvSplitRowBytes (K >= 8192 in fp16/bf16) run block-per-column: the four warps of a
// block stream slices of one row and meet in shared memory. Mistral's MLP down (14336 -> 4096) at its
// real N, a K just past the threshold with an N that leaves blocks more than one column, and N 1.
TEST(FusedLinearGpu, LongRowsSplitOverTheWarpsOfABlock) {
  SKIP_WITHOUT_CUDA();
  at::manual_seed(3);
  // max_rows: the most rows whose x fits the kernel's 48 KiB of shared memory.
  check_shapes({{14336, 4096, 1}, {8192, 5000, 2}, {8200, 1, 2}});
}

TEST(FusedLinearGpu, TheRuleCatchesAWrongLayerNorm) {
  SKIP_WITHOUT_CUDA();
  at::manual_seed(2);
  GemvCase c;
  c.input = LinearInput::kLayerNorm;
  c.k = 64;
  c.n = 256;
  c.ours_eps_factor = 1e5;  // eps 1 instead of 1e-5: visibly wrong LayerNorm
  EXPECT_FALSE(check_case(c, false));
  c.input = LinearInput::kRmsNorm;  // and RMSNorm
  EXPECT_FALSE(check_case(c, false));
}

TEST(FusedLinearGpu, StoresKeysAndValuesAndReplaysInAGraph) {
  SKIP_WITHOUT_CUDA();
  c10::InferenceMode inference;
  at::manual_seed(3);
  const int64_t b = 3, heads = 12, d = 64, c = heads * d, capacity = 16;
  const auto opt = at::TensorOptions().dtype(at::kHalf).device(at::kCUDA);
  const at::Tensor x = at::randn({b, 1, c}, opt), w = (at::randn({3 * c, c}, opt) * 0.03);
  const at::Tensor cache = at::full({2, b, heads, capacity, d}, 7.0, opt);
  const at::Tensor pos = at::full({1}, 2, opt.dtype(at::kLong));
  FusedLinearOptions o;
  o.bias = at::randn({3 * c}, opt);
  o.kv_cache = cache;
  o.kv_pos = pos;
  o.kv_col0 = c;
  ASSERT_EQ(fused_linear_path(x, w, o), test_support::gemv_name("gemv_fp16_rows3"));

  // Captured once, replayed at positions 5 and 9: the store follows the device position.
  at::cuda::CUDAGraph graph;
  at::Tensor out;
  const auto stream = c10::cuda::getStreamFromPool();
  {
    const c10::cuda::CUDAStreamGuard guard(stream);
    out = fused_linear(x, w, o);  // warm-up (writes position 2)
    stream.synchronize();
    graph.capture_begin();
    out = fused_linear(x, w, o);
    graph.capture_end();
  }
  stream.synchronize();
  for (const int64_t p : {5, 9}) {
    pos.fill_(p);
    graph.replay();
  }
  const at::Tensor qkv = out.view({b, 3, heads, d});
  for (const int64_t p : {2, 5, 9}) {
    for (int64_t which = 0; which < 2; ++which) {
      EXPECT_TRUE(at::equal(cache[which].select(2, p), qkv.select(1, 1 + which))) << "position " << p;
    }
  }
  FusedLinearOptions plain;
  plain.bias = o.bias;
  const at::Tensor ref = fused_linear_reference(x, w, plain);
  EXPECT_LT((out - ref).abs().max().item<double>(), 0.05);
  EXPECT_TRUE(at::equal(cache.select(3, 0), at::full_like(cache.select(3, 0), 7.0)));  // untouched slot
}

// Overlapped launches (programmatic dependent launch, sm_90+): each GEMV of a chain reads what the one
// before it wrote, so a launch that ran ahead of its wait would read stale inputs. The chain, eager and
// replayed from a CUDA graph with new inputs, must equal the serial launches bit for bit; the names say
// which launch ran.
TEST(FusedLinearGpu, OverlappedLaunchesEqualSerialOnesInAChain) {
  SKIP_WITHOUT_CUDA();
  c10::InferenceMode inference;
  at::manual_seed(11);
  const auto opt = at::TensorOptions().dtype(at::kHalf).device(at::kCUDA);
  const int64_t c = 768;
  const at::Tensor w1 = at::randn({4 * c, c}, opt) * 0.03, w2 = at::randn({c, 4 * c}, opt) * 0.02;
  const at::Tensor w3 = at::randn({3 * c, c}, opt) * 0.03, b1 = at::randn({4 * c}, opt);
  const at::Tensor gamma = 1 + 0.1 * at::randn({c}, opt), beta = 0.1 * at::randn({c}, opt);
  const at::Tensor x = at::empty({2, 1, c}, opt);
  // fc (+GELU) -> proj (+residual x) -> LayerNorm + qkv, each reading the previous output.
  auto chain = [&](std::string* names) {
    FusedLinearOptions fc, proj, qkv;
    fc.bias = b1;
    fc.activation = LinearActivation::kGeluTanh;
    proj.residual = x;
    qkv.input = LinearInput::kLayerNorm;
    qkv.ln_weight = gamma;
    qkv.ln_bias = beta;
    std::string a, b, d;
    const at::Tensor h = fused_linear(x, w1, fc, &a);
    const at::Tensor y = fused_linear(h, w2, proj, &b);
    const at::Tensor out = fused_linear(y, w3, qkv, &d);
    if (names != nullptr) *names = a + " " + b + " " + d;
    return out;
  };
  const at::Tensor inputs[2] = {at::randn({2, 1, c}, opt), at::randn({2, 1, c}, opt)};
  at::Tensor serial[2];
  const GemvOverlap mode_before = gemv_overlap();
  set_gemv_overlap(GemvOverlap::kOff);
  std::string names;
  for (int i = 0; i < 2; ++i) {
    x.copy_(inputs[i]);
    serial[i] = chain(&names).clone();
  }
  EXPECT_EQ(names, "gemv_fp16_rows2 gemv_fp16_rows2 gemv_fp16_rows2");
  for (const GemvOverlap mode : {GemvOverlap::kLaunch, GemvOverlap::kLaunchPrefetch}) {
    set_gemv_overlap(mode);
    const std::string overlapped = test_support::gemv_name("gemv_fp16_rows2");
    SCOPED_TRACE("overlap " + overlapped);
    for (int i = 0; i < 2; ++i) {
      x.copy_(inputs[i]);
      EXPECT_TRUE(at::equal(chain(&names), serial[i])) << "eager, input " << i;
    }
    EXPECT_EQ(names, overlapped + " " + overlapped + " " + overlapped);

    at::cuda::CUDAGraph graph;
    at::Tensor out;
    const auto stream = c10::cuda::getStreamFromPool();
    {
      const c10::cuda::CUDAStreamGuard guard(stream);
      x.copy_(inputs[0]);
      chain(nullptr);  // warm-up outside the capture
      stream.synchronize();
      graph.capture_begin();
      out = chain(nullptr);
      graph.capture_end();
    }
    for (int round = 0; round < 3; ++round) {
      for (int i = 0; i < 2; ++i) {
        x.copy_(inputs[i]);
        graph.replay();
        EXPECT_TRUE(at::equal(out, serial[i])) << "graph replay " << round << ", input " << i;
      }
    }
  }
  set_gemv_overlap(mode_before);
}

TEST(FusedLinearGpu, FallsBackToAtenWhereTheKernelDoesNotApply) {
  SKIP_WITHOUT_CUDA();
  const auto opt = at::TensorOptions().dtype(at::kHalf).device(at::kCUDA);
  {
    c10::InferenceMode inference;
    EXPECT_EQ(fused_linear_path(at::randn({9, 64}, opt), at::randn({32, 64}, opt), {}), "aten");  // 9 rows
    // Past the default row limit cuBLAS is faster; a raised limit reaches the kernel's 8 rows, no further.
    const int64_t past = kGemvDefaultMaxRows + 1;
    EXPECT_EQ(fused_linear_path(at::randn({past, 64}, opt), at::randn({32, 64}, opt), {}), "aten");
    FusedLinearOptions raised;
    raised.gemv_max_rows = 64;
    EXPECT_EQ(fused_linear_path(at::randn({past, 64}, opt), at::randn({32, 64}, opt), raised),
              test_support::gemv_name("gemv_fp16_rows" + std::to_string(past)));
    EXPECT_EQ(fused_linear_path(at::randn({9, 64}, opt), at::randn({32, 64}, opt), raised), "aten");
    EXPECT_EQ(fused_linear_path(at::randn({2, 64}, opt.dtype(at::kFloat)), at::randn({32, 64}, opt.dtype(at::kFloat)), {}),
              "aten");  // fp32
    EXPECT_EQ(fused_linear_path(at::randn({2, 60}, opt), at::randn({32, 60}, opt), {}), "aten");  // K % 8
    EXPECT_EQ(fused_linear_path(at::randn({2, 64}, opt), at::randn({32, 64}, opt), {}),
              test_support::gemv_name("gemv_fp16_rows2"));
  }
  EXPECT_EQ(fused_linear_path(at::randn({2, 64}, opt), at::randn({32, 64}, opt), {}), "aten");  // autograd on
}

}  // namespace
}  // namespace gptbench::kernels
