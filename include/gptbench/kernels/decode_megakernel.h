// The persistent whole-step decode kernel for GPT-2 (issue 22, kernels/decode_megakernel.cuh): one launch per
// greedy decode step of B <= 8 rows at one device position, every layer, the lm_head and the argmax, leaving the
// next token ids and position on the device for the next launch (so the token loop can stay there). The same
// arithmetic as the CUDA-graph decode's GEMV path up to fp32 summation order (kernels/NOTES.md, "Issue 22,
// step 1"). sm_90 only (TMA bulk copies); builds whose CMAKE_CUDA_ARCHITECTURES lack 90a do not compile it.
// The weights come from a model through model/gpt2_megakernel.h.
#pragma once

#include <ATen/core/Tensor.h>  // at::Tensor
#include <c10/core/Device.h>   // c10::Device

#include <cstdint>  // int64_t
#include <memory>   // std::unique_ptr
#include <string>   // std::string
#include <vector>   // std::vector

namespace gptbench::kernels {

// One layer's tensors (fp16 or bf16, contiguous, on the device), C the width, mlp the MLP width.
struct MegakernelLayerWeights {
  at::Tensor ln1_weight, ln1_bias;    // (C)
  at::Tensor qkv_weight, qkv_bias;    // (3C, C), (3C): q, k, v columns, head-major
  at::Tensor out_weight, out_bias;    // (C, C), (C)
  at::Tensor ln2_weight, ln2_bias;    // (C)
  at::Tensor fc_weight, fc_bias;      // (mlp, C), (mlp)
  at::Tensor proj_weight, proj_bias;  // (C, mlp), (C)
};

// A GPT-2 model's weights as the kernel reads them; holding the tensors keeps them alive.
struct MegakernelWeights {
  at::Tensor wte;                   // (V, C): the token embedding and the tied lm_head
  at::Tensor wpe;                   // (positions, C)
  at::Tensor lnf_weight, lnf_bias;  // (C)
  std::vector<MegakernelLayerWeights> layers;
  int64_t n_head = 0;  // head size C / n_head must be 64
  double ln_eps = 1e-5;
  bool gelu_tanh = true;  // false: the exact (erf) GELU
};

// What a step writes besides the next ids and position (tests, diagnostics, DecodeGraph's EOS rule).
struct MegakernelStepOutputs {
  at::Tensor logits;      // (B, V) in the weights' dtype, or undefined: the logits the argmax read
  at::Tensor trace;       // (L, B, 4C + mlp) in the weights' dtype, or undefined: per layer and row q, the
                          // attention output y, the residual after attention, h, the residual after the MLP
  at::Tensor logit_bias;  // (1) fp32 or undefined: added to logit logit_bias_token (0 or -inf for EOS)
  int64_t logit_bias_token = -1;
};

// True when this build compiled the kernel (CMAKE_CUDA_ARCHITECTURES holds 90a).
bool decode_megakernel_compiled();

// Why the kernel cannot decode `batch` rows with these weights on `device` ("" when it can): the build, the
// device (compute capability 9.0), dtype, shapes (head size 64, widths multiples of 32, B 1..8), layouts,
// shared memory.
std::string decode_megakernel_unsupported_reason(const MegakernelWeights& weights, int64_t batch, c10::Device device);

// One model's decode state for one batch size and one set of dense caches: the kernel's scratch (flagged
// activation words, attention partials, counters), its layer table and launch geometry. Steps run on the
// current CUDA stream and can be captured into a CUDA graph.
class DecodeMegakernel {
 public:
  // kv: per layer the (2, B, H, capacity, 64) buffer of a DenseKvCache (device_position_buffer), which the
  // prefill filled. gptbench::Error with decode_megakernel_unsupported_reason's answer when it cannot run.
  // grid_barriers: the A/B mode (a grid barrier at every phase boundary); by default
  // GPTBENCH_MEGAKERNEL_SYNC=barrier in the environment sets it.
  DecodeMegakernel(MegakernelWeights weights, std::vector<at::Tensor> kv, int grid_barriers = -1);
  ~DecodeMegakernel();
  DecodeMegakernel(const DecodeMegakernel&) = delete;
  DecodeMegakernel& operator=(const DecodeMegakernel&) = delete;

  // One greedy step: ids (B) int64 holds the tokens at position *pos and receives the argmax tokens; pos (1)
  // int64 advances by one; key_start (B) int32 (each row's first real position, left padding) or undefined (0).
  // Positions must stay below the cache capacity and the position table, ids inside the vocabulary: a step
  // outside them does nothing and sets error() (checked by the caller, which knows what it asked for).
  void step(const at::Tensor& ids, const at::Tensor& pos, const at::Tensor& key_start,
            const MegakernelStepOutputs& outputs = {});

  int64_t batch() const;
  int64_t capacity() const;
  bool grid_barriers() const;
  int64_t grid() const;    // CTAs: the SM count
  int64_t stages() const;  // ring stages of 16 KB per CTA
  // Bytes a step streams from memory at position pos: the weights (lm_head once) and the keys/values read.
  int64_t step_bytes(int64_t pos) const;
  // "megakernel_fp16" / "megakernel_bf16", "+barrier" in the A/B mode: the name reports give the decode.
  std::string name() const;
  // The kernel's error code of the steps so far (0: none; 1: a position outside the cache or the position
  // table; 2: a token id outside the vocabulary). Synchronizes with the device.
  int error() const;
  // "" unless a wait of the kernel gave up (a schedule bug: the kernel then traps and the CUDA context is lost):
  // what it waited for, where. Reads host memory only, so it answers after the failure.
  std::string failure() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace gptbench::kernels
