// The gptbench::attention op on the CPU: its registration, its argument checks, the
// selection function's answers, and its math against an independent fp64 brute-force
// loop for every mask policy, left padding, Tq < Tk, explicit q_pos0 and rolling caches.
#include <ATen/ATen.h>                      // at::randn, at::tensor, at::zeros
#include <ATen/core/dispatch/Dispatcher.h>  // c10::Dispatcher
#include <gtest/gtest.h>                    // TEST, EXPECT_*

#include <algorithm>  // std::max, std::shuffle
#include <cmath>      // std::exp, std::sqrt, std::abs
#include <limits>     // std::numeric_limits
#include <optional>   // std::optional
#include <random>     // std::mt19937
#include <string>     // std::string, std::to_string
#include <utility>    // std::pair
#include <vector>     // std::vector

#include "attention_test_support.h"         // Policy, test_alibi_slopes
#include "flash_policies.h"                 // the kernel table (kernels/)
#include "gptbench/kernels/attention_op.h"  // attention_op, select_attention_kernel
#include "gptbench/util/error.h"            // gptbench::Error

namespace gptbench::kernels {
namespace {

using testing::Policy;

struct CpuCase {
  int64_t batch = 2, heads = 3, q_len = 1, k_len = 1, head_dim = 8;
  int64_t kv_heads = 0;  // 0: = heads; query head h reads kv head h / (heads / kv_heads)
  Policy policy = Policy::kCausal;
  int64_t window = 0, global_tokens = 0;
  std::vector<int32_t> key_start;       // (B)
  std::vector<int32_t> key_pos;         // (B * Tk), empty = contiguous
  std::optional<int64_t> q_pos0;        // default Tk - Tq
};

// The policy with its window W and sinks G where it has them (0 otherwise).
void set_policy(CpuCase& c, Policy policy, int64_t window, int64_t sinks) {
  c.policy = policy;
  c.window = testing::policy_window(policy) ? window : 0;
  c.global_tokens = policy == Policy::kWindowSinks ? sinks : 0;
}

int64_t kv_heads_of(const CpuCase& c) { return c.kv_heads == 0 ? c.heads : c.kv_heads; }

std::string describe(const CpuCase& c) {
  return "B=" + std::to_string(c.batch) + " H=" + std::to_string(c.heads) + " Hkv=" + std::to_string(kv_heads_of(c)) +
         " Tq=" + std::to_string(c.q_len) +
         " Tk=" + std::to_string(c.k_len) + " policy=" + testing::policy_label(c.policy) +
         " W=" + std::to_string(c.window) + " G=" + std::to_string(c.global_tokens) +
         (c.key_pos.empty() ? "" : " rolling") + (c.q_pos0 ? " q_pos0=" + std::to_string(*c.q_pos0) : "");
}

// The semantics written out as loops over doubles, sharing no code with the op.
std::vector<double> brute_force(const CpuCase& c, const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                const std::vector<float>& slopes, double scale) {
  auto qa = q.accessor<double, 4>();
  auto ka = k.accessor<double, 4>();
  auto va = v.accessor<double, 4>();
  const int64_t q_pos0 = c.q_pos0.value_or(c.k_len - c.q_len);
  const int64_t group = c.heads / kv_heads_of(c);
  std::vector<double> out(c.batch * c.heads * c.q_len * c.head_dim, 0.0);
  for (int64_t b = 0; b < c.batch; ++b) {
    for (int64_t h = 0; h < c.heads; ++h) {
      const int64_t hk = h / group;  // the key/value head this query head reads
      for (int64_t i = 0; i < c.q_len; ++i) {
        const int64_t qpos = q_pos0 + i;
        const int64_t ks = c.key_start[b];
        std::vector<double> score(c.k_len, -std::numeric_limits<double>::infinity());
        bool any = false;
        double mx = -std::numeric_limits<double>::infinity();
        for (int64_t j = 0; j < c.k_len; ++j) {
          const int64_t kpos = c.key_pos.empty() ? j : c.key_pos[b * c.k_len + j];
          bool vis = kpos >= ks && kpos <= qpos;
          if (c.window > 0) vis = vis && (qpos - kpos < c.window || kpos - ks < c.global_tokens);
          if (!vis) continue;
          double dot = 0.0;
          for (int64_t d = 0; d < c.head_dim; ++d) dot += qa[b][h][i][d] * ka[b][hk][j][d];
          double s = dot * scale;
          if (testing::policy_alibi(c.policy)) s -= static_cast<double>(slopes[h]) * static_cast<double>(qpos - kpos);
          score[j] = s;
          mx = std::max(mx, s);
          any = true;
        }
        if (!any) continue;  // padding query: stays 0
        double sum = 0.0;
        for (int64_t j = 0; j < c.k_len; ++j) sum += std::exp(score[j] - mx);
        for (int64_t d = 0; d < c.head_dim; ++d) {
          double acc = 0.0;
          for (int64_t j = 0; j < c.k_len; ++j) acc += std::exp(score[j] - mx) * va[b][hk][j][d];
          out[((b * c.heads + h) * c.q_len + i) * c.head_dim + d] = acc / sum;
        }
      }
    }
  }
  return out;
}

// Runs the op (fp64 in, fp64 math) against the brute force; returns the max abs error.
double check_case(const CpuCase& c, at::ScalarType dtype = at::kDouble) {
  const auto f64 = at::TensorOptions().dtype(at::kDouble);
  // Rounded through `dtype` first so that both sides see the same input values.
  const at::Tensor q = at::randn({c.batch, c.heads, c.q_len, c.head_dim}, f64).to(dtype).to(at::kDouble);
  const at::Tensor k = at::randn({c.batch, kv_heads_of(c), c.k_len, c.head_dim}, f64).to(dtype).to(at::kDouble);
  const at::Tensor v = at::randn({c.batch, kv_heads_of(c), c.k_len, c.head_dim}, f64).to(dtype).to(at::kDouble);
  const std::vector<float> slopes = testing::test_alibi_slopes(c.heads);
  const double scale = 1.0 / std::sqrt(static_cast<double>(c.head_dim));

  AttentionOptions opt;
  opt.q_pos0 = c.q_pos0;
  opt.window = c.window;
  opt.global_tokens = c.global_tokens;
  opt.scale = scale;
  if (testing::policy_alibi(c.policy)) opt.alibi_slopes = at::tensor(slopes);
  if (!c.key_pos.empty()) opt.key_pos = at::tensor(c.key_pos).view({c.batch, c.k_len});
  const at::Tensor key_start = at::tensor(c.key_start);

  const at::Tensor got = attention_op(q.to(dtype), k.to(dtype), v.to(dtype), key_start, opt).to(at::kDouble);
  EXPECT_EQ(got.scalar_type(), at::kDouble);
  const std::vector<double> want = brute_force(c, q, k, v, slopes, scale);
  const at::Tensor want_t = at::tensor(want, f64).view(got.sizes());
  EXPECT_TRUE(at::isfinite(got).all().item<bool>()) << describe(c);
  return (got - want_t).abs().max().item<double>();
}

std::vector<int32_t> padded_starts(int64_t batch, int32_t pad) {
  std::vector<int32_t> ks(batch, 0);
  for (int64_t b = 1; b < batch; ++b) ks[b] = static_cast<int32_t>(pad * b);
  return ks;
}

TEST(AttentionOpCpu, SchemaAndKernelsAreRegistered) {
  const auto op = c10::Dispatcher::singleton().findSchema({kAttentionOpName, ""});
  ASSERT_TRUE(op.has_value()) << "gptbench::attention is not registered: the op library was dropped at link time";
  EXPECT_TRUE(op->hasKernelForDispatchKey(c10::DispatchKey::CPU));
  // The CUDA registration lives in another object file of the same library; a build with
  // the kernels must register it too (it is exactly what a static archive would drop).
  EXPECT_EQ(op->hasKernelForDispatchKey(c10::DispatchKey::CUDA), flash_kernels_compiled());
}

TEST(AttentionOpCpu, MatchesBruteForceForEveryPolicy) {
  struct Shape {
    int64_t q_len, k_len;
  };
  const std::vector<Shape> shapes = {{1, 1}, {1, 9}, {5, 5}, {4, 11}, {13, 13}, {3, 20}};
  for (Policy policy : testing::all_policies()) {
    const std::vector<int64_t> windows =
        testing::policy_window(policy) ? std::vector<int64_t>{1, 3, 100} : std::vector<int64_t>{0};
    for (const Shape& s : shapes) {
      for (int64_t w : windows) {
        for (int32_t pad : {0, 3}) {
          CpuCase c;
          c.q_len = s.q_len;
          c.k_len = s.k_len;
          c.policy = policy;
          c.window = w;
          c.global_tokens = policy == Policy::kWindowSinks ? 2 : 0;
          c.key_start = padded_starts(c.batch, pad);
          const double err = check_case(c);
          EXPECT_LT(err, 1e-12) << describe(c);
        }
      }
    }
  }
}

TEST(AttentionOpCpu, RollingCacheAndExplicitQueryPosition) {
  std::mt19937 rng(std::random_device{}());
  for (Policy policy : testing::all_policies()) {
    for (int64_t q_len : {1, 3}) {
      CpuCase c;
      c.k_len = 12;
      c.q_len = q_len;
      set_policy(c, policy, 5, 2);
      const int64_t q_pos0 = 20;
      c.q_pos0 = q_pos0;
      // Slots hold the last 9 positions before the queries in shuffled order, 3 slots empty,
      // and row 1 starts late so that some held positions are its padding.
      c.key_start = std::vector<int32_t>{0, 15};
      c.key_pos.clear();
      for (int64_t b = 0; b < c.batch; ++b) {
        std::vector<int32_t> row;
        for (int32_t p = 12; p < 21; ++p) row.push_back(p);
        row.insert(row.end(), {-1, -1, -1});
        std::shuffle(row.begin(), row.end(), rng);
        c.key_pos.insert(c.key_pos.end(), row.begin(), row.end());
      }
      EXPECT_LT(check_case(c), 1e-12) << describe(c);
    }
  }
}

// Grouped-query attention (Hkv in {H, H/4, 1}) for every policy, prefill and decode, padding,
// and a rolling cache, against the loop in which query head h reads kv head h / (H / Hkv).
TEST(AttentionOpCpu, GroupedQueryAttentionMatchesBruteForce) {
  for (int64_t kv_heads : {8, 2, 1}) {
    for (Policy policy : testing::all_policies()) {
      for (int64_t q_len : {1, 7}) {
        CpuCase c;
        c.heads = 8;
        c.kv_heads = kv_heads;
        c.q_len = q_len;
        c.k_len = 13;
        set_policy(c, policy, 4, 2);
        c.key_start = padded_starts(c.batch, 3);
        EXPECT_LT(check_case(c), 1e-12) << describe(c);
      }
      CpuCase rolling;
      rolling.heads = 8;
      rolling.kv_heads = kv_heads;
      rolling.k_len = 6;
      set_policy(rolling, policy, 3, 1);
      rolling.q_pos0 = 9;
      rolling.key_start = std::vector<int32_t>{0, 6};
      rolling.key_pos = std::vector<int32_t>{9, 5, -1, 7, 8, 6, 6, 9, 8, -1, 7, 5};
      EXPECT_LT(check_case(rolling), 1e-12) << describe(rolling);
    }
  }
}

TEST(AttentionOpCpu, GroupedQueryAttentionNeedsADivisibleHeadCount) {
  const at::Tensor q = at::randn({1, 6, 4, 8}), k = at::randn({1, 4, 4, 8});
  try {
    attention_op(q, k, k, at::zeros({1}, at::kInt));
    ADD_FAILURE() << "6 query heads over 4 key/value heads was accepted";
  } catch (const gptbench::Error& e) {
    EXPECT_NE(std::string(e.what()).find("gptbench::attention: 6 query heads cannot share 4 key/value heads"),
              std::string::npos)
        << e.what();
  }
}

// q_pos (a device tensor, for CUDA-graph decode) means exactly what q_pos0 means.
TEST(AttentionOpCpu, DeviceQueryPositionEqualsHostPosition) {
  const at::Tensor q = at::randn({2, 3, 1, 8}, at::kDouble), k = at::randn({2, 3, 30, 8}, at::kDouble);
  const at::Tensor v = at::randn({2, 3, 30, 8}, at::kDouble);
  const at::Tensor ks = at::tensor(std::vector<int32_t>{0, 5});
  for (int64_t pos : {5, 17, 29}) {
    for (int64_t window : {0, 6}) {
      AttentionOptions host, device;
      host.q_pos0 = pos;
      device.q_pos = at::full({1}, pos, at::kLong);
      host.window = device.window = window;
      host.alibi_slopes = device.alibi_slopes = at::tensor(testing::test_alibi_slopes(3));
      EXPECT_TRUE(at::equal(attention_op(q, k, v, ks, host), attention_op(q, k, v, ks, device)))
          << "pos " << pos << " window " << window;
    }
  }
}

TEST(AttentionOpCpu, PaddingQueriesAreExactlyZero) {
  CpuCase c;
  c.q_len = c.k_len = 6;
  c.key_start = std::vector<int32_t>{0, 4};  // row 1: queries 0..3 see no key
  const at::Tensor q = at::randn({2, 3, 6, 8}), k = at::randn({2, 3, 6, 8}), v = at::randn({2, 3, 6, 8});
  const at::Tensor out = attention_op(q, k, v, at::tensor(c.key_start));
  EXPECT_TRUE(at::equal(out.index({1, at::indexing::Slice(), at::indexing::Slice(0, 4)}),
                        at::zeros({3, 4, 8})));
  EXPECT_FALSE(at::equal(out.index({1, at::indexing::Slice(), at::indexing::Slice(4, 6)}),
                         at::zeros({3, 2, 8})));
}

TEST(AttentionOpCpu, OutOverloadWritesEveryElement) {
  const at::Tensor q = at::randn({2, 3, 7, 8}), k = at::randn({2, 3, 9, 8}), v = at::randn({2, 3, 9, 8});
  const at::Tensor ks = at::tensor(std::vector<int32_t>{0, 5});
  at::Tensor out = at::full({2, 3, 7, 8}, std::numeric_limits<float>::quiet_NaN());
  at::Tensor& same = attention_op_out(out, q, k, v, ks);
  EXPECT_EQ(same.data_ptr(), out.data_ptr());
  EXPECT_TRUE(at::equal(out, attention_op(q, k, v, ks)));
  at::Tensor wrong = at::empty({2, 3, 7, 4});
  EXPECT_THROW(attention_op_out(wrong, q, k, v, ks), gptbench::Error);
}

TEST(AttentionOpCpu, LowPrecisionInputsComputeInFp32) {
  for (at::ScalarType dt : {at::kFloat, at::kHalf, at::kBFloat16}) {
    CpuCase c;
    c.q_len = c.k_len = 9;
    c.key_start = std::vector<int32_t>{0, 2};
    c.policy = Policy::kAlibi;
    // Inputs are rounded to dt before both sides see them; the output rounding to dt is the
    // error left: half an ulp of values below 4.
    const double tol = dt == at::kFloat ? 1e-6 : dt == at::kHalf ? 2e-3 : 1.6e-2;
    EXPECT_LT(check_case(c, dt), tol) << c10::toString(dt);
  }
}

TEST(AttentionOpCpu, RejectsBadArgumentsNamingThem) {
  const at::Tensor q = at::randn({2, 3, 4, 8}), k = at::randn({2, 3, 4, 8});
  const at::Tensor ks = at::zeros({2}, at::kInt);
  auto message_of = [](auto&& fn) { return testing::error_message_of(fn); };
  EXPECT_NE(message_of([&] { attention_op(q.view({2, 3, 32}), k, k, ks); }).find("q must be 4-D"),
            std::string::npos);
  EXPECT_NE(message_of([&] { attention_op(q, k, k.narrow(2, 0, 3), ks); }).find("v must have k's shape"),
            std::string::npos);
  EXPECT_NE(message_of([&] { attention_op(q, k, k, at::zeros({3}, at::kInt)); }).find("key_start"),
            std::string::npos);
  EXPECT_NE(message_of([&] { attention_op(q, k, k, ks.to(at::kFloat)); }).find("key_start"), std::string::npos);
  AttentionOptions bad_pos;
  bad_pos.key_pos = at::zeros({2, 5}, at::kInt);
  EXPECT_NE(message_of([&] { attention_op(q, k, k, ks, bad_pos); }).find("key_pos"), std::string::npos);
  AttentionOptions bad_slopes;
  bad_slopes.alibi_slopes = at::ones({2});
  EXPECT_NE(message_of([&] { attention_op(q, k, k, ks, bad_slopes); }).find("alibi_slopes"), std::string::npos);
  AttentionOptions bad_window;
  bad_window.window = -1;
  EXPECT_NE(message_of([&] { attention_op(q, k, k, ks, bad_window); }).find("window"), std::string::npos);
  EXPECT_NE(message_of([&] { attention_op(q, k.to(at::kDouble), k, ks); }).find("one dtype"), std::string::npos);
  AttentionOptions both_positions;
  both_positions.q_pos0 = 3;
  both_positions.q_pos = at::full({1}, 3, at::kLong);
  EXPECT_NE(message_of([&] { attention_op(q.narrow(2, 0, 1), k, k, ks, both_positions); }).find("not both"),
            std::string::npos);
  AttentionOptions prefill_q_pos;
  prefill_q_pos.q_pos = at::full({1}, 3, at::kLong);
  EXPECT_NE(message_of([&] { attention_op(q, k, k, ks, prefill_q_pos); }).find("Tq == 1"), std::string::npos);
  AttentionOptions int_q_pos;
  int_q_pos.q_pos = at::full({1}, 3, at::kInt);
  EXPECT_NE(message_of([&] { attention_op(q.narrow(2, 0, 1), k, k, ks, int_q_pos); }).find("q_pos must be (1,) int64"),
            std::string::npos);
  AttentionOptions bad_scale;
  bad_scale.scale = -0.125;
  EXPECT_NE(message_of([&] { attention_op(q, k, k, ks, bad_scale); }).find("scale"), std::string::npos);
}

// An sm_90 device; the sm_80 prefill kernel asked for explicitly (FlashArchSelection covers the sm90 one).
AttentionProblem cuda_problem(int64_t q_len, int64_t k_len) {
  AttentionProblem pr;
  pr.device = c10::DeviceType::CUDA;
  pr.sm_version = 90;
  pr.flash_arch = FlashArch::kSm80;
  pr.dtype = c10::ScalarType::Half;
  pr.batch = 2;
  pr.heads = 12;
  pr.kv_heads = 12;
  pr.q_len = q_len;
  pr.k_len = k_len;
  pr.head_dim = 64;
  pr.q_pos0 = k_len - q_len;
  return pr;
}

TEST(AttentionOpCpu, SelectionFunctionAnswers) {
  AttentionProblem cpu = cuda_problem(16, 16);
  cpu.device = c10::DeviceType::CPU;
  cpu.sm_version = 0;
  cpu.flash_arch = FlashArch::kAuto;
  const KernelChoice on_cpu = select_attention_kernel(cpu);
  EXPECT_TRUE(on_cpu.supported);
  EXPECT_EQ(on_cpu.kernel_name, "cpu_reference_fp32_causal");

  if (!flash_kernels_compiled()) {
    const KernelChoice c = select_attention_kernel(cuda_problem(128, 128));
    EXPECT_FALSE(c.supported);
    EXPECT_EQ(c.reason, "flash kernels not compiled in this build (configured without nvcc)");
    return;
  }
  const KernelChoice prefill = select_attention_kernel(cuda_problem(128, 128));
  ASSERT_TRUE(prefill.supported) << prefill.reason;
  EXPECT_EQ(prefill.kernel_name.rfind("flash_prefill_fp16_d64_", 0), 0u) << prefill.kernel_name;
  EXPECT_NE(prefill.kernel_name.find("_causal"), std::string::npos);

  AttentionProblem alibi_window = cuda_problem(1024, 1024);
  alibi_window.bias = ScoreBias::kAlibi;
  alibi_window.window = 256;
  alibi_window.dtype = c10::ScalarType::BFloat16;
  const KernelChoice aw = select_attention_kernel(alibi_window);
  EXPECT_TRUE(aw.supported);
  EXPECT_NE(aw.kernel_name.find("bf16"), std::string::npos);
  EXPECT_NE(aw.kernel_name.find("_alibi_window"), std::string::npos) << aw.kernel_name;

  // A window no query can exceed is normalised away: the dense kernel runs.
  AttentionProblem wide = cuda_problem(100, 100);
  wide.window = 100;
  EXPECT_NE(select_attention_kernel(wide).kernel_name.find("_causal"), std::string::npos);
  wide.window = 99;
  EXPECT_NE(select_attention_kernel(wide).kernel_name.find("_window"), std::string::npos);

  AttentionProblem decode = cuda_problem(1, 4096);
  EXPECT_EQ(select_attention_kernel(decode).kernel_name, "flash_decode_splitkv_fp16_d64_causal");
  decode.key_layout = KeyLayout::kRolling;
  EXPECT_EQ(select_attention_kernel(decode).kernel_name, "flash_decode_splitkv_fp16_d64_causal_rolling");

  AttentionProblem rolling_prefill = cuda_problem(8, 64);
  rolling_prefill.key_layout = KeyLayout::kRolling;
  const KernelChoice rp = select_attention_kernel(rolling_prefill);
  EXPECT_FALSE(rp.supported);
  EXPECT_NE(rp.reason.find("Tq == 1"), std::string::npos) << rp.reason;

  AttentionProblem fp32 = cuda_problem(64, 64);
  fp32.dtype = c10::ScalarType::Float;
  EXPECT_FALSE(select_attention_kernel(fp32).supported);
  EXPECT_NE(select_attention_kernel(fp32).reason.find("fp16 or bf16"), std::string::npos);

  AttentionProblem d80 = cuda_problem(64, 64);
  d80.head_dim = 80;
  EXPECT_FALSE(select_attention_kernel(d80).supported);

  AttentionProblem turing = cuda_problem(64, 64);
  turing.sm_version = 75;
  EXPECT_FALSE(select_attention_kernel(turing).supported);
}

// --flash-arch: auto takes the sm_90a prefill kernel on sm_90 when this build has it (its name says
// so), else the sm_80 one; an explicit sm90 that cannot run is refused with the reason; decode and
// the CPU reference have one kernel each.
TEST(AttentionOpCpu, FlashArchSelection) {
  if (!flash_kernels_compiled()) GTEST_SKIP() << "built without nvcc: no CUDA kernel is selectable";
  AttentionProblem pr = cuda_problem(1024, 1024);
  pr.flash_arch = FlashArch::kAuto;
  pr.kv_heads = 3;  // G = 4
  const KernelChoice automatic = select_attention_kernel(pr);
  ASSERT_TRUE(automatic.supported) << automatic.reason;
  pr.flash_arch = FlashArch::kSm90;
  const KernelChoice sm90 = select_attention_kernel(pr);
  if (flash_sm90_kernels_compiled()) {
    EXPECT_EQ(automatic.kernel_name, "flash_prefill_sm90_fp16_d64_bm128_bn128_causal_gqa4");
    EXPECT_EQ(automatic.prefill_arch, FlashArch::kSm90);
    EXPECT_EQ(sm90.kernel_name, automatic.kernel_name);
    pr.window = 256;  // D 64 window: 64-row CTAs
    EXPECT_EQ(select_attention_kernel(pr).kernel_name, "flash_prefill_sm90_fp16_d64_bm64_bn128_window_gqa4");
    pr.window = 0;
  } else {
    EXPECT_EQ(automatic.prefill_arch, FlashArch::kSm80);
    EXPECT_FALSE(sm90.supported);
    EXPECT_NE(sm90.reason.find("lacks 90a"), std::string::npos) << sm90.reason;
  }
  pr.flash_arch = FlashArch::kSm80;
  const KernelChoice sm80 = select_attention_kernel(pr);
  EXPECT_EQ(sm80.kernel_name.rfind("flash_prefill_fp16_d64_", 0), 0u) << sm80.kernel_name;
  EXPECT_EQ(sm80.prefill_arch, FlashArch::kSm80);

  // An sm_80 device, or inputs TMA cannot describe: auto takes sm80, an explicit sm90 is an error.
  for (int case_index = 0; case_index < 2; ++case_index) {
    AttentionProblem other = cuda_problem(1024, 1024);
    if (case_index == 0) other.sm_version = 80;
    if (case_index == 1) other.tma_layout = false;
    other.flash_arch = FlashArch::kAuto;
    EXPECT_EQ(select_attention_kernel(other).prefill_arch, FlashArch::kSm80);
    other.flash_arch = FlashArch::kSm90;
    const KernelChoice refused = select_attention_kernel(other);
    EXPECT_FALSE(refused.supported);
    EXPECT_NE(refused.reason.find("flash_arch sm90 cannot run here"), std::string::npos) << refused.reason;
  }

  AttentionProblem decode = cuda_problem(1, 4096);
  decode.flash_arch = FlashArch::kSm90;
  EXPECT_EQ(select_attention_kernel(decode).kernel_name, "flash_decode_splitkv_fp16_d64_causal");
  EXPECT_EQ(select_attention_kernel(decode).prefill_arch, FlashArch::kAuto);

  AttentionProblem cpu = cuda_problem(16, 16);
  cpu.device = c10::DeviceType::CPU;
  const KernelChoice on_cpu = select_attention_kernel(cpu);
  EXPECT_FALSE(on_cpu.supported);
  EXPECT_NE(on_cpu.reason.find("flash_arch sm80 needs a CUDA device"), std::string::npos) << on_cpu.reason;
}

// The op's flash_arch argument: a value outside FlashArch is refused, naming it.
TEST(AttentionOpCpu, FlashArchArgumentIsChecked) {
  const at::Tensor q = at::randn({1, 2, 4, 8}), ks = at::zeros({1}, at::kInt);
  AttentionOptions odd;
  odd.flash_arch = static_cast<FlashArch>(70);
  EXPECT_NE(testing::error_message_of([&] { attention_op(q, q, q, ks, odd); }).find("flash_arch 70"),
            std::string::npos);
}

// The op's C++ entry points hand back the kernel their own call chose (no second selection).
TEST(AttentionOpCpu, CallHandsBackItsKernel) {
  const at::Tensor q = at::randn({1, 2, 5, 8}, at::kDouble), k = at::randn({1, 2, 9, 8}, at::kDouble);
  const at::Tensor ks = at::zeros({1}, at::kInt);
  AttentionOptions opt;
  opt.alibi_slopes = at::tensor(testing::test_alibi_slopes(2));
  opt.window = 3;
  std::string kernel = "stale";
  attention_op(q, k, k, ks, opt, &kernel);
  EXPECT_EQ(kernel, "cpu_reference_fp64_alibi_window");
  at::Tensor out = at::empty({1, 2, 5, 8}, at::kFloat);
  kernel = "stale";
  attention_op_out(out, q.to(at::kFloat), k.to(at::kFloat), k.to(at::kFloat), ks, {}, &kernel);
  EXPECT_EQ(kernel, "cpu_reference_fp32_causal");
  // A call that fails leaves no name behind for the next caller.
  EXPECT_THROW(attention_op(q.view({2, 5, 8}), k, k, ks), gptbench::Error);
  attention_op(q, k, k, ks);
  attention_op(q, k, k, ks, opt, &kernel);
  EXPECT_EQ(kernel, "cpu_reference_fp64_alibi_window");
}

// make_attention_problem, the one builder of the selection's input, for the op and check_supported alike.
TEST(AttentionOpCpu, ProblemFromSizesAndOptions) {
  const AttentionSizes sizes{2, 12, 16, 40, 64};
  AttentionOptions opt;
  AttentionProblem pr = make_attention_problem(c10::Device(c10::kCPU), c10::ScalarType::Half, sizes, opt);
  EXPECT_EQ(pr.device, c10::DeviceType::CPU);
  EXPECT_EQ(pr.sm_version, 0);
  EXPECT_EQ(pr.dtype, c10::ScalarType::Half);
  EXPECT_EQ(pr.batch, 2);
  EXPECT_EQ(pr.heads, 12);
  EXPECT_EQ(pr.q_len, 16);
  EXPECT_EQ(pr.k_len, 40);
  EXPECT_EQ(pr.head_dim, 64);
  EXPECT_EQ(pr.kv_heads, 12);  // sizes gave 0: not grouped
  EXPECT_EQ(pr.q_pos0, 24);  // Tk - Tq
  EXPECT_EQ(pr.key_layout, KeyLayout::kContiguous);
  EXPECT_EQ(pr.bias, ScoreBias::kNone);
  opt.q_pos0 = 3;
  opt.window = 7;
  opt.global_tokens = 2;
  opt.alibi_slopes = at::empty({0});  // presence is what counts, never the values
  opt.key_pos = at::empty({0});
  pr = make_attention_problem(c10::Device(c10::kCPU), c10::ScalarType::Float, sizes, opt);
  EXPECT_EQ(pr.q_pos0, 3);
  EXPECT_EQ(pr.window, 7);
  EXPECT_EQ(pr.global_tokens, 2);
  EXPECT_EQ(pr.bias, ScoreBias::kAlibi);
  EXPECT_EQ(pr.key_layout, KeyLayout::kRolling);
  AttentionSizes grouped = sizes;
  grouped.kv_heads = 3;
  EXPECT_EQ(make_attention_problem(c10::Device(c10::kCPU), c10::ScalarType::Float, grouped, opt).kv_heads, 3);
  opt.q_pos0.reset();
  opt.q_pos = at::zeros({1}, at::kLong);
  EXPECT_EQ(make_attention_problem(c10::Device(c10::kCPU), c10::ScalarType::Float, sizes, opt).q_pos0, 39);  // Tk - 1
}

// The selection function reads the kernel table: every (element type, head dim, policy) it states
// is supported and named from it, and nothing else is.
TEST(AttentionOpCpu, SelectionReadsTheKernelTable) {
  if (!flash_kernels_compiled()) GTEST_SKIP() << "built without nvcc: no CUDA kernel is selectable";
  const std::pair<c10::ScalarType, ElementType> dtypes[] = {{c10::ScalarType::Half, ElementType::kFp16},
                                                             {c10::ScalarType::BFloat16, ElementType::kBf16}};
  int named = 0;
  for (const auto& [dtype, element] : dtypes) {
    if (!is_flash_element_type(element)) continue;
    for (int d : kFlashHeadDims) {
      for (const FlashPolicy& p : kFlashPolicies) {
        AttentionProblem pr = cuda_problem(1024, 1024);
        pr.dtype = dtype;
        pr.head_dim = d;
        pr.bias = policy_has_alibi(p.policy) ? ScoreBias::kAlibi : ScoreBias::kNone;
        pr.window = policy_has_window(p.policy) ? 256 : 0;
        for (int64_t q_len : {int64_t{1024}, int64_t{1}}) {
          pr.q_len = q_len;
          pr.q_pos0 = pr.k_len - q_len;
          const KernelChoice c = select_attention_kernel(pr);
          ASSERT_TRUE(c.supported) << c.reason;
          const std::string stage = q_len == 1 ? "flash_decode_splitkv_" : "flash_prefill_";
          EXPECT_EQ(c.kernel_name.rfind(stage + element_type_name(element) + "_d" + std::to_string(d) + "_", 0), 0u)
              << c.kernel_name;
          const std::string suffix = std::string("_") + p.name;
          EXPECT_EQ(c.kernel_name.substr(c.kernel_name.size() - suffix.size()), suffix) << c.kernel_name;
          ++named;
        }
      }
    }
  }
  EXPECT_EQ(named, static_cast<int>(2 * kFlashInstancesPerStage));
  if (flash_sm90_kernels_compiled()) {  // the sm_90a prefill kernel: the same table, its own name
    for (const FlashPolicy& p : kFlashPolicies) {
      AttentionProblem pr = cuda_problem(1024, 1024);
      pr.flash_arch = FlashArch::kSm90;
      pr.head_dim = 128;
      pr.bias = policy_has_alibi(p.policy) ? ScoreBias::kAlibi : ScoreBias::kNone;
      pr.window = policy_has_window(p.policy) ? 256 : 0;
      const KernelChoice c = select_attention_kernel(pr);
      ASSERT_TRUE(c.supported) << c.reason;
      EXPECT_EQ(c.kernel_name, std::string("flash_prefill_sm90_fp16_d128_bm128_bn128_") + p.name);
    }
  }
  AttentionProblem other = cuda_problem(64, 64);
  for (int d = 1; d <= 256; ++d) {
    other.head_dim = d;
    EXPECT_EQ(select_attention_kernel(other).supported, is_flash_head_dim(d)) << "head dim " << d;
  }
}

}  // namespace
}  // namespace gptbench::kernels
