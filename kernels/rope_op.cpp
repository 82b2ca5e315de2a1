// RoPE (gptbench/kernels/rope_op.h): argument checks, the ATen math, and the dispatch to the
// fused CUDA kernel (kernels/rope.cu) for CUDA inputs.
#include "gptbench/kernels/rope_op.h"

#include <ATen/TensorOperators.h>  // Tensor operators (*, +, -)
#include <ATen/ops/arange.h>       // at::arange
#include <ATen/ops/cat.h>          // at::cat
#include <ATen/ops/empty.h>        // at::empty
#include <c10/util/StringUtil.h>   // c10::str for sizes in messages

#include <cstdint>  // int64_t

#ifdef GPTBENCH_HAVE_ROPE_KERNEL
#include <ATen/cuda/CUDAContext.h>  // at::cuda::getCurrentCUDAStream
#include <c10/cuda/CUDAGuard.h>     // c10::cuda::CUDAGuard

#include "rope_launch.h"  // launch_rope_split_qkv, RopeParams
#endif

#include "gptbench/kernels/grouped_query.h"  // check_grouped_heads
#include "gptbench/util/check.h"              // GPTBENCH_CHECK

namespace gptbench::kernels {
namespace {

// inv_freq: (D/2,) fp32 on `device`.
void check_inv_freq(const char* op, const at::Tensor& inv_freq, int64_t head_dim, c10::Device device) {
  GPTBENCH_CHECK(head_dim > 0 && head_dim % 2 == 0, "{}: the head dim must be even and positive, got {}", op,
                 head_dim);
  GPTBENCH_CHECK(inv_freq.defined() && inv_freq.dim() == 1 && inv_freq.size(0) == head_dim / 2 &&
                     inv_freq.scalar_type() == at::kFloat,
                 "{}: inv_freq must be (D/2,) = ({}) fp32, got {} {}", op, head_dim / 2,
                 inv_freq.defined() ? c10::str(inv_freq.sizes()) : "undefined",
                 inv_freq.defined() ? c10::toString(inv_freq.scalar_type()) : "");
  GPTBENCH_CHECK(inv_freq.device() == device, "{}: inv_freq must be on the input's device {}, got {}", op,
                 device.str(), inv_freq.device().str());
}

struct QkvShape {
  int64_t batch = 0, len = 0, heads = 0, kv_heads = 0, head_dim = 0;
};

// qkv: (B, T, (H + 2 Hkv) D), floating point, last dim contiguous.
QkvShape check_qkv(const char* op, const at::Tensor& qkv, const at::Tensor& inv_freq, int64_t n_head,
                   int64_t n_kv_head) {
  GPTBENCH_CHECK(qkv.defined() && qkv.dim() == 3, "{}: qkv must be 3-D (B, T, (H + 2 Hkv) D), got {}", op,
                 qkv.defined() ? c10::str(qkv.sizes()) : "undefined");
  GPTBENCH_CHECK(at::isFloatingType(qkv.scalar_type()), "{}: qkv must be floating point, got {}", op,
                 c10::toString(qkv.scalar_type()));
  check_grouped_heads(op, n_head, n_kv_head);
  const int64_t columns = n_head + 2 * n_kv_head;
  GPTBENCH_CHECK(qkv.size(2) % columns == 0,
                 "{}: qkv's last dim {} is not (H + 2 Hkv) * D for H = {}, Hkv = {} (not a multiple of {})", op,
                 qkv.size(2), n_head, n_kv_head, columns);
  GPTBENCH_CHECK(qkv.stride(2) == 1 || qkv.size(2) == 1, "{}: qkv's last dim must be contiguous", op);
  QkvShape s{qkv.size(0), qkv.size(1), n_head, n_kv_head, qkv.size(2) / columns};
  check_inv_freq(op, inv_freq, s.head_dim, qkv.device());
  return s;
}

// The three head groups of qkv as (B, heads, T, D) views.
RotatedQkv split_views(const at::Tensor& qkv, const QkvShape& s) {
  const at::Tensor heads = qkv.view({s.batch, s.len, s.heads + 2 * s.kv_heads, s.head_dim}).transpose(1, 2);
  return {heads.narrow(1, 0, s.heads), heads.narrow(1, s.heads, s.kv_heads),
          heads.narrow(1, s.heads + s.kv_heads, s.kv_heads)};
}

bool runs_kernel(const at::Tensor& x) {
#ifdef GPTBENCH_HAVE_ROPE_KERNEL
  return x.is_cuda() && (x.scalar_type() == at::kHalf || x.scalar_type() == at::kBFloat16 ||
                         x.scalar_type() == at::kFloat);
#else
  (void)x;
  return false;
#endif
}

#ifdef GPTBENCH_HAVE_ROPE_KERNEL
RopeElement element_of(const at::Tensor& x) {
  return x.scalar_type() == at::kHalf ? RopeElement::kFp16
         : x.scalar_type() == at::kBFloat16 ? RopeElement::kBf16
                                             : RopeElement::kFp32;
}

// One launch: the rotated q (and k, and the copied v or the cache slot) of a (B, T, (H + 2 Hkv) D) input.
void launch(const at::Tensor& qkv, const QkvShape& s, const at::Tensor& inv_freq, int64_t pos0,
            const at::Tensor* q_pos, const at::Tensor& q, const at::Tensor& k, at::Tensor* kv_buffer) {
  const c10::cuda::CUDAGuard guard(qkv.device());
  RopeParams p;
  p.qkv = qkv.data_ptr();
  p.qkv_strides[0] = qkv.stride(0);
  p.qkv_strides[1] = qkv.stride(1);
  p.inv_freq = inv_freq.contiguous().data_ptr<float>();
  p.q = q.data_ptr();
  for (int i = 0; i < 3; ++i) p.q_strides[i] = q.stride(i);
  if (kv_buffer != nullptr) {
    p.kv = kv_buffer->data_ptr();
    for (int i = 0; i < 4; ++i) p.kv_strides[i] = kv_buffer->stride(i);
    p.pos_device = q_pos->data_ptr<int64_t>();
  } else {
    p.k = k.data_ptr();
    for (int i = 0; i < 3; ++i) p.k_strides[i] = k.stride(i);
  }
  p.batch = static_cast<int>(s.batch);
  p.len = static_cast<int>(s.len);
  p.heads = static_cast<int>(s.heads);
  p.kv_heads = static_cast<int>(s.kv_heads);
  p.head_dim = static_cast<int>(s.head_dim);
  p.pos0 = pos0;
  p.dtype = element_of(qkv);
  const cudaError_t err = launch_rope_split_qkv(p, at::cuda::getCurrentCUDAStream());
  GPTBENCH_CHECK(err == cudaSuccess, "rope: the CUDA kernel failed to launch: {}", cudaGetErrorString(err));
}
#endif

}  // namespace

bool rope_kernel_compiled() {
#ifdef GPTBENCH_HAVE_ROPE_KERNEL
  return true;
#else
  return false;
#endif
}

at::Tensor rope_reference(const at::Tensor& x, const at::Tensor& inv_freq, const at::Tensor& positions) {
  const int64_t half = x.size(3) / 2;
  // (T, D/2) angles in fp32, as transformers computes them; cos and sin over the whole head dim.
  const at::Tensor angle = positions.to(at::kFloat).view({-1, 1}) * inv_freq.to(at::kFloat).view({1, -1});
  const at::Tensor cos = at::cat({angle.cos(), angle.cos()}, -1);  // (T, D)
  const at::Tensor sin = at::cat({angle.sin(), angle.sin()}, -1);
  const at::Tensor xf = x.to(at::kFloat);
  const at::Tensor rotated_half = at::cat({-xf.narrow(3, half, half), xf.narrow(3, 0, half)}, -1);
  return (xf * cos + rotated_half * sin).to(x.scalar_type());
}

at::Tensor rope(const at::Tensor& x, const at::Tensor& inv_freq, int64_t pos0) {
  constexpr const char* kOp = "rope";
  GPTBENCH_CHECK(x.defined() && x.dim() == 4, "{}: x must be 4-D (B, H, T, D), got {}", kOp,
                 x.defined() ? c10::str(x.sizes()) : "undefined");
  GPTBENCH_CHECK(at::isFloatingType(x.scalar_type()), "{}: x must be floating point, got {}", kOp,
                 c10::toString(x.scalar_type()));
  check_inv_freq(kOp, inv_freq, x.size(3), x.device());
  const auto positions = at::arange(pos0, pos0 + x.size(2), x.options().dtype(at::kLong));
  return rope_reference(x, inv_freq, positions);
}

RotatedQkv rope_split_qkv(const at::Tensor& qkv, const at::Tensor& inv_freq, int64_t n_head, int64_t n_kv_head,
                          int64_t pos0) {
  const QkvShape s = check_qkv("rope_split_qkv", qkv, inv_freq, n_head, n_kv_head);
  const RotatedQkv views = split_views(qkv, s);
#ifdef GPTBENCH_HAVE_ROPE_KERNEL
  if (runs_kernel(qkv)) {
    RotatedQkv out{at::empty({s.batch, s.heads, s.len, s.head_dim}, qkv.options()),
                   at::empty({s.batch, s.kv_heads, s.len, s.head_dim}, qkv.options()), views.v};
    if (qkv.numel() > 0) launch(qkv, s, inv_freq, pos0, nullptr, out.q, out.k, nullptr);
    return out;
  }
#endif
  const auto positions = at::arange(pos0, pos0 + s.len, qkv.options().dtype(at::kLong));
  return {rope_reference(views.q, inv_freq, positions), rope_reference(views.k, inv_freq, positions), views.v};
}

at::Tensor rope_split_qkv_into_cache(const at::Tensor& qkv, const at::Tensor& inv_freq, int64_t n_head,
                                     int64_t n_kv_head, const at::Tensor& q_pos, at::Tensor& kv_buffer) {
  constexpr const char* kOp = "rope_split_qkv_into_cache";
  const QkvShape s = check_qkv(kOp, qkv, inv_freq, n_head, n_kv_head);
  GPTBENCH_CHECK(s.len == 1, "{}: decode takes one token per row (T == 1), got T = {}", kOp, s.len);
  GPTBENCH_CHECK(q_pos.defined() && q_pos.dim() == 1 && q_pos.size(0) == 1 && q_pos.scalar_type() == at::kLong &&
                     q_pos.device() == qkv.device(),
                 "{}: q_pos must be (1,) int64 on qkv's device {}", kOp, qkv.device().str());
  GPTBENCH_CHECK(kv_buffer.defined() && kv_buffer.dim() == 5 && kv_buffer.size(0) == 2 &&
                     kv_buffer.size(1) == s.batch && kv_buffer.size(2) == s.kv_heads &&
                     kv_buffer.size(4) == s.head_dim,
                 "{}: kv_buffer must be (2, B, Hkv, capacity, D) = (2, {}, {}, capacity, {}), got {}", kOp, s.batch,
                 s.kv_heads, s.head_dim, kv_buffer.defined() ? c10::str(kv_buffer.sizes()) : "undefined");
  GPTBENCH_CHECK(kv_buffer.scalar_type() == qkv.scalar_type() && kv_buffer.device() == qkv.device() &&
                     kv_buffer.stride(4) == 1,
                 "{}: kv_buffer must have qkv's dtype {} and device {} and a contiguous last dim", kOp,
                 c10::toString(qkv.scalar_type()), qkv.device().str());
  const RotatedQkv views = split_views(qkv, s);
#ifdef GPTBENCH_HAVE_ROPE_KERNEL
  if (runs_kernel(qkv)) {
    at::Tensor q = at::empty({s.batch, s.heads, 1, s.head_dim}, qkv.options());
    if (qkv.numel() > 0) launch(qkv, s, inv_freq, 0, &q_pos, q, at::Tensor(), &kv_buffer);
    return q;
  }
#endif
  if (qkv.is_cpu()) {
    const int64_t pos = q_pos.item<int64_t>();
    GPTBENCH_CHECK(pos >= 0 && pos < kv_buffer.size(3), "{}: q_pos {} is outside the cache's {} slots", kOp, pos,
                   kv_buffer.size(3));
  }
  kv_buffer.select(0, 0).index_copy_(2, q_pos, rope_reference(views.k, inv_freq, q_pos));
  kv_buffer.select(0, 1).index_copy_(2, q_pos, views.v);
  return rope_reference(views.q, inv_freq, q_pos);
}

}  // namespace gptbench::kernels
