// nsa's sparse branches on CUDA (gptbench/kernels/nsa_select_op.h): what the kernels take, their
// name, the checks, and the launches chunk by chunk of queries.
#include "gptbench/kernels/nsa_select_op.h"

#include <ATen/ops/empty.h>       // at::empty
#include <c10/util/StringUtil.h>  // c10::str
#include <fmt/format.h>           // fmt::format

#include <algorithm>  // std::min, std::max
#include <cmath>      // std::sqrt
#include <cstdint>    // int64_t, uintptr_t

#ifdef GPTBENCH_HAVE_NSA_SELECT_KERNEL
#include <ATen/cuda/CUDAContext.h>  // at::cuda::getCurrentCUDAStream
#include <c10/cuda/CUDAGuard.h>     // c10::cuda::CUDAGuard

#include "nsa_select_launch.h"  // launch_nsa_*, kNsaMaxSelected, kNsaMaxGroup
#endif

#include "gptbench/util/check.h"  // GPTBENCH_CHECK

namespace gptbench::kernels {
namespace {

#ifdef GPTBENCH_HAVE_NSA_SELECT_KERNEL
// The block scores of one chunk of queries, (B, Hkv, chunk, ns) fp32, stay under 256 MiB.
constexpr int64_t kScoreBytes = int64_t{1} << 28;

// The kernels read 16-byte vectors of each row: last dim contiguous, the other strides and the base
// 8-element aligned. Anything else is copied once.
at::Tensor vector_rows(const at::Tensor& t) {
  const bool ok = t.stride(3) == 1 && t.stride(0) % 8 == 0 && t.stride(1) % 8 == 0 && t.stride(2) % 8 == 0 &&
                  reinterpret_cast<uintptr_t>(t.data_ptr()) % 16 == 0;
  return ok ? t : t.contiguous();
}

void check_launch(cudaError_t err, const char* kernel) {
  GPTBENCH_CHECK(err == cudaSuccess, "nsa: the {} kernel failed to launch: {}", kernel, cudaGetErrorString(err));
}

// The params every kernel reads: q, k, v, key_start, sizes.
NsaSelectParams base_params(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& key_start,
                            int64_t q_pos0) {
  NsaSelectParams p;
  p.q = q.data_ptr();
  p.k = k.data_ptr();
  p.v = v.data_ptr();
  for (int i = 0; i < 3; ++i) {
    p.q_strides[i] = q.stride(i);
    p.k_strides[i] = k.stride(i);
    p.v_strides[i] = v.stride(i);
  }
  p.key_start = key_start.data_ptr<int64_t>();
  p.batch = static_cast<int>(q.size(0));
  p.heads = static_cast<int>(q.size(1));
  p.kv_heads = static_cast<int>(k.size(1));
  p.q_len = static_cast<int>(q.size(2));
  p.k_len = static_cast<int>(k.size(2));
  p.head_dim = static_cast<int>(q.size(3));
  p.q_pos0 = q_pos0;
  p.scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(q.size(3))));
  p.dtype = q.scalar_type() == at::kHalf ? NsaElement::kFp16 : NsaElement::kBf16;
  return p;
}

void set_outputs(NsaSelectParams& p, const at::Tensor& cmp, const at::Tensor& slc) {
  p.out_cmp = cmp.defined() ? cmp.data_ptr<float>() : nullptr;
  p.out_slc = slc.data_ptr<float>();
  for (int i = 0; i < 3; ++i) p.out_strides[i] = slc.stride(i);
}
#endif

// q (B, H, Tq, D), k and v (B, Hkv, Tk, D) of q's dtype and device; key_start (B,).
void check_qkv(const char* op, const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
               const at::Tensor& key_start, int64_t q_pos0) {
  GPTBENCH_CHECK(q.dim() == 4 && k.dim() == 4 && v.dim() == 4 && k.sizes() == v.sizes() && q.size(0) == k.size(0) &&
                     q.size(3) == k.size(3) && k.size(1) > 0 && q.size(1) % k.size(1) == 0,
                 "{}: q must be (B, H, Tq, D) and k, v (B, Hkv, Tk, D) with H % Hkv == 0, got {}, {}, {}", op,
                 c10::str(q.sizes()), c10::str(k.sizes()), c10::str(v.sizes()));
  GPTBENCH_CHECK(k.scalar_type() == q.scalar_type() && v.scalar_type() == q.scalar_type() &&
                     k.device() == q.device() && v.device() == q.device(),
                 "{}: k and v must have q's dtype {} and device {}", op, c10::toString(q.scalar_type()), q.device().str());
  GPTBENCH_CHECK(key_start.dim() == 1 && key_start.size(0) == q.size(0) && key_start.device() == q.device(),
                 "{}: key_start must be (B,) = ({}) on {}", op, q.size(0), q.device().str());
  GPTBENCH_CHECK(q_pos0 >= 0 && q_pos0 + q.size(2) <= k.size(2),
                 "{}: queries at {} .. {} need keys up to there, got {} keys", op, q_pos0, q_pos0 + q.size(2) - 1,
                 k.size(2));
}

}  // namespace

bool nsa_select_kernels_compiled() {
#ifdef GPTBENCH_HAVE_NSA_SELECT_KERNEL
  return true;
#else
  return false;
#endif
}

namespace {

// What the kernels need of the tensors: "" or why not.
std::string tensor_reason(const at::Tensor& q, int64_t kv_heads) {
#ifndef GPTBENCH_HAVE_NSA_SELECT_KERNEL
  (void)q;
  (void)kv_heads;
  return "this build has no CUDA kernels (configured without nvcc)";
#else
  if (!q.is_cuda()) return "not a CUDA tensor";
  if (q.scalar_type() != at::kHalf && q.scalar_type() != at::kBFloat16)
    return fmt::format("dtype {} (the kernels take fp16, bf16)", c10::toString(q.scalar_type()));
  if (q.dim() != 4 || (q.size(3) != 64 && q.size(3) != 128))
    return fmt::format("head dim {} (the kernels take 64, 128)", q.dim() == 4 ? q.size(3) : 0);
  const int64_t group = kv_heads > 0 ? q.size(1) / kv_heads : 0;
  if (group != 1 && group != 2 && group != 4 && group != 8)
    return fmt::format("{} query heads per key/value head (the kernels take 1, 2, 4, 8)", group);
  if (q.size(0) * kv_heads > 65535) return "more than 65535 (row, key/value head) pairs";
  return "";
#endif
}

// n, the selected blocks per query: at most the list the top-n kernel holds.
std::string topk_reason(int64_t topk) {
#ifdef GPTBENCH_HAVE_NSA_SELECT_KERNEL
  if (topk > kNsaMaxSelected) return fmt::format("--nsa-topk {} (the kernels take at most {})", topk, kNsaMaxSelected);
#endif
  (void)topk;
  return "";
}

}  // namespace

std::string nsa_select_unsupported_reason(const at::Tensor& q, int64_t kv_heads, const NsaKernelSizes& sizes) {
  std::string reason = tensor_reason(q, kv_heads);
  if (reason.empty()) reason = topk_reason(sizes.topk);
  if (reason.empty() && (sizes.block + sizes.select_block) / sizes.stride > 126)
    reason = fmt::format("(l + l') / d = {} (the kernels take at most 126)", (sizes.block + sizes.select_block) / sizes.stride);
  return reason;
}

std::string nsa_select_kernel_name(c10::ScalarType dtype, int64_t head_dim) {
  return fmt::format("nsa_select_{}_d{}", dtype == at::kHalf ? "fp16" : "bf16", head_dim);
}

NsaSparseBranches nsa_sparse_cuda(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& kc,
                                  const at::Tensor& vc, const at::Tensor& key_start, int64_t q_pos0,
                                  const NsaKernelSizes& sizes) {
  constexpr const char* kOp = "nsa_sparse_cuda";
  check_qkv(kOp, q, k, v, key_start, q_pos0);
  const std::string reason = nsa_select_unsupported_reason(q, k.size(1), sizes);
  GPTBENCH_CHECK(reason.empty(), "{}: the kernels do not take this call: {}", kOp, reason);
  GPTBENCH_CHECK(kc.dim() == 4 && kc.sizes() == vc.sizes() && kc.size(0) == k.size(0) && kc.size(1) == k.size(1) &&
                     kc.size(3) == k.size(3) && kc.scalar_type() == at::kFloat && vc.scalar_type() == at::kFloat &&
                     kc.device() == q.device() && vc.device() == q.device(),
                 "{}: kc, vc must be (B, Hkv, nc, D) fp32 on q's device, got {} {}", kOp, c10::str(kc.sizes()),
                 c10::toString(kc.scalar_type()));
#ifdef GPTBENCH_HAVE_NSA_SELECT_KERNEL
  const c10::cuda::CUDAGuard guard(q.device());
  const cudaStream_t stream = at::cuda::getCurrentCUDAStream();
  const at::Tensor qr = vector_rows(q), kr = vector_rows(k), vr = vector_rows(v);
  const at::Tensor kcc = kc.contiguous(), vcc = vc.contiguous(), starts = key_start.to(at::kLong).contiguous();
  const int64_t b = q.size(0), h = q.size(1), hkv = k.size(1), tq = q.size(2), tk = k.size(2), d = q.size(3);
  const int64_t ns = (tk + sizes.select_block - 1) / sizes.select_block;
  const int64_t nsel = std::min(sizes.topk, ns);
  const auto f32 = q.options().dtype(at::kFloat);
  NsaSparseBranches out{at::empty({b, h, tq, d}, f32), at::empty({b, h, tq, d}, f32),
                        at::empty({b, hkv, tq, nsel}, q.options().dtype(at::kInt))};
  if (q.numel() == 0) return out;
  const int64_t chunk = std::max<int64_t>(1, std::min(tq, kScoreBytes / (b * hkv * ns * 4)));
  at::Tensor scores = at::empty({b, hkv, chunk, ns}, f32);
  at::Tensor blocks = at::empty({b, hkv, chunk, nsel}, q.options().dtype(at::kInt));
  for (int64_t c0 = 0; c0 < tq; c0 += chunk) {
    const int64_t n = std::min(chunk, tq - c0);
    NsaSelectParams p = base_params(qr.narrow(2, c0, n), kr, vr, starts, q_pos0 + c0);
    set_outputs(p, out.cmp.narrow(2, c0, n), out.slc.narrow(2, c0, n));
    p.kc = kcc.data_ptr<float>();
    p.vc = vcc.data_ptr<float>();
    p.nc = static_cast<int>(kc.size(2));
    p.block_score = scores.data_ptr<float>();  // (B, Hkv, n, ns): the first n of each (row, head) of the chunk buffer
    p.ns = static_cast<int>(ns);
    p.blocks = blocks.data_ptr<int32_t>();
    p.block = static_cast<int>(sizes.block);
    p.stride = static_cast<int>(sizes.stride);
    p.select_block = static_cast<int>(sizes.select_block);
    p.nsel = static_cast<int>(nsel);
    check_launch(launch_nsa_compressed(p, stream), "nsa_compressed");
    check_launch(launch_nsa_topk(p, stream), "nsa_topk");
    check_launch(launch_nsa_selected(p, stream), "nsa_selected");
    out.blocks.narrow(2, c0, n).copy_(blocks.view({-1}).narrow(0, 0, b * hkv * n * nsel).view({b, hkv, n, nsel}));
  }
  return out;
#else
  (void)kc;
  (void)vc;
  return {};
#endif
}

at::Tensor nsa_selected_cuda(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& blocks,
                             const at::Tensor& key_start, int64_t q_pos0, int64_t select_block) {
  constexpr const char* kOp = "nsa_selected_cuda";
  check_qkv(kOp, q, k, v, key_start, q_pos0);
  const int64_t nsel = blocks.dim() == 4 ? blocks.size(3) : 0;
  std::string reason = tensor_reason(q, k.size(1));
  if (reason.empty()) reason = topk_reason(nsel);
  GPTBENCH_CHECK(reason.empty(), "{}: the kernels do not take this call: {}", kOp, reason);
  GPTBENCH_CHECK(blocks.dim() == 4 && blocks.size(0) == q.size(0) && blocks.size(1) == k.size(1) &&
                     blocks.size(2) == q.size(2) && nsel >= 1 && blocks.scalar_type() == at::kInt &&
                     blocks.device() == q.device(),
                 "{}: blocks must be (B, Hkv, Tq, n) int32 on q's device with n >= 1, got {}", kOp,
                 c10::str(blocks.sizes()));
  at::Tensor out = at::empty(q.sizes(), q.options().dtype(at::kFloat));
#ifdef GPTBENCH_HAVE_NSA_SELECT_KERNEL
  if (q.numel() == 0) return out;
  const c10::cuda::CUDAGuard guard(q.device());
  const at::Tensor chosen = blocks.contiguous(), qr = vector_rows(q), kr = vector_rows(k), vr = vector_rows(v);
  const at::Tensor starts = key_start.to(at::kLong).contiguous();
  NsaSelectParams p = base_params(qr, kr, vr, starts, q_pos0);
  set_outputs(p, at::Tensor(), out);
  p.blocks = const_cast<int32_t*>(chosen.data_ptr<int32_t>());
  p.select_block = static_cast<int>(select_block);
  p.nsel = static_cast<int>(nsel);
  check_launch(launch_nsa_selected(p, at::cuda::getCurrentCUDAStream()), "nsa_selected");
#endif
  return out;
}

}  // namespace gptbench::kernels
