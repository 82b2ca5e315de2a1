// Argument checks of gptbench::attention (see attention_inputs.h).
#include "attention_inputs.h"

#include <c10/util/StringUtil.h>  // c10::str for sizes in messages

#include <cmath>   // std::isfinite, std::sqrt
#include <string>  // std::string

#include "gptbench/kernels/flash_arch.h"     // FlashArch, kFlashArchNames
#include "gptbench/kernels/grouped_query.h"  // check_grouped_heads
#include "gptbench/util/check.h"              // GPTBENCH_CHECK

namespace gptbench::kernels::detail {
namespace {

std::string sizes_of(const at::Tensor& t) { return c10::str(t.sizes()); }

bool is_index_dtype(const at::Tensor& t) {
  return t.scalar_type() == at::kInt || t.scalar_type() == at::kLong;
}

}  // namespace

AttentionOptions options_of(const std::optional<at::Tensor>& key_pos, std::optional<int64_t> q_pos0,
                            const std::optional<at::Tensor>& alibi_slopes, int64_t window, int64_t global_tokens,
                            double scale, const std::optional<at::Tensor>& q_pos, int64_t flash_arch) {
  AttentionOptions o;
  o.key_pos = key_pos;
  o.q_pos0 = q_pos0;
  o.alibi_slopes = alibi_slopes;
  o.window = window;
  o.global_tokens = global_tokens;
  o.scale = scale;
  o.q_pos = q_pos;
  o.flash_arch = static_cast<FlashArch>(flash_arch);
  bool known = false;
  for (const auto& row : kFlashArchNames) known = known || row.value == o.flash_arch;
  GPTBENCH_CHECK(known, "gptbench::attention: flash_arch {} is not one of 0 (auto), 80 (sm80), 90 (sm90)", flash_arch);
  return o;
}

bool has_tensor(const std::optional<at::Tensor>& t) { return t.has_value() && t->defined(); }

double default_scale(const at::Tensor& q) {
  return 1.0 / std::sqrt(static_cast<double>(q.dim() == 4 ? q.size(3) : 1));
}

int64_t resolved_q_pos0(const AttentionSizes& sizes, const AttentionOptions& options) {
  if (has_tensor(options.q_pos)) return sizes.k_len - 1;
  return options.q_pos0.value_or(sizes.k_len - sizes.q_len);
}

AttentionShape check_attention_inputs(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                      const at::Tensor& key_start, const AttentionOptions& options) {
  constexpr const char* kOp = "gptbench::attention";
  const std::optional<at::Tensor>& key_pos = options.key_pos;
  const std::optional<at::Tensor>& alibi_slopes = options.alibi_slopes;
  const std::optional<at::Tensor>& q_pos = options.q_pos;
  const int64_t window = options.window, global_tokens = options.global_tokens;
  const double scale = options.scale.value_or(1.0);
  GPTBENCH_CHECK(q.defined() && k.defined() && v.defined() && key_start.defined(),
                 "{}: q, k, v and key_start must be defined tensors", kOp);
  GPTBENCH_CHECK(q.dim() == 4, "{}: q must be 4-D (B, H, Tq, D), got {}", kOp, sizes_of(q));
  GPTBENCH_CHECK(k.dim() == 4, "{}: k must be 4-D (B, Hkv, Tk, D), got {}", kOp, sizes_of(k));
  GPTBENCH_CHECK(v.sizes() == k.sizes(), "{}: v must have k's shape {}, got {}", kOp, sizes_of(k), sizes_of(v));
  AttentionShape shape;
  AttentionSizes& s = shape.sizes;
  s.batch = q.size(0);
  s.heads = q.size(1);
  s.q_len = q.size(2);
  s.head_dim = q.size(3);
  s.k_len = k.size(2);
  s.kv_heads = k.size(1);
  GPTBENCH_CHECK(k.size(0) == s.batch && k.size(3) == s.head_dim, "{}: k {} does not match q {} in B or D", kOp,
                 sizes_of(k), sizes_of(q));
  check_grouped_heads(kOp, s.heads, s.kv_heads);
  GPTBENCH_CHECK(q.scalar_type() == k.scalar_type() && q.scalar_type() == v.scalar_type(),
                 "{}: q, k, v must share one dtype, got {}, {}, {}", kOp, c10::toString(q.scalar_type()),
                 c10::toString(k.scalar_type()), c10::toString(v.scalar_type()));
  GPTBENCH_CHECK(at::isFloatingType(q.scalar_type()), "{}: q, k, v must be floating point, got {}", kOp,
                 c10::toString(q.scalar_type()));
  GPTBENCH_CHECK(k.device() == q.device() && v.device() == q.device() && key_start.device() == q.device(),
                 "{}: q, k, v and key_start must be on one device (q is on {})", kOp, q.device().str());

  GPTBENCH_CHECK(key_start.dim() == 1 && key_start.size(0) == s.batch && is_index_dtype(key_start),
                 "{}: key_start must be (B,) = ({}) int32 or int64, got {} {}", kOp, s.batch, sizes_of(key_start),
                 c10::toString(key_start.scalar_type()));
  if (has_tensor(key_pos)) {
    const at::Tensor& kp = *key_pos;
    GPTBENCH_CHECK(kp.dim() == 2 && kp.size(0) == s.batch && kp.size(1) == s.k_len && is_index_dtype(kp),
                   "{}: key_pos must be (B, Tk) = ({}, {}) int32 or int64, got {} {}", kOp, s.batch, s.k_len,
                   sizes_of(kp), c10::toString(kp.scalar_type()));
    GPTBENCH_CHECK(kp.device() == q.device(), "{}: key_pos must be on q's device {}", kOp, q.device().str());
  }
  if (has_tensor(alibi_slopes)) {
    const at::Tensor& a = *alibi_slopes;
    GPTBENCH_CHECK(a.dim() == 1 && a.size(0) == s.heads && at::isFloatingType(a.scalar_type()),
                   "{}: alibi_slopes must be (H,) = ({}) floating point, got {} {}", kOp, s.heads, sizes_of(a),
                   c10::toString(a.scalar_type()));
    GPTBENCH_CHECK(a.device() == q.device(), "{}: alibi_slopes must be on q's device {}", kOp, q.device().str());
  }
  GPTBENCH_CHECK(window >= 0, "{}: window must be >= 0 (0 = no window), got {}", kOp, window);
  GPTBENCH_CHECK(global_tokens >= 0, "{}: global_tokens must be >= 0, got {}", kOp, global_tokens);
  // Positive: the kernels take the row max on unscaled scores.
  GPTBENCH_CHECK(std::isfinite(scale) && scale > 0, "{}: scale must be a positive finite number, got {}", kOp, scale);
  shape.q_pos0 = resolved_q_pos0(s, options);
  if (has_tensor(q_pos)) {
    const at::Tensor& qp = *q_pos;
    GPTBENCH_CHECK(!options.q_pos0.has_value(), "{}: give q_pos0 or q_pos, not both", kOp);
    GPTBENCH_CHECK(s.q_len == 1, "{}: q_pos (a device position) is for decode (Tq == 1), got Tq = {}", kOp, s.q_len);
    GPTBENCH_CHECK(qp.dim() == 1 && qp.size(0) == 1 && qp.scalar_type() == at::kLong,
                   "{}: q_pos must be (1,) int64, got {} {}", kOp, sizes_of(qp), c10::toString(qp.scalar_type()));
    GPTBENCH_CHECK(qp.device() == q.device(), "{}: q_pos must be on q's device {}", kOp, q.device().str());
    shape.device_q_pos = true;
  }
  // The kernels index positions in int32; keep every position well inside that range.
  constexpr int64_t kMaxPos = int64_t{1} << 30;
  GPTBENCH_CHECK(s.q_len < kMaxPos && s.k_len < kMaxPos && shape.q_pos0 > -kMaxPos && shape.q_pos0 < kMaxPos,
                 "{}: Tq={}, Tk={}, q_pos0={} out of range (|value| < 2^30)", kOp, s.q_len, s.k_len, shape.q_pos0);
  return shape;
}

void check_attention_out(const at::Tensor& out, const at::Tensor& q) {
  constexpr const char* kOp = "gptbench::attention.out";
  GPTBENCH_CHECK(out.defined(), "{}: out must be a defined tensor", kOp);
  GPTBENCH_CHECK(out.sizes() == q.sizes(), "{}: out must have q's shape {} (B, H, Tq, D), got {}", kOp, sizes_of(q),
                 sizes_of(out));
  GPTBENCH_CHECK(out.scalar_type() == q.scalar_type(), "{}: out must have q's dtype {}, got {}", kOp,
                 c10::toString(q.scalar_type()), c10::toString(out.scalar_type()));
  GPTBENCH_CHECK(out.device() == q.device(), "{}: out must be on q's device {}, got {}", kOp, q.device().str(),
                 out.device().str());
}

bool window_active(int64_t window, int64_t q_pos0, int64_t q_len) {
  // Key positions are >= 0, so qpos - kpos <= q_pos0 + Tq - 1.
  return window > 0 && window <= q_pos0 + q_len - 1;
}

MaskPolicy mask_policy(bool alibi, bool window) {
  if (alibi) return window ? MaskPolicy::kAlibiWindow : MaskPolicy::kAlibi;
  return window ? MaskPolicy::kWindow : MaskPolicy::kCausal;
}

std::optional<ElementType> element_type_of(c10::ScalarType dtype) {
  switch (dtype) {
    case c10::ScalarType::Half: return ElementType::kFp16;
    case c10::ScalarType::BFloat16: return ElementType::kBf16;
    default: return std::nullopt;
  }
}

}  // namespace gptbench::kernels::detail
