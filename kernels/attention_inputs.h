// Validation and normalisation of the gptbench::attention arguments, shared by the CPU
// and CUDA implementations so that both refuse the same inputs with the same message.
#pragma once

#include <ATen/core/Tensor.h>     // at::Tensor
#include <c10/core/ScalarType.h>  // c10::ScalarType

#include <cstdint>   // int64_t
#include <optional>  // std::optional

#include "attention_params.h"                // MaskPolicy, ElementType
#include "gptbench/kernels/attention_op.h"  // AttentionOptions, AttentionSizes

namespace gptbench::kernels::detail {

struct AttentionShape {
  AttentionSizes sizes;
  int64_t q_pos0 = 0;  // resolved_q_pos0
  bool device_q_pos = false;  // q_pos was given: query 0's position lives on the device
};

// The op's arguments as AttentionOptions (scale always set).
AttentionOptions options_of(const std::optional<at::Tensor>& key_pos, std::optional<int64_t> q_pos0,
                            const std::optional<at::Tensor>& alibi_slopes, int64_t window, int64_t global_tokens,
                            double scale, const std::optional<at::Tensor>& q_pos, int64_t flash_arch);

bool has_tensor(const std::optional<at::Tensor>& t);

// The softmax scale when the caller gives none: 1 / sqrt(D) of q (B, H, Tq, D).
double default_scale(const at::Tensor& q);

// Query 0's position: options.q_pos0, else Tk - Tq; with a device q_pos, Tk - 1 (the host's upper
// bound; the kernels read the real value).
int64_t resolved_q_pos0(const AttentionSizes& sizes, const AttentionOptions& options);

// Throws gptbench::Error naming the argument when anything is off.
// q: (B, H, Tq, D); k, v: (B, Hkv, Tk, D) with H % Hkv == 0; key_start (B,); key_pos (B, Tk); alibi_slopes (H,);
// q_pos (1,) int64 (decode only, instead of q_pos0).
AttentionShape check_attention_inputs(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                      const at::Tensor& key_start, const AttentionOptions& options);

// out of the .out overload: (B, H, Tq, D), q's dtype and device.
void check_attention_out(const at::Tensor& out, const at::Tensor& q);

// A window no visible pair can reach (W > last query position) is no window at all:
// the kernel then runs the cheaper dense policy. Sinks only matter with a window.
bool window_active(int64_t window, int64_t q_pos0, int64_t q_len);

MaskPolicy mask_policy(bool alibi, bool window);

// The kernels' element type of a torch dtype; nullopt for dtypes they have no type for.
std::optional<ElementType> element_type_of(c10::ScalarType dtype);

}  // namespace gptbench::kernels::detail
