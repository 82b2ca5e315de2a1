// nf4 quantize/dequantize: bitsandbytes' quantize_4bit(quant_type="nf4", compress_statistics=True)
// and dequantize_4bit, restated with ATen ops (its reference backend's arithmetic: scale by the
// reciprocal of the absmax, nearest code value with ties to the lower one, fp32 throughout).
#include "quantize_formats.h"

#include <ATen/ATen.h>  // tensor ops

#include "gptbench/quant/quantize.h"  // nf4_code, dynamic_code
#include "nibbles.h"                  // pack_nibbles, unpack_nibbles

namespace gptbench::quant {
namespace {

// Index of the nearest value of the sorted `code` for each element of `scaled` (ties to the lower).
at::Tensor nearest_code(const at::Tensor& scaled, const at::Tensor& code) {
  const at::Tensor bounds = (code.slice(0, 0, -1) + code.slice(0, 1)) / 2;
  return at::bucketize(scaled, bounds, /*out_int32=*/true, /*right=*/false);
}

struct Blockwise {
  at::Tensor codes;   // like the input, uint8
  at::Tensor absmax;  // one per block, fp32
};

// Blocks of `block` consecutive values of the flat fp32 `v`, each scaled into [-1, 1] by its absmax
// and coded to the nearest value of `code`. A last partial block is divided by its absmax; full
// blocks are multiplied by the absmax's reciprocal (bitsandbytes does the same).
Blockwise quantize_blockwise(const at::Tensor& v, int64_t block, const at::Tensor& code) {
  const int64_t n = v.numel(), full = n - n % block;
  const at::Tensor body = v.slice(0, 0, full).view({full / block, block});
  at::Tensor absmax = body.abs().amax(1);
  at::Tensor scaled = (body * at::reciprocal(absmax.clamp_min(1e-38)).unsqueeze(1)).clamp(-1, 1).view({full});
  if (full < n) {
    const at::Tensor tail = v.slice(0, full);
    const at::Tensor tail_max = tail.abs().amax().clamp_min(1e-38);
    absmax = at::cat({absmax, tail_max.unsqueeze(0)});
    scaled = at::cat({scaled, (tail / tail_max).clamp(-1, 1)});
  }
  return {nearest_code(scaled, code).to(at::kByte), absmax};
}

// code[codes] * absmax of each block, fp32, flat. Broadcasts over the full blocks (no per-element
// index tensor: at Mistral's 4096 x 14336 one would be 470 MB), then the last partial block.
at::Tensor dequantize_blockwise(const at::Tensor& codes, const at::Tensor& absmax, int64_t block,
                                const at::Tensor& code) {
  const at::Tensor values = code.index_select(0, codes.to(at::kInt).flatten());
  const int64_t n = values.numel(), full = n - n % block;
  const at::Tensor body = (values.slice(0, 0, full).view({full / block, block}) *
                           absmax.slice(0, 0, full / block).unsqueeze(1)).view({full});
  if (full == n) return body;
  return at::cat({body, values.slice(0, full) * absmax[full / block]});
}

}  // namespace

void quantize_nf4(const at::Tensor& w, QuantizedWeight& out) {
  const at::Tensor flat = w.to(at::kFloat).flatten();
  const Blockwise four = quantize_blockwise(flat, out.spec.group, nf4_code().to(w.device()));
  out.data = pack_nibbles(four.codes.view({w.size(0), w.size(1)}));
  // Double quantization: the absmax values minus their mean, blockwise to the 8-bit dynamic code.
  out.absmax_offset = four.absmax.mean();
  const Blockwise eight = quantize_blockwise(four.absmax - out.absmax_offset, kNf4AbsmaxBlock,
                                             dynamic_code().to(w.device()));
  out.absmax_codes = eight.codes;
  out.absmax_scales = eight.absmax;
}

at::Tensor dequantize_nf4(const QuantizedWeight& w) {
  const at::Tensor absmax = dequantize_blockwise(w.absmax_codes, w.absmax_scales, kNf4AbsmaxBlock,
                                                 dynamic_code().to(w.data.device())) +
                            w.absmax_offset;
  const at::Tensor codes = unpack_nibbles(w.data).flatten();
  return dequantize_blockwise(codes, absmax, w.spec.group, nf4_code().to(w.data.device())).view({w.rows, w.cols});
}

}  // namespace gptbench::quant
