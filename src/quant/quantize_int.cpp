// int8 (per-channel) and int4 (group-wise) quantize/dequantize, ATen ops in fp32. Every step is
// the formula of docs/quantization.md; tests/quant/quant_oracle.py transcribes it again.
#include "quantize_formats.h"

#include <ATen/ATen.h>  // tensor ops

#include "nibbles.h"  // pack_nibbles, unpack_nibbles

namespace gptbench::quant {
namespace {

// round(v / scale) where scale > 0, else 0. v: (..., g) fp32, scale: (...) fp32.
at::Tensor scaled_round(const at::Tensor& v, const at::Tensor& scale) {
  const at::Tensor s = scale.unsqueeze(-1);
  return at::where(s > 0, at::round(v / s), at::zeros({}, v.options()));
}

}  // namespace

void quantize_int8(const at::Tensor& w, QuantizedWeight& out) {
  const at::Tensor wf = w.to(at::kFloat);                                        // (N, K)
  out.scales = (wf.abs().amax(1) / 127.0).to(scale_dtype_for(w.scalar_type()));  // (N)
  out.data = scaled_round(wf, out.scales.to(at::kFloat)).clamp(-127, 127).to(at::kChar);
}

void quantize_int4(const at::Tensor& w, QuantizedWeight& out) {
  const int64_t n = w.size(0), k = w.size(1), g = out.spec.group;
  const at::Tensor wf = w.to(at::kFloat).view({n, k / g, g});
  const auto scale_dtype = scale_dtype_for(w.scalar_type());
  at::Tensor q;
  if (out.spec.symmetric) {
    out.scales = (wf.abs().amax(2) / 7.0).to(scale_dtype);  // (N, K/g)
    q = scaled_round(wf, out.scales.to(at::kFloat)).clamp(-8, 7) + 8;
  } else {
    const at::Tensor lo = wf.amin(2).clamp_max(0), hi = wf.amax(2).clamp_min(0);  // the range holds 0
    out.scales = ((hi - lo) / 15.0).to(scale_dtype);
    const at::Tensor s = out.scales.to(at::kFloat);
    const at::Tensor zero = at::where(s > 0, at::round(-lo / s), at::zeros({}, s.options())).clamp(0, 15);
    out.zeros = zero.to(at::kByte);
    q = (scaled_round(wf, s) + zero.unsqueeze(2)).clamp(0, 15);
  }
  out.data = pack_nibbles(q.view({n, k}));
}

at::Tensor dequantize_int8(const QuantizedWeight& w) {
  return w.data.to(at::kFloat) * w.scales.to(at::kFloat).unsqueeze(1);
}

at::Tensor dequantize_int4(const QuantizedWeight& w) {
  const int64_t n = w.rows, k = w.cols, g = w.spec.group;
  const at::Tensor q = unpack_nibbles(w.data).view({n, k / g, g}).to(at::kFloat);
  const at::Tensor zero = w.spec.symmetric ? at::full({}, 8.0, q.options()) : w.zeros.to(at::kFloat).unsqueeze(2);
  return ((q - zero) * w.scales.to(at::kFloat).unsqueeze(2)).view({n, k});
}

}  // namespace gptbench::quant
