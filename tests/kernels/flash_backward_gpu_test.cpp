// Our fused attention backward (kernels/flash_backward.cuh, through flash_backward_op.h) against an
// fp64 autograd reference of the visibility rule, on a grid of T, D, dtype, policy, left padding and
// query offsets. The rule (flash-attention's): each of dQ, dK, dV has a max error at most 2x the max
// error of at::scaled_dot_product_attention's backward in the same dtype with the equivalent explicit
// mask/bias, against the same reference, plus a floor of a quarter ulp at the gradient's scale.
// Fresh normal inputs per case (seed printed; GPTBENCH_TEST_SEED replays one); K/V slots no query
// sees hold NaN for our kernels; freed NaN blocks sit where the gradients are allocated (the caching
// allocator hands them back); deterministic mode is checked bit for bit across two runs.
#include <ATen/ATen.h>              // at::randn, at::where, at::scaled_dot_product_attention
#include <ATen/Context.h>           // at::hasCUDA
#include <gtest/gtest.h>            // TEST, EXPECT_*
#include <torch/csrc/autograd/autograd.h>  // torch::autograd::grad

#include <algorithm>  // std::max
#include <cmath>    // std::sqrt, std::ldexp, std::log
#include <cstdlib>  // std::getenv, std::strtoull
#include <limits>   // std::numeric_limits
#include <random>   // std::random_device
#include <string>   // std::string
#include <vector>   // std::vector

#include "attention_test_support.h"             // Policy, test_alibi_slopes, policy_label
#include "gptbench/kernels/flash_backward_op.h"  // flash_forward_with_lse, flash_backward

namespace gptbench::kernels {
namespace {

using testing::Policy;

struct BwdCase {
  int64_t batch = 2, heads = 2, q_len = 1, k_len = 1, head_dim = 64;
  at::ScalarType dtype = at::kHalf;
  Policy policy = Policy::kCausal;
  int64_t window = 0, global_tokens = 0;
  bool left_padded = false;
};

std::string describe(const BwdCase& c) {
  return "B=" + std::to_string(c.batch) + " H=" + std::to_string(c.heads) + " Tq=" + std::to_string(c.q_len) +
         " Tk=" + std::to_string(c.k_len) + " D=" + std::to_string(c.head_dim) + " " + c10::toString(c.dtype) + " " +
         testing::policy_label(c.policy) + " W=" + std::to_string(c.window) + " G=" + std::to_string(c.global_tokens) +
         (c.left_padded ? " left-padded" : "");
}

uint64_t seed() {
  static const uint64_t s = [] {
    const char* env = std::getenv("GPTBENCH_TEST_SEED");
    return env != nullptr ? std::strtoull(env, nullptr, 10) : static_cast<uint64_t>(std::random_device{}());
  }();
  return s;
}

struct Grads {
  at::Tensor dq, dk, dv;  // fp64
};

// visible (B, 1, Tq, Tk) and the additive ALiBi bias (1, H, Tq, Tk) of a case, from the rule in words:
// key_start <= kpos <= qpos, and with a window qpos - kpos < W or kpos - key_start < G.
struct Masks {
  at::Tensor visible, bias;
};

Masks masks_of(const BwdCase& c, const at::Tensor& key_start, const at::Tensor& slopes) {
  const auto i64 = at::TensorOptions().dtype(at::kLong).device(at::kCUDA);
  const int64_t q_pos0 = c.k_len - c.q_len;
  const at::Tensor qpos = (at::arange(c.q_len, i64) + q_pos0).view({1, 1, -1, 1});
  const at::Tensor kpos = at::arange(c.k_len, i64).view({1, 1, 1, -1});
  const at::Tensor ks = key_start.view({-1, 1, 1, 1});
  at::Tensor visible = (kpos >= ks) & (kpos <= qpos);
  if (testing::policy_window(c.policy)) visible = visible & (((qpos - kpos) < c.window) | ((kpos - ks) < c.global_tokens));
  at::Tensor bias = at::zeros({1, c.heads, c.q_len, c.k_len}, i64.dtype(at::kDouble));
  if (testing::policy_alibi(c.policy)) bias = -slopes.to(at::kDouble).view({1, -1, 1, 1}) * (qpos - kpos).to(at::kDouble);
  return {visible, bias};
}

// fp64 autograd of the definition; rows that see no key output 0 (and pass no gradient).
Grads reference_grads(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& dout,
                      const Masks& m, double scale) {
  at::Tensor q1 = q.to(at::kDouble).requires_grad_(true), k1 = k.to(at::kDouble).requires_grad_(true),
             v1 = v.to(at::kDouble).requires_grad_(true);
  at::Tensor scores = at::matmul(q1, k1.transpose(-2, -1)) * scale + m.bias;
  scores = scores.masked_fill(m.visible.logical_not(), -1e30);
  const at::Tensor any = m.visible.any(-1, true).to(at::kDouble);
  const at::Tensor out = at::matmul(at::softmax(scores, -1) * any, v1);
  auto g = torch::autograd::grad({out}, {q1, k1, v1}, {dout.to(at::kDouble)});
  return {g[0], g[1], g[2]};
}

// SDPA's backward in the case's dtype, with the same rule as an additive mask (rows that see nothing
// unmasked, with a zero dO there: the same gradients, no NaN).
Grads sdpa_grads(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& dout,
                 const Masks& m, double scale) {
  at::Tensor q1 = q.detach().requires_grad_(true), k1 = k.detach().requires_grad_(true),
             v1 = v.detach().requires_grad_(true);
  const at::Tensor any = m.visible.any(-1, true);
  const at::Tensor open = m.visible | any.logical_not();
  const at::Tensor mask =
      m.bias.masked_fill(open.logical_not(), -std::numeric_limits<double>::infinity()).to(q.scalar_type());
  const at::Tensor out = at::scaled_dot_product_attention(q1, k1, v1, mask, 0.0, false, scale);
  auto g = torch::autograd::grad({out}, {q1, k1, v1}, {dout * any.to(dout.scalar_type())});
  return {g[0].to(at::kDouble), g[1].to(at::kDouble), g[2].to(at::kDouble)};
}

double max_err(const at::Tensor& a, const at::Tensor& b) { return (a - b).abs().max().item<double>(); }

// Frees NaN blocks of the gradients' sizes so that the caching allocator hands them to flash_backward.
void poison_allocator(const BwdCase& c) {
  const auto o = at::TensorOptions().dtype(c.dtype).device(at::kCUDA);
  std::vector<at::Tensor> blocks = {at::full({c.batch, c.heads, c.q_len, c.head_dim}, NAN, o),
                                    at::full({c.batch, c.heads, c.k_len, c.head_dim}, NAN, o),
                                    at::full({c.batch, c.heads, c.k_len, c.head_dim}, NAN, o)};
}

void check_case(const BwdCase& c) {
  SCOPED_TRACE(describe(c) + " seed=" + std::to_string(seed()));
  const auto o = at::TensorOptions().dtype(c.dtype).device(at::kCUDA);
  const at::Tensor q = at::randn({c.batch, c.heads, c.q_len, c.head_dim}, o);
  at::Tensor k = at::randn({c.batch, c.heads, c.k_len, c.head_dim}, o);
  at::Tensor v = at::randn({c.batch, c.heads, c.k_len, c.head_dim}, o);
  const at::Tensor dout = at::randn({c.batch, c.heads, c.q_len, c.head_dim}, o);
  std::vector<int32_t> starts(static_cast<size_t>(c.batch), 0);
  if (c.left_padded) starts.back() = static_cast<int32_t>(c.k_len / 3);
  const at::Tensor key_start = at::tensor(starts, at::TensorOptions().dtype(at::kInt)).to(at::kCUDA);
  const std::vector<float> s = testing::test_alibi_slopes(c.heads);
  const at::Tensor slopes = at::tensor(s).to(at::kCUDA);
  const double scale = 1.0 / std::sqrt(static_cast<double>(c.head_dim));
  const Masks m = masks_of(c, key_start.to(at::kLong), slopes);

  // Slots before key_start: zeros for the references, NaN for our kernels (never read as values).
  const at::Tensor pad = (at::arange(c.k_len, at::TensorOptions().dtype(at::kLong).device(at::kCUDA)).view({1, 1, -1, 1}) <
                          key_start.to(at::kLong).view({-1, 1, 1, 1}));
  k = k.masked_fill(pad, 0.0);
  v = v.masked_fill(pad, 0.0);
  const at::Tensor k_ours = k.masked_fill(pad, NAN), v_ours = v.masked_fill(pad, NAN);

  AttentionOptions options;
  options.q_pos0 = c.k_len - c.q_len;
  if (testing::policy_alibi(c.policy)) options.alibi_slopes = slopes;
  options.window = testing::policy_window(c.policy) ? c.window : 0;
  options.global_tokens = testing::policy_window(c.policy) ? c.global_tokens : 0;
  ASSERT_EQ(flash_backward_unsupported(q, k_ours, options), "");

  const FlashForward fwd = flash_forward_with_lse(q, k_ours, v_ours, key_start, options);
  // The LSE against fp64 (log2 units): log2 sum_k 2^(score * log2 e) over visible keys, +inf for none.
  {
    at::Tensor scores = at::matmul(q.to(at::kDouble), k.to(at::kDouble).transpose(-2, -1)) * scale + m.bias;
    scores = scores.masked_fill(m.visible.logical_not(), -std::numeric_limits<double>::infinity());
    const at::Tensor ref = at::logsumexp(scores, -1) / std::log(2.0);
    const at::Tensor any = m.visible.any(-1).expand_as(ref);
    const at::Tensor lse = fwd.lse.to(at::kDouble);
    EXPECT_TRUE(at::all(at::where(any, lse, 0.0).isfinite()).item<bool>());
    EXPECT_TRUE(at::all(at::where(any, at::zeros_like(lse), lse).isinf() | any).item<bool>());
    EXPECT_LE(max_err(at::where(any, lse, 0.0), at::where(any, ref, 0.0)), 1e-2) << "lse";
  }

  poison_allocator(c);
  const FlashGradients ours = flash_backward(dout, q, k_ours, v_ours, fwd.out, fwd.lse, key_start, options, false);
  EXPECT_EQ(ours.kernel.rfind("flash_bwd_sm80_", 0), 0u) << ours.kernel;
  const Grads ref = reference_grads(q, k, v, dout, m, scale);
  const Grads peer = sdpa_grads(q, k, v, dout, m, scale);
  const int mantissa = c.dtype == at::kHalf ? 10 : 7;
  const std::pair<const char*, std::pair<at::Tensor, std::pair<at::Tensor, at::Tensor>>> checks[] = {
      {"dq", {ours.dq, {ref.dq, peer.dq}}}, {"dk", {ours.dk, {ref.dk, peer.dk}}}, {"dv", {ours.dv, {ref.dv, peer.dv}}}};
  for (const auto& [name, t] : checks) {
    const at::Tensor mine = t.first.to(at::kDouble);
    ASSERT_TRUE(at::all(mine.isfinite()).item<bool>()) << name << ": non-finite gradient (poison or padding)";
    const double magnitude = std::max(1.0, t.second.first.abs().max().item<double>());
    const double floor = std::ldexp(magnitude, -(mantissa + 2));
    const double err = max_err(mine, t.second.first), peer_err = max_err(t.second.second, t.second.first);
    EXPECT_LE(err, 2.0 * peer_err + floor) << name << " ours " << err << " sdpa " << peer_err;
  }

  // Deterministic mode: the same gradients to rounding, and bit for bit across two runs.
  const FlashGradients det1 = flash_backward(dout, q, k_ours, v_ours, fwd.out, fwd.lse, key_start, options, true);
  poison_allocator(c);
  const FlashGradients det2 = flash_backward(dout, q, k_ours, v_ours, fwd.out, fwd.lse, key_start, options, true);
  EXPECT_NE(det1.kernel.find("_deterministic"), std::string::npos) << det1.kernel;
  EXPECT_TRUE(at::equal(det1.dq, det2.dq) && at::equal(det1.dk, det2.dk) && at::equal(det1.dv, det2.dv))
      << "deterministic mode differs between two runs";
  const double dq_scale = std::max(1.0, ref.dq.abs().max().item<double>());
  EXPECT_LE(max_err(det1.dq.to(at::kDouble), ref.dq), 2.0 * max_err(peer.dq, ref.dq) + std::ldexp(dq_scale, -(mantissa + 2)))
      << "deterministic dq";
}

#define SKIP_WITHOUT_CUDA()                                                              \
  do {                                                                                   \
    if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device: the flash backward needs one"; \
  } while (0)

TEST(FlashBackwardGpu, GridAgainstFp64AndSdpa) {
  SKIP_WITHOUT_CUDA();
  for (int64_t t : {1, 17, 64, 127, 1000, 2048}) {
    for (int64_t d : {64, 128}) {
      for (at::ScalarType dtype : {at::kHalf, at::kBFloat16}) {
        for (Policy policy : testing::all_policies()) {
          for (bool padded : {false, true}) {
            if (padded && t < 17) continue;
            BwdCase c;
            c.q_len = c.k_len = t;
            c.head_dim = d;
            c.dtype = dtype;
            c.policy = policy;
            c.window = std::max<int64_t>(1, t / 4 + 3);  // not a multiple of the tile
            c.global_tokens = policy == Policy::kWindowSinks ? 5 : 0;
            c.left_padded = padded;
            check_case(c);
            if (HasFatalFailure()) return;
          }
        }
      }
    }
  }
}

// Queries that start after a prefix of keys (q_pos0 = Tk - Tq > 0), as a continued prefill sees them.
TEST(FlashBackwardGpu, QueryOffsets) {
  SKIP_WITHOUT_CUDA();
  for (Policy policy : testing::all_policies()) {
    for (int64_t tq : {17, 127}) {
      BwdCase c;
      c.q_len = tq;
      c.k_len = tq + 70;
      c.dtype = at::kBFloat16;
      c.policy = policy;
      c.window = 40;
      c.global_tokens = policy == Policy::kWindowSinks ? 3 : 0;
      check_case(c);
      if (HasFatalFailure()) return;
    }
  }
}

// A wrong gradient fails the rule: the kernel's answer with a different softmax scale is rejected.
TEST(FlashBackwardGpu, RuleRejectsAWrongScale) {
  SKIP_WITHOUT_CUDA();
  BwdCase c;
  c.q_len = c.k_len = 127;
  const auto o = at::TensorOptions().dtype(c.dtype).device(at::kCUDA);
  const at::Tensor q = at::randn({2, 2, 127, 64}, o), k = at::randn({2, 2, 127, 64}, o),
                   v = at::randn({2, 2, 127, 64}, o), dout = at::randn({2, 2, 127, 64}, o);
  const at::Tensor key_start = at::zeros({2}, at::TensorOptions().dtype(at::kInt).device(at::kCUDA));
  AttentionOptions wrong;
  wrong.q_pos0 = 0;
  wrong.scale = 1.1 / 8.0;
  const FlashForward fwd = flash_forward_with_lse(q, k, v, key_start, wrong);
  const FlashGradients g = flash_backward(dout, q, k, v, fwd.out, fwd.lse, key_start, wrong, false);
  const Masks m = masks_of(c, key_start.to(at::kLong), at::Tensor());
  const Grads ref = reference_grads(q, k, v, dout, m, 1.0 / 8.0);
  const Grads peer = sdpa_grads(q, k, v, dout, m, 1.0 / 8.0);
  EXPECT_GT(max_err(g.dq.to(at::kDouble), ref.dq), 2.0 * max_err(peer.dq, ref.dq) + std::ldexp(1.0, -12));
}

}  // namespace
}  // namespace gptbench::kernels
