// Our CUDA flash kernels through the gptbench::attention op, against a reference computed in
// fp64 (fp32 for big shapes) on upcast inputs. The rule (flash-attention's): our max error
// must be at most 2x the max error of at::scaled_dot_product_attention computing in the same
// dtype with an equivalent explicit mask, against the same reference, plus a floor of a
// quarter ulp at 1.0 for the cases where SDPA is exact. Padding queries must be exactly 0.
// Every run draws fresh normal inputs (seed printed; GPTBENCH_TEST_SEED replays one), the
// output is NaN-filled first (through the .out overload), and K/V slots no query may see
// hold NaN. The functional overload is checked against .out bit for bit.
#include <ATen/ATen.h>                         // at::randn, at::where, at::scaled_dot_product_attention
#include <ATen/Context.h>                      // at::hasCUDA
#include <ATen/cuda/CUDAContext.h>             // at::cuda::getCurrentDeviceProperties
#include <gtest/gtest.h>                       // TEST, EXPECT_*

#include <algorithm>  // std::shuffle, std::min
#include <cmath>      // std::sqrt, std::ldexp
#include <cstdlib>    // std::getenv, std::strtoull
#include <limits>     // std::numeric_limits
#include <random>     // std::mt19937_64
#include <string>     // std::string
#include <vector>     // std::vector

#include "attention_test_support.h"       // Policy, test_alibi_slopes
#include "flash_arch_test_support.h"        // prefill_archs_on_this_device, prefill_kernel_is
#include "gptbench/kernels/attention_op.h"  // attention_op, select_attention_kernel
#include "gptbench/util/error.h"          // gptbench::Error

namespace gptbench::kernels {
namespace {

using testing::Policy;

#define SKIP_WITHOUT_CUDA()                                                          \
  do {                                                                               \
    if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device: the flash kernels need one"; \
  } while (0)

enum class Padding { kNone, kLeft };

struct GpuCase {
  int64_t batch = 2, heads = 3, q_len = 1, k_len = 1, head_dim = 64;
  at::ScalarType dtype = at::kHalf;
  Policy policy = Policy::kCausal;
  int64_t window = 0, global_tokens = 0;
  Padding padding = Padding::kNone;
  KeyLayout layout = KeyLayout::kContiguous;
  FlashArch arch = FlashArch::kAuto;  // the prefill kernel asked for (decode has one kernel)
  // Mutations given to our kernel only, to show that the rule catches a wrong answer.
  double ours_scale_factor = 1.0;
  int64_t ours_window_delta = 0;
};

std::string describe(const GpuCase& c) {
  return "B=" + std::to_string(c.batch) + " H=" + std::to_string(c.heads) + " Tq=" + std::to_string(c.q_len) +
         " Tk=" + std::to_string(c.k_len) + " D=" + std::to_string(c.head_dim) + " " + c10::toString(c.dtype) + " " +
         testing::policy_label(c.policy) + " W=" + std::to_string(c.window) + " G=" + std::to_string(c.global_tokens) +
         (c.padding == Padding::kLeft ? " left-padded" : "") + (c.layout == KeyLayout::kRolling ? " rolling" : "") +
         " arch=" + testing::arch_label(c.arch);
}

std::mt19937_64& rng() {
  static std::mt19937_64 gen = [] {
    const char* env = std::getenv("GPTBENCH_TEST_SEED");
    const uint64_t seed = env != nullptr ? std::strtoull(env, nullptr, 10) : std::random_device{}();
    std::printf("flash_attention_gpu_test seed %llu (GPTBENCH_TEST_SEED replays it)\n",
                static_cast<unsigned long long>(seed));
    at::manual_seed(seed);
    return std::mt19937_64(seed);
  }();
  return gen;
}

int64_t uniform(int64_t lo, int64_t hi) {  // inclusive
  return std::uniform_int_distribution<int64_t>(lo, hi)(rng());
}

struct Outcome {
  double ours = 0, sdpa = 0, floor = 0, ours_rel = 0;
  bool finite = false, padding_zero = false, same_as_functional = false;
  std::string kernel;
};

Outcome run_case(const GpuCase& c) {
  rng();  // seeds at::manual_seed once, before the first draw
  const auto cuda = at::TensorOptions().device(at::kCUDA);
  const auto f32 = cuda.dtype(at::kFloat);
  const auto i64 = cuda.dtype(at::kLong);
  const int64_t B = c.batch, H = c.heads, Tq = c.q_len, Tk = c.k_len, D = c.head_dim;

  // Positions: contiguous (prefill / dense cache) or a rolling cache with shuffled slots.
  int64_t q_pos0 = Tk - Tq;
  std::vector<int32_t> key_start(B, 0);
  std::vector<int32_t> key_pos;
  if (c.layout == KeyLayout::kRolling) {
    // The cache holds the last `filled` positions before the query, in shuffled slots;
    // the rest are empty (-1).
    q_pos0 = Tk + Tk / 2 + 3;
    const int64_t filled = std::max<int64_t>(1, Tk - Tk / 8);
    for (int64_t b = 0; b < B; ++b) {
      std::vector<int32_t> row(Tk, -1);
      for (int64_t j = 0; j < filled; ++j) row[j] = static_cast<int32_t>(q_pos0 - filled + 1 + j);
      std::shuffle(row.begin(), row.end(), rng());
      key_pos.insert(key_pos.end(), row.begin(), row.end());
    }
    if (c.padding == Padding::kLeft) {
      for (int64_t b = 1; b < B; ++b) key_start[b] = static_cast<int32_t>(uniform(q_pos0 - filled, q_pos0));
      key_start[B - 1] = static_cast<int32_t>(q_pos0 + 1);  // a padding query: sees nothing
    }
  } else if (c.padding == Padding::kLeft) {
    for (int64_t b = 1; b < B; ++b) key_start[b] = static_cast<int32_t>(uniform(1, std::max<int64_t>(1, Tk - 1)));
  }

  const at::Tensor ks = at::tensor(key_start, at::kInt).to(at::kCUDA);
  const at::Tensor kp = key_pos.empty() ? at::Tensor() : at::tensor(key_pos, at::kInt).view({B, Tk}).to(at::kCUDA);
  const at::Tensor qpos = (at::arange(Tq, i64) + q_pos0).view({1, 1, Tq, 1});
  const at::Tensor kpos = kp.defined() ? kp.to(at::kLong).view({B, 1, 1, Tk}) : at::arange(Tk, i64).view({1, 1, 1, Tk});
  const at::Tensor start = ks.to(at::kLong).view({B, 1, 1, 1});
  at::Tensor visible = (kpos >= start) & (kpos <= qpos);  // (B, 1, Tq, Tk)
  if (testing::policy_window(c.policy)) {
    visible = visible & (((qpos - kpos) < c.window) | ((kpos - start) < c.global_tokens));
  }
  const at::Tensor dead = (kpos < start).view({B, 1, Tk, 1});  // slots no query may see
  const at::Tensor live_row = visible.any(-1, /*keepdim=*/true);          // (B, 1, Tq, 1)

  const at::Tensor q = at::randn({B, H, Tq, D}, f32).to(c.dtype);
  const at::Tensor k = at::randn({B, H, Tk, D}, f32).to(c.dtype);
  const at::Tensor v = at::randn({B, H, Tk, D}, f32).to(c.dtype);
  const at::Tensor nan = at::full({}, std::numeric_limits<float>::quiet_NaN(), f32).to(c.dtype);
  const at::Tensor k_poison = at::where(dead, nan, k), v_poison = at::where(dead, nan, v);
  const at::Tensor k_clean = at::where(dead, at::zeros({}, k.options()), k);
  const at::Tensor v_clean = at::where(dead, at::zeros({}, v.options()), v);

  const std::vector<float> slopes_host = testing::test_alibi_slopes(H);
  const at::Tensor slopes = at::tensor(slopes_host).to(at::kCUDA);
  const bool alibi = testing::policy_alibi(c.policy);
  const double scale = 1.0 / std::sqrt(static_cast<double>(D));

  AttentionOptions opt;
  if (kp.defined()) opt.key_pos = kp;
  opt.q_pos0 = q_pos0;
  if (alibi) opt.alibi_slopes = slopes;
  opt.window = testing::policy_window(c.policy) ? c.window : 0;
  opt.global_tokens = c.global_tokens;
  opt.scale = scale;
  opt.flash_arch = c.arch;

  AttentionOptions ours_opt = opt;
  ours_opt.scale = scale * c.ours_scale_factor;
  if (opt.window > 0) ours_opt.window = opt.window + c.ours_window_delta;

  Outcome r;
  // Poisoned output: every element the kernels fail to write stays NaN.
  at::Tensor ours = at::full({B, H, Tq, D}, std::numeric_limits<float>::quiet_NaN(), f32).to(c.dtype);
  attention_op_out(ours, q, k_poison, v_poison, ks, ours_opt, &r.kernel);
  std::string functional_kernel;
  const at::Tensor functional = attention_op(q, k_poison, v_poison, ks, ours_opt, &functional_kernel);
  EXPECT_EQ(functional_kernel, r.kernel) << "the functional and .out overloads chose different kernels";
  EXPECT_EQ(functional.sizes(), q.sizes());
  EXPECT_EQ(functional.scalar_type(), c.dtype);
  r.same_as_functional = at::equal(functional, ours);

  // Reference in fp64 on upcast inputs; fp32 when the score matrix is big.
  const bool big = B * H * Tq * Tk > (int64_t{1} << 24);
  const at::ScalarType ref_type = big ? at::kFloat : at::kDouble;
  const at::Tensor ref = attention_reference(q.to(ref_type), k_clean.to(ref_type), v_clean.to(ref_type), ks,
                                             opt.key_pos, q_pos0, opt.alibi_slopes, opt.window, opt.global_tokens,
                                             scale)
                             .to(at::kDouble);

  // SDPA in the same dtype with an equivalent explicit mask (additive when ALiBi is on).
  at::Tensor mask;
  if (alibi) {
    const at::Tensor bias = -slopes.view({1, H, 1, 1}) * (qpos - kpos).to(at::kFloat);
    mask = at::where(visible, bias, at::full({}, -std::numeric_limits<float>::infinity(), f32)).to(c.dtype);
  } else {
    mask = visible;
  }
  const at::Tensor sdpa = at::scaled_dot_product_attention(q, k_clean, v_clean, mask, 0.0, false, scale);

  auto max_err = [&](const at::Tensor& x) {
    const at::Tensor diff = (x.to(at::kDouble) - ref).abs();
    return at::where(live_row, diff, at::zeros({}, diff.options())).max().item<double>();
  };
  r.ours = max_err(ours);
  r.sdpa = max_err(sdpa);
  const double ref_max = at::where(live_row, ref.abs(), at::zeros({}, ref.options())).max().item<double>();
  r.ours_rel = ref_max > 0 ? r.ours / ref_max : r.ours;
  r.floor = 0.25 * (c.dtype == at::kHalf ? std::ldexp(1.0, -10) : std::ldexp(1.0, -7));
  r.finite = at::isfinite(ours).all().item<bool>();
  const at::Tensor pad_rows = at::where(live_row, at::zeros({}, ours.options()), ours);
  r.padding_zero = pad_rows.eq(0).all().item<bool>();
  return r;
}

void expect_ok(const GpuCase& c) {
  const Outcome r = run_case(c);
  const std::string what = describe(c) + " kernel=" + r.kernel;
  EXPECT_TRUE(r.finite) << what << ": NaN/Inf in the output (an element not written, or a masked NaN leaked)";
  EXPECT_TRUE(r.same_as_functional) << what << ": gptbench::attention and its .out overload differ";
  EXPECT_TRUE(r.padding_zero) << what << ": a query with no visible key is not exactly 0";
  if (c.q_len > 1) {
    EXPECT_TRUE(testing::prefill_kernel_is(r.kernel, c.arch)) << what << ": another kernel ran";
  }
  EXPECT_LE(r.ours, 2.0 * r.sdpa + r.floor)
      << what << ": max abs err " << r.ours << " (rel " << r.ours_rel << ") vs SDPA " << r.sdpa;
}

struct Sizes {
  int64_t q_len, k_len;
};
// Tq = Tk and Tq < Tk, tile multiples and not, from one tile to many.
const std::vector<Sizes>& prefill_sizes() {
  static const std::vector<Sizes> kSizes = {{17, 17},   {64, 64},    {127, 127}, {1000, 1000}, {4096, 4096},
                                            {17, 64},   {64, 127},   {127, 1000}, {17, 4096},  {1000, 4096}};
  return kSizes;
}

void run_prefill_grid(Policy policy) {
  for (FlashArch arch : testing::prefill_archs_on_this_device())
  for (at::ScalarType dt : {at::kHalf, at::kBFloat16}) {
    for (int64_t d : {64, 128}) {
      for (const Sizes& s : prefill_sizes()) {
        for (Padding pad : {Padding::kNone, Padding::kLeft}) {
          std::vector<int64_t> windows = {0};
          if (testing::policy_window(policy)) {
            windows = s.k_len >= 1000 ? std::vector<int64_t>{37, 256} : std::vector<int64_t>{1, 37, s.k_len + 5};
          }
          for (int64_t w : windows) {
            GpuCase c;
            c.batch = s.k_len >= 1000 ? 2 : 3;
            c.heads = s.k_len >= 1000 ? 2 : 3;
            c.q_len = s.q_len;
            c.k_len = s.k_len;
            c.head_dim = d;
            c.dtype = dt;
            c.policy = policy;
            c.window = w;
            c.global_tokens = policy == Policy::kWindowSinks ? (w == 37 ? 70 : 3) : 0;
            c.padding = pad;
            c.arch = arch;
            expect_ok(c);
          }
        }
      }
    }
  }
}

TEST(FlashAttentionGpu, PrefillCausal) {
  SKIP_WITHOUT_CUDA();
  run_prefill_grid(Policy::kCausal);
}
TEST(FlashAttentionGpu, PrefillAlibi) {
  SKIP_WITHOUT_CUDA();
  run_prefill_grid(Policy::kAlibi);
}
TEST(FlashAttentionGpu, PrefillWindow) {
  SKIP_WITHOUT_CUDA();
  run_prefill_grid(Policy::kWindow);
}
TEST(FlashAttentionGpu, PrefillAlibiWindow) {
  SKIP_WITHOUT_CUDA();
  run_prefill_grid(Policy::kAlibiWindow);
}
TEST(FlashAttentionGpu, PrefillWindowSinks) {
  SKIP_WITHOUT_CUDA();
  run_prefill_grid(Policy::kWindowSinks);
}

void run_decode_grid(KeyLayout layout) {
  for (Policy policy : testing::all_policies()) {
    for (at::ScalarType dt : {at::kHalf, at::kBFloat16}) {
      for (int64_t d : {64, 128}) {
        for (int64_t tk : {1, 17, 64, 127, 1000, 4096, 32768}) {
          for (Padding pad : {Padding::kNone, Padding::kLeft}) {
            const std::vector<int64_t> windows =
                testing::policy_window(policy) ? std::vector<int64_t>{1, 37, 300} : std::vector<int64_t>{0};
            for (int64_t w : windows) {
              GpuCase c;
              c.batch = 3;
              c.heads = 4;
              c.q_len = 1;
              c.k_len = tk;
              c.head_dim = d;
              c.dtype = dt;
              c.policy = policy;
              c.window = w;
              c.global_tokens = policy == Policy::kWindowSinks ? 5 : 0;
              c.padding = pad;
              c.layout = layout;
              expect_ok(c);
            }
          }
        }
      }
    }
  }
}

TEST(FlashAttentionGpu, DecodeDenseCache) {
  SKIP_WITHOUT_CUDA();
  run_decode_grid(KeyLayout::kContiguous);
}

TEST(FlashAttentionGpu, DecodeRollingCache) {
  SKIP_WITHOUT_CUDA();
  run_decode_grid(KeyLayout::kRolling);
}

TEST(FlashAttentionGpu, DecodeManySplitsGpt2Shape) {
  SKIP_WITHOUT_CUDA();
  for (int64_t tk : {4096, 32768}) {
    GpuCase c;
    c.batch = 8;
    c.heads = 12;
    c.q_len = 1;
    c.k_len = tk;
    c.padding = Padding::kLeft;
    expect_ok(c);
  }
}

// q, k, v as views of a (B, T, 3, H, D) projection (the model's layout) and a misaligned view.
TEST(FlashAttentionGpu, StridedAndMisalignedInputs) {
  SKIP_WITHOUT_CUDA();
  for (FlashArch arch : testing::prefill_archs_on_this_device()) {
  SCOPED_TRACE(testing::arch_label(arch));
  AttentionOptions o;
  o.flash_arch = arch;
  const int64_t B = 2, T = 300, H = 4, D = 64;
  const auto opts = at::TensorOptions().device(at::kCUDA).dtype(at::kHalf);
  const at::Tensor qkv = at::randn({B, T, 3, H, D}, opts);
  const at::Tensor q = qkv.select(2, 0).transpose(1, 2), k = qkv.select(2, 1).transpose(1, 2),
                   v = qkv.select(2, 2).transpose(1, 2);
  const at::Tensor ks = at::tensor(std::vector<int32_t>{0, 40}, at::kInt).to(at::kCUDA);
  std::string kernel;
  const at::Tensor got = attention_op(q, k, v, ks, o, &kernel);
  EXPECT_TRUE(testing::prefill_kernel_is(kernel, arch)) << kernel;
  const at::Tensor want = attention_op(q.contiguous(), k.contiguous(), v.contiguous(), ks, o);
  EXPECT_TRUE(at::equal(got, want)) << "strided views must give the same bits as contiguous copies";

  // .out into a (B, H, T, D) view of a (B, T, H, D) buffer: the layout the output projection wants.
  at::Tensor buffer = at::full({B, T, H, D}, std::numeric_limits<float>::quiet_NaN(), opts);
  at::Tensor out_view = buffer.transpose(1, 2);
  attention_op_out(out_view, q, k, v, ks, o);
  EXPECT_TRUE(at::equal(buffer.transpose(1, 2), want));

  const at::Tensor flat = at::randn({B * H * T * D + 1}, opts);
  const at::Tensor odd = flat.narrow(0, 1, B * H * T * D).view({B, H, T, D});  // 2-byte aligned
  const at::Tensor got_odd = attention_op(odd, odd, odd, ks, o);
  const at::Tensor want_odd = attention_op(odd.clone(), odd.clone(), odd.clone(), ks, o);
  EXPECT_TRUE(at::equal(got_odd, want_odd));
  }
}

// The prefill kernel is the one asked for or a clear error: sm90 off sm_90 devices, or over a
// broadcast (zero-stride) key view that TMA cannot describe, throws; auto then takes sm80 and says so.
TEST(FlashAttentionGpu, FlashArchIsHonouredOrRefused) {
  SKIP_WITHOUT_CUDA();
  const auto opts = at::TensorOptions().device(at::kCUDA).dtype(at::kHalf);
  const at::Tensor q = at::randn({1, 4, 64, 64}, opts);
  const at::Tensor k = at::randn({1, 1, 64, 64}, opts).expand({1, 4, 64, 64});  // head stride 0
  const at::Tensor ks = at::zeros({1}, opts.dtype(at::kInt));
  AttentionOptions sm90;
  sm90.flash_arch = FlashArch::kSm90;
  AttentionOptions automatic, sm80;
  sm80.flash_arch = FlashArch::kSm80;
  std::string kernel;
  const at::Tensor got = attention_op(q, k, k, ks, automatic, &kernel);
  EXPECT_TRUE(testing::prefill_kernel_is(kernel, FlashArch::kSm80)) << kernel;
  EXPECT_TRUE(at::equal(got, attention_op(q, k.contiguous(), k.contiguous(), ks, sm80)));
  const bool hopper = at::cuda::getCurrentDeviceProperties()->major == 9;
  const std::string why = testing::error_message_of([&] { attention_op(q, k, k, ks, sm90); });
  EXPECT_NE(why.find(hopper ? "zero stride" : "needs sm_90"), std::string::npos) << why;
  if (hopper) {
    attention_op(q, k.contiguous(), k.contiguous(), ks, automatic, &kernel);
    EXPECT_TRUE(testing::prefill_kernel_is(kernel, FlashArch::kSm90)) << "auto on sm_90 must take sm90: " << kernel;
  }
}

// The rule has teeth: a 2% scale error, or a window one key too wide, must fail it.
TEST(FlashAttentionGpu, ComparisonRuleCatchesWrongResults) {
  SKIP_WITHOUT_CUDA();
  for (int64_t q_len : {64, 1}) {
    GpuCase c;
    c.q_len = q_len;
    c.k_len = 64;
    c.ours_scale_factor = 1.02;
    const Outcome scaled = run_case(c);
    EXPECT_GT(scaled.ours, 2.0 * scaled.sdpa + scaled.floor) << describe(c) << ": a 2% scale error went unnoticed";
    c.ours_scale_factor = 1.0;
    c.policy = Policy::kWindow;
    c.window = 37;
    c.ours_window_delta = 1;
    const Outcome wide = run_case(c);
    EXPECT_GT(wide.ours, 2.0 * wide.sdpa + wide.floor) << describe(c) << ": an off-by-one window went unnoticed";
  }
}

// A race shows as results that move between runs on the same inputs.
TEST(FlashAttentionGpu, RepeatedRunsAreBitwiseIdentical) {
  SKIP_WITHOUT_CUDA();
  const auto opts = at::TensorOptions().device(at::kCUDA).dtype(at::kBFloat16);
  const at::Tensor q = at::randn({2, 6, 777, 64}, opts), k = at::randn({2, 6, 777, 64}, opts),
                   v = at::randn({2, 6, 777, 64}, opts);
  const at::Tensor ks = at::tensor(std::vector<int32_t>{0, 100}, at::kInt).to(at::kCUDA);
  AttentionOptions opt;
  opt.window = 130;
  opt.global_tokens = 4;
  const at::Tensor first = attention_op(q, k, v, ks, opt);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(at::equal(first, attention_op(q, k, v, ks, opt)));
  const at::Tensor dq = q.narrow(2, 0, 1), d_first = attention_op(dq, k, v, ks, opt);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(at::equal(d_first, attention_op(dq, k, v, ks, opt)));
}

// Decode with the query position read on the device (what a CUDA graph replays) over a buffer
// longer than the written prefix: slots past the position hold NaN and must never be read; the
// result matches the fp64 reference at that position for every mask policy, with left padding.
TEST(FlashAttentionGpu, DecodeWithDevicePositionReadsOnlyWrittenSlots) {
  SKIP_WITHOUT_CUDA();
  const int64_t B = 3, H = 4, Tk = 600, D = 64;
  const auto cuda = at::TensorOptions().device(at::kCUDA);
  const at::Tensor ks = at::tensor(std::vector<int32_t>{0, 40, 3}, at::kInt).to(at::kCUDA);
  const at::Tensor slopes = at::tensor(testing::test_alibi_slopes(H)).to(at::kCUDA);
  const at::Tensor q = at::randn({B, H, 1, D}, cuda.dtype(at::kHalf));
  const at::Tensor k = at::randn({B, H, Tk, D}, cuda.dtype(at::kHalf)), v = at::randn({B, H, Tk, D}, cuda.dtype(at::kHalf));
  for (bool alibi : {false, true}) {
    for (int64_t window : {0, 64}) {
      for (int64_t pos : {41, 200, 599}) {
        const at::Tensor slot = at::arange(Tk, cuda.dtype(at::kLong)).view({1, 1, Tk, 1});
        const at::Tensor nan = at::full({}, std::numeric_limits<float>::quiet_NaN(), cuda.dtype(at::kHalf));
        const at::Tensor k_poison = at::where(slot > pos, nan, k), v_poison = at::where(slot > pos, nan, v);
        AttentionOptions opt;
        opt.q_pos = at::full({1}, pos, cuda.dtype(at::kLong));
        opt.window = window;
        opt.global_tokens = window > 0 ? 4 : 0;
        if (alibi) opt.alibi_slopes = slopes;
        const at::Tensor got = attention_op(q, k_poison, v_poison, ks, opt).to(at::kDouble);
        const at::Tensor want = attention_reference(q.to(at::kDouble), k.to(at::kDouble), v.to(at::kDouble), ks, {},
                                                    pos, opt.alibi_slopes, window, opt.global_tokens,
                                                    1.0 / std::sqrt(static_cast<double>(D)))
                                    .to(at::kDouble);
        const double err = (got - want).abs().max().item<double>();
        EXPECT_TRUE(at::isfinite(got).all().item<bool>()) << "alibi " << alibi << " window " << window << " pos " << pos;
        EXPECT_LT(err, 2e-3) << "alibi " << alibi << " window " << window << " pos " << pos;
      }
    }
  }
}

TEST(FlashAttentionGpu, UnsupportedProblemsThrowClearly) {
  SKIP_WITHOUT_CUDA();
  const auto cuda = at::TensorOptions().device(at::kCUDA);
  const at::Tensor ks = at::zeros({1}, cuda.dtype(at::kInt));
  auto message_of = [](auto&& fn) { return testing::error_message_of(fn); };
  const at::Tensor f32 = at::randn({1, 2, 8, 64}, cuda.dtype(at::kFloat));
  EXPECT_NE(message_of([&] { attention_op(f32, f32, f32, ks); }).find("fp16 or bf16"), std::string::npos);
  const at::Tensor d80 = at::randn({1, 2, 8, 80}, cuda.dtype(at::kHalf));
  EXPECT_NE(message_of([&] { attention_op(d80, d80, d80, ks); }).find("head dim 80"), std::string::npos);
  const at::Tensor h = at::randn({1, 2, 8, 64}, cuda.dtype(at::kHalf));
  AttentionOptions rolling;
  rolling.key_pos = at::zeros({1, 8}, cuda.dtype(at::kInt));
  EXPECT_NE(message_of([&] { attention_op(h, h, h, ks, rolling); }).find("Tq == 1"), std::string::npos);
}

}  // namespace
}  // namespace gptbench::kernels
