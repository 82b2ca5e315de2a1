// scale_dtype_for, check_quantized_weight and weight_bytes (gptbench/quant/quantized_weight.h).
#include "gptbench/quant/quantized_weight.h"

#include <c10/util/StringUtil.h>  // c10::str
#include <fmt/format.h>           // fmt::format

#include <vector>  // std::vector

#include "gptbench/util/check.h"  // GPTBENCH_CHECK

namespace gptbench::quant {
namespace {

struct Expected {
  const char* name;
  const at::Tensor* tensor;
  bool present;
  c10::ScalarType dtype;
  std::vector<int64_t> shape;
};

void check_one(const Expected& e, const at::Tensor& data, const std::string& where) {
  const at::Tensor& t = *e.tensor;
  if (!e.present) {
    GPTBENCH_CHECK(!t.defined(), "{}: the format has no {} tensor, but one is given", where, e.name);
    return;
  }
  GPTBENCH_CHECK(t.defined(), "{}: the {} tensor is missing", where, e.name);
  GPTBENCH_CHECK(t.scalar_type() == e.dtype, "{}: {} must be {}, got {}", where, e.name, c10::toString(e.dtype),
                 c10::toString(t.scalar_type()));
  GPTBENCH_CHECK(t.sizes() == at::IntArrayRef(e.shape), "{}: {} must have shape {}, got {}", where, e.name,
                 c10::str(at::IntArrayRef(e.shape)), c10::str(t.sizes()));
  GPTBENCH_CHECK(t.device() == data.device(), "{}: {} is on {}, the data on {}", where, e.name, t.device().str(),
                 data.device().str());
}

}  // namespace

c10::ScalarType scale_dtype_for(c10::ScalarType dtype) {
  return dtype == c10::ScalarType::BFloat16 ? c10::ScalarType::BFloat16 : c10::ScalarType::Half;
}

void check_quantized_weight(const QuantizedWeight& w, const std::string& where) {
  const int64_t n = w.rows, k = w.cols, g = w.spec.group;
  const auto format = w.spec.format;
  GPTBENCH_CHECK(n > 0 && k > 0, "{}: the shape ({}, {}) is empty or negative", where, n, k);
  GPTBENCH_CHECK(format == QuantFormat::kInt8 ? g == 0 : g > 0 && k % g == 0 && g % 2 == 0,
                 "{}: group {} does not fit K = {}", where, g, k);
  GPTBENCH_CHECK(w.dtype == c10::ScalarType::Float || w.dtype == c10::ScalarType::Half ||
                     w.dtype == c10::ScalarType::BFloat16,
                 "{}: the original dtype {} is not fp32, fp16 or bf16", where, c10::toString(w.dtype));
  GPTBENCH_CHECK(w.data.defined(), "{}: the data tensor is missing", where);
  const auto scale = scale_dtype_for(w.dtype);
  const bool int4 = format == QuantFormat::kInt4, nf4 = format == QuantFormat::kNf4;
  const int64_t blocks = nf4 ? n * k / g : 0;
  const std::vector<Expected> expected = {
      {"data", &w.data, true, format == QuantFormat::kInt8 ? c10::ScalarType::Char : c10::ScalarType::Byte,
       format == QuantFormat::kInt8 ? std::vector<int64_t>{n, k} : std::vector<int64_t>{n, k / 2}},
      {"scales", &w.scales, !nf4, scale, int4 ? std::vector<int64_t>{n, k / (g > 0 ? g : 1)} : std::vector<int64_t>{n}},
      {"zeros", &w.zeros, int4 && !w.spec.symmetric, c10::ScalarType::Byte, {n, k / (g > 0 ? g : 1)}},
      {"absmax_codes", &w.absmax_codes, nf4, c10::ScalarType::Byte, {blocks}},
      {"absmax_scales", &w.absmax_scales, nf4, c10::ScalarType::Float,
       {(blocks + kNf4AbsmaxBlock - 1) / kNf4AbsmaxBlock}},
      {"absmax_offset", &w.absmax_offset, nf4, c10::ScalarType::Float, {}},
  };
  for (const Expected& e : expected) check_one(e, w.data, where);
}

WeightBytes weight_bytes(const QuantizedWeight& w) {
  WeightBytes bytes;
  bytes.before = w.rows * w.cols * static_cast<int64_t>(c10::elementSize(w.dtype));
  for (const at::Tensor* t : {&w.data, &w.scales, &w.zeros, &w.absmax_codes, &w.absmax_scales, &w.absmax_offset}) {
    if (t->defined()) bytes.after += t->numel() * static_cast<int64_t>(t->element_size());
  }
  return bytes;
}

}  // namespace gptbench::quant
