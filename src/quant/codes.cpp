// nf4_code and dynamic_code (gptbench/quant/quantize.h): the two code books of the nf4 format,
// with bitsandbytes' values so that our NF4 weights are its NF4 weights.
#include <ATen/ATen.h>  // at::tensor, at::linspace, at::cat, at::sort

#include <cmath>   // std::pow
#include <vector>  // std::vector

#include "gptbench/quant/quantize.h"  // nf4_code, dynamic_code

namespace gptbench::quant {

at::Tensor nf4_code() {
  // The NormalFloat4 values of QLoRA (Dettmers et al. 2023), as bitsandbytes lists them: quantiles
  // of N(0, 1) scaled to [-1, 1], with an exact zero.
  static const std::vector<float> kValues = {
      -1.0f,        -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
      -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
      0.07958029955625534f,  0.16093020141124725f,  0.24611230194568634f,  0.33791524171829224f,
      0.44070982933044434f,  0.5626170039176941f,   0.7229568362236023f,   1.0f};
  return at::tensor(kValues, at::kFloat);
}

at::Tensor dynamic_code() {
  // The signed dynamic map of Dettmers (2015) with 7 exponent bits: for exponent i in 0..6, the
  // 2^i midpoints of linspace(0.1, 1, 2^i + 1) (fp32) times 10^(i - 6), both signs; then 0 and 1.
  // 127 + 127 + 2 = 256 values, sorted. Computed with the same fp32 tensor ops bitsandbytes uses.
  std::vector<at::Tensor> parts;
  for (int i = 0; i < 7; ++i) {
    const at::Tensor bounds = at::linspace(0.1, 1, (int64_t{1} << i) + 1, at::kFloat);
    const at::Tensor means = (bounds.slice(0, 0, -1) + bounds.slice(0, 1)) / 2.0;
    const double scale = std::pow(10.0, static_cast<double>(i - 6));
    parts.push_back(means * scale);
    parts.push_back(means * -scale);
  }
  parts.push_back(at::zeros({1}, at::kFloat));
  parts.push_back(at::ones({1}, at::kFloat));
  return std::get<0>(at::sort(at::cat(parts)));
}

}  // namespace gptbench::quant
