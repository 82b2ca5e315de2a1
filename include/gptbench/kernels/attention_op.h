// The gptbench::attention torch op (our fused flash kernels on CUDA, a readable ATen
// reference on CPU) and the one function that says which kernel runs for a problem.
// Semantics are those of gptbench/attention/attention.h; shapes q (B, H, Tq, D),
// k and v (B, Hkv, Tk, D) with H % Hkv == 0 (grouped-query attention: query head h reads
// key/value head h / (H / Hkv), gptbench/kernels/grouped_query.h), out (B, H, Tq, D).
//
// Schema (TORCH_LIBRARY(gptbench)):
//   gptbench::attention(Tensor q, Tensor k, Tensor v, Tensor key_start, Tensor? key_pos,
//                       int? q_pos0, Tensor? alibi_slopes, int window, int global_tokens,
//                       float scale, Tensor? q_pos=None, int flash_arch=0) -> Tensor
//   q_pos0 = None means Tk - Tq (bottom-right alignment: prefill after a cached prefix).
//   q_pos (1,) int64 on q's device: query 0's position, read by the kernel instead of q_pos0
//   (decode only, Tq == 1). It lets a CUDA graph replay one decode step at advancing positions.
//   flash_arch: FlashArch's value (0 auto, 80 the sm_80 prefill kernel, 90 the sm_90a one; flash_arch.h);
//   an explicit one the device or build cannot run is an error, never a fallback.
//   key_start (B,) and key_pos (B, Tk) are int32 (int64 is accepted and converted).
//   alibi_slopes (H,) fp32. window 0 = dense causal; global_tokens only with a window.
//   gptbench::attention.out(<same arguments>, *, Tensor(a!) out) -> Tensor(a!)
//   writes into a caller's (B, H, Tq, D) tensor, which may be a strided view (for example
//   of a (B, Tq, H, D) buffer, which saves the transpose before the output projection).
//
// Every call of the op (CPU or CUDA) builds its AttentionProblem with make_attention_problem,
// asks select_attention_kernel once, throws with the reason when unsupported (never a silent
// fallback) and hands the chosen kernel's name back through attention_op's `kernel` argument.
#pragma once

#include <ATen/core/Tensor.h>     // at::Tensor
#include <c10/core/Device.h>      // c10::Device
#include <c10/core/DeviceType.h>  // c10::DeviceType
#include <c10/core/ScalarType.h>  // c10::ScalarType

#include <cstdint>   // int64_t
#include <optional>  // std::optional
#include <string>    // std::string

#include "gptbench/kernels/flash_arch.h"  // FlashArch

namespace gptbench::kernels {

inline constexpr const char* kAttentionOpName = "gptbench::attention";
inline constexpr const char* kAttentionOutOverload = "out";

// Optional arguments of the op, with the defaults the model uses.
struct AttentionOptions {
  std::optional<at::Tensor> key_pos;       // (B, Tk) int32: rolling cache slot positions
  std::optional<int64_t> q_pos0;           // default Tk - Tq
  std::optional<at::Tensor> alibi_slopes;  // (H,) fp32
  int64_t window = 0;
  int64_t global_tokens = 0;
  std::optional<double> scale;  // default 1 / sqrt(D)
  std::optional<at::Tensor> q_pos;  // (1,) int64 on the device, instead of q_pos0 (decode only)
  FlashArch flash_arch = FlashArch::kAuto;  // which prefill kernel (flash_arch.h)
};

enum class KeyLayout { kContiguous, kRolling };  // kRolling: key_pos gives each slot's position
enum class ScoreBias { kNone, kAlibi };

// Sizes of one call: q (B, H, Tq, D), k and v (B, Hkv, Tk, D). kv_heads 0 means Hkv = H (kept
// last so that the five-size form {B, H, Tq, Tk, D} still reads as before).
struct AttentionSizes {
  int64_t batch = 0, heads = 0, q_len = 0, k_len = 0, head_dim = 0;
  int64_t kv_heads = 0;
};

// Everything the kernel choice depends on, and nothing else (no data).
struct AttentionProblem {
  c10::DeviceType device = c10::DeviceType::CPU;
  int device_index = 0;
  int sm_version = 0;  // CUDA compute capability as 10 * major + minor (90 = H100); 0 = unknown
  c10::ScalarType dtype = c10::ScalarType::Float;
  int64_t batch = 0, heads = 0, q_len = 0, k_len = 0, head_dim = 0;
  int64_t kv_heads = 0;  // resolved: H when the sizes gave 0; query head h reads kv head h / (H / kv_heads)
  int64_t q_pos0 = 0;  // resolved: Tk - Tq when the caller gave none, Tk - 1 (an upper bound) with a device q_pos
  KeyLayout key_layout = KeyLayout::kContiguous;
  ScoreBias bias = ScoreBias::kNone;
  int64_t window = 0;
  int64_t global_tokens = 0;
  FlashArch flash_arch = FlashArch::kAuto;  // the caller's preference for the prefill kernel
  // q, k, v and out as the kernel will see them suit TMA (prefill_sm90_layout_ok): the CUDA op sets it
  // from its prepared tensors; before any data exists (check_supported) the op's copies make it so.
  bool tma_layout = true;
};

// The one builder of AttentionProblem: the op calls it with its checked inputs, and
// attention::check_supported with a variant's options before any data exists. Only the
// presence of options.key_pos, alibi_slopes and q_pos matters, never their values; for a
// CUDA device it reads the compute capability.
AttentionProblem make_attention_problem(c10::Device device, c10::ScalarType dtype, const AttentionSizes& sizes,
                                        const AttentionOptions& options);

struct KernelChoice {
  bool supported = false;
  std::string kernel_name;  // e.g. "flash_prefill_fp16_d64_bm64_bn64_causal"; recorded in reports
  std::string reason;       // why unsupported, or a short note on the choice
  FlashArch prefill_arch = FlashArch::kAuto;  // the prefill kernel chosen (kSm80 / kSm90); kAuto otherwise
};

// Answers both "is it supported?" and "which kernel will run?"; the op calls this same
// function, once per call.
KernelChoice select_attention_kernel(const AttentionProblem& problem);

// True when this build compiled the CUDA flash kernels (configured with nvcc).
bool flash_kernels_compiled();

// True when this build also compiled the sm_90a prefill instances (CMAKE_CUDA_ARCHITECTURES holds 90a).
bool flash_sm90_kernels_compiled();

// Calls gptbench::attention through the dispatcher (CPU or CUDA by the inputs' device).
// q: (B, H, Tq, D); k, v: (B, Hkv, Tk, D), H % Hkv == 0; key_start: (B,). Returns (B, H, Tq, D), q's dtype.
// When `kernel` is not null it receives the name of the kernel this call ran (the op's own
// selection, e.g. "flash_decode_splitkv_fp16_d64_causal" or "cpu_reference_fp32_alibi").
at::Tensor attention_op(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& key_start,
                        const AttentionOptions& options = {}, std::string* kernel = nullptr);

// The same through gptbench::attention.out: writes every element of `out` (B, H, Tq, D),
// q's dtype and device, last dim contiguous; returns `out`.
at::Tensor& attention_op_out(at::Tensor& out, const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                             const at::Tensor& key_start, const AttentionOptions& options = {},
                             std::string* kernel = nullptr);

// The math the CPU op runs: plain ATen on any device, fp64 for fp64 inputs and fp32
// otherwise, result in q's dtype. Tests use it on CUDA fp32 as the reference for big shapes.
at::Tensor attention_reference(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                               const at::Tensor& key_start, const std::optional<at::Tensor>& key_pos, int64_t q_pos0,
                               const std::optional<at::Tensor>& alibi_slopes, int64_t window, int64_t global_tokens,
                               double scale);

}  // namespace gptbench::kernels
