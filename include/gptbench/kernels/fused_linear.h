// One projection of the transformer with everything around it that a decode step would otherwise
// launch separately:   out = act(input(x) @ weight^T + bias) + residual
// where input(x) is x, its LayerNorm (GPT-2), its RMSNorm (Llama) or SwiGLU's gate silu(a) * b of its halves,
// and, for the qkv projection of a decode step, the store of the step's key and value into a
// dense KV cache. Decode-sized inputs (1..gemv_max_rows rows, fp16/bf16, CUDA, no autograd) run gptbench's
// GEMV kernel (kernels/gemv.cu); everything else runs the same math as ATen ops (cuBLAS GEMMs on
// CUDA), which is also the CPU implementation and the tests' reference. fused_linear_path says
// which one a call takes, so reports name the kernel that ran.
#pragma once

#include <ATen/core/Tensor.h>  // at::Tensor

#include <cstdint>  // int64_t
#include <string>   // std::string

namespace gptbench::kernels {

// Rows up to which the GEMV serves a call by default. Measured on the H100 (gpt2 shape, fp16, graph
// decode, 512+64 tokens; kernels/NOTES.md, session 5): ms/token GEMV against cuBLAS 0.465/0.598 at
// 1 row, 0.495/0.622 at 2, 0.564/0.633 at 4, 0.798/0.665 at 8. Rows 5-7 were not measured.
inline constexpr int64_t kGemvDefaultMaxRows = 4;
inline constexpr int64_t kGemvKernelMaxRows = 8;  // what the kernel is built for (kernels/gemv_params.h)

enum class LinearActivation { kNone, kGeluTanh, kGeluErf };  // GELU: tanh approximation or exact (erf)

// What the projection multiplies: x itself or x through the step before it, rounded to x's dtype as the
// unfused module's output is.
enum class LinearInput {
  kAsIs,       // x (..., K)
  kLayerNorm,  // LayerNorm(x) with ln_weight, ln_bias (K), ln_eps (biased variance, as torch): GPT-2
  kRmsNorm,    // ln_weight * dtype(x * rsqrt(mean(x^2) + ln_eps)), fp32 statistics, ln_weight (K): Llama
  kSiluGate,   // silu(x[..., :K]) * x[..., K:] for x (..., 2K): SwiGLU's gate_up output into down_proj
};

struct FusedLinearOptions {
  at::Tensor bias;                // (N) or undefined
  at::Tensor residual;            // (..., N) like the output, added after the activation, or undefined
  LinearInput input = LinearInput::kAsIs;
  at::Tensor ln_weight, ln_bias;  // (K): both for kLayerNorm, ln_weight for kRmsNorm, else undefined
  double ln_eps = 1e-5;
  LinearActivation activation = LinearActivation::kNone;
  // The fused KV store (decode with a device position; x holds one token per batch row, (B, 1, K)):
  // output columns [kv_col0, kv_col0 + 2·H·D) are the step's key then value, also written to
  // kv_cache[0 / 1, b, h, kv_pos, d] of a (2, B, H, capacity, D) buffer. kv_pos is (1) int64 on
  // the device.
  at::Tensor kv_cache, kv_pos;
  int64_t kv_col0 = 0;
  // The most rows the GEMV takes; more go to cuBLAS. The kernel is built for up to kGemvKernelMaxRows
  // (tests and A/B runs raise the limit to that: gptbench run --linear gemv); 0 never takes the GEMV
  // (--linear aten).
  int64_t gemv_max_rows = kGemvDefaultMaxRows;
};

// The width x's last dimension has for a weight of k columns under o.input (2k for kSiluGate).
int64_t linear_input_width(const FusedLinearOptions& options, int64_t k);

// input(x) as ATen ops, on any device and under autograd: (..., K) in x's dtype (LayerNorm's dtype under
// autocast). The composite of the references and of the LoRA adapter's path.
at::Tensor linear_input(const at::Tensor& x, const FusedLinearOptions& options);

// "gemv_<dtype>_rows<M>" (+ "+pdl" when its launch overlaps the previous kernel's) when the call runs our
// GEMV kernel, else "aten" (composite ATen ops).
// x: (..., K) (2K for kSiluGate); weight: (N, K).
std::string fused_linear_path(const at::Tensor& x, const at::Tensor& weight, const FusedLinearOptions& options);

// x: (..., K) (2K for kSiluGate); weight (N, K) -> (..., N) in x's dtype. Throws gptbench::Error on
// inconsistent shapes.
// When `path` is given it receives fused_linear_path's answer for this call.
at::Tensor fused_linear(const at::Tensor& x, const at::Tensor& weight, const FusedLinearOptions& options = {},
                        std::string* path = nullptr);

// The composite the GEMV replaces, on any device and under autograd: the reference of the tests.
at::Tensor fused_linear_reference(const at::Tensor& x, const at::Tensor& weight, const FusedLinearOptions& options);

// True when this build compiled the GEMV kernel (configured with nvcc).
bool gemv_kernel_compiled();

// Programmatic dependent launch of the GEMV on sm_90+ (kernels/NOTES.md, "overlapped GEMV launches"): a
// launch begins while the previous kernel finishes (kLaunch), and may ask the L2 for its first weight bytes
// meanwhile (kLaunchPrefetch). OFF by default: measured on the H200 it saves 6 % per token on gpt2 but costs
// 1-11 % on gpt2-xl and the quantized formats (NOTES). GPTBENCH_GEMV_OVERLAP=launch|prefetch (1 = prefetch)
// in the environment sets the starting mode (the A/B of scripts/gpu/decode_overlap.sh). Kernel names of
// overlapped calls end in gemv_overlap_suffix: "+pdl" or "+pdl+l2".
enum class GemvOverlap { kOff, kLaunch, kLaunchPrefetch };
void set_gemv_overlap(GemvOverlap mode);
GemvOverlap gemv_overlap();
constexpr const char* gemv_overlap_suffix(GemvOverlap mode) {
  return mode == GemvOverlap::kLaunch ? "+pdl" : mode == GemvOverlap::kLaunchPrefetch ? "+pdl+l2" : "";
}

}  // namespace gptbench::kernels
