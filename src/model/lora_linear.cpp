// A projection with its LoRA update as one autograd node (lora_linear.h).
#include "gptbench/model/lora_linear.h"

#include <ATen/TensorOperators.h>                 // Tensor operators (*)
#include <ATen/autocast_mode.h>                   // at::autocast::is_autocast_enabled, get_autocast_dtype
#include <ATen/ops/addmm.h>                       // at::addmm
#include <ATen/ops/cat.h>                         // at::cat
#include <ATen/ops/dropout.h>                     // at::dropout
#include <ATen/ops/matmul.h>                      // at::matmul
#include <ATen/ops/mm.h>                          // at::mm (and its out_dtype overload)
#include <ATen/ops/native_dropout.h>              // at::native_dropout
#include <ATen/ops/native_dropout_backward.h>     // at::native_dropout_backward
#include <ATen/ops/zeros.h>                       // at::zeros
#include <c10/core/DispatchKeySet.h>              // c10::autocast_dispatch_keyset
#include <c10/core/GradMode.h>                    // c10::GradMode
#include <c10/core/impl/LocalDispatchKeySet.h>    // c10::impl::ExcludeDispatchKeyGuard
#include <torch/csrc/autograd/custom_function.h>  // torch::autograd::Function, AutogradContext

#include <optional>  // std::optional
#include <tuple>     // std::tie
#include <utility>   // std::move

#include "gptbench/util/check.h"  // GPTBENCH_CHECK

namespace gptbench::model {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// The node's arguments that autograd does not differentiate: the frozen base and the update's settings.
struct NodeArgs {
  at::Tensor weight, bias;  // (out, in), (out) in the compute dtype, or undefined (lora_add)
  std::vector<int64_t> row0;  // per pair
  double scaling = 1, dropout = 0;
  int64_t out = 0;
};

// What the forward computed, and what the backward reads of it.
struct Forward {
  at::Tensor y;                         // (N, out)
  std::vector<at::Tensor> t;            // per pair: drop(x) A^T (N, r)
  std::vector<at::Tensor> input, mask;  // per pair under dropout: drop(x) (N, in) and its mask; else undefined
};

// x (N, in); base (N, out) or undefined when args.weight is given; a[i] (r, in) and b[i] (rows, r), all in
// the compute dtype. base is never written: the first pair's GEMM writes a new tensor when it covers
// every row, and base is copied first when it does not.
Forward run_forward(const at::Tensor& x, const at::Tensor& base, const std::vector<at::Tensor>& a,
                    const std::vector<at::Tensor>& b, const NodeArgs& args) {
  Forward f;
  bool own = args.weight.defined();  // f.y is this call's tensor, free to write in place
  if (own) {
    f.y = args.bias.defined() ? at::addmm(args.bias, x, args.weight.t()) : at::mm(x, args.weight.t());
  } else {
    f.y = base;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    at::Tensor h = x, mask;
    if (args.dropout > 0) std::tie(h, mask) = at::native_dropout(x, args.dropout, /*train=*/true);
    const at::Tensor t = at::mm(h, a[i].t());  // (N, r)
    const int64_t rows = b[i].size(0);
    if (!own && rows == args.out) {
      f.y = at::addmm(f.y, t, b[i].t(), /*beta=*/1, /*alpha=*/args.scaling);
    } else {
      if (!own) f.y = f.y.clone();
      f.y.narrow(1, args.row0[i], rows).addmm_(t, b[i].t(), /*beta=*/1, /*alpha=*/args.scaling);
    }
    own = true;
    f.t.push_back(t);
    f.input.push_back(args.dropout > 0 ? h : at::Tensor());
    f.mask.push_back(mask);
  }
  return f;
}

// a @ b in `dtype` (A's or B's own: fp32 master weights). From bf16/fp16 operands cuBLAS accumulates and
// writes fp32 directly on CUDA (mm's out_dtype overload); elsewhere the operands are upcast first.
at::Tensor product_in(const at::Tensor& a, const at::Tensor& b, c10::ScalarType dtype) {
  if (a.scalar_type() == dtype) return at::mm(a, b);
  if (a.is_cuda() && dtype == at::kFloat) return at::mm(a, b, dtype);
  return at::mm(a.to(dtype), b.to(dtype));
}

// The saved tensors, in this order: x, weight, then per pair a, b, t, input, mask (5 per pair).
constexpr size_t kPairSaved = 5;

class LoraNode : public torch::autograd::Function<LoraNode> {
 public:
  // x (N, in) in the compute dtype; base (N, out) for lora_add, absent for lora_linear; ab: A0, B0, A1, B1, ...
  // in their own dtypes; args: the rest. One gradient per argument comes back: x, base, each of ab, args.
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const std::optional<at::Tensor>& base,
                            at::TensorList ab, const NodeArgs* args) {
    // The dtypes are chosen by the caller; autocast must not recast anything here.
    const c10::impl::ExcludeDispatchKeyGuard no_autocast(c10::autocast_dispatch_keyset);
    const size_t n = ab.size() / 2;
    std::vector<at::Tensor> a, b;
    std::vector<int64_t> a_dtype, b_dtype;
    for (size_t i = 0; i < n; ++i) {
      a.push_back(ab[2 * i].to(x.scalar_type()));
      b.push_back(ab[2 * i + 1].to(x.scalar_type()));
      a_dtype.push_back(static_cast<int64_t>(ab[2 * i].scalar_type()));
      b_dtype.push_back(static_cast<int64_t>(ab[2 * i + 1].scalar_type()));
    }
    Forward f = run_forward(x, base.value_or(at::Tensor()), a, b, *args);
    variable_list saved = {x, args->weight};
    for (size_t i = 0; i < n; ++i) {
      for (const at::Tensor& s : {a[i], b[i], f.t[i], f.input[i], f.mask[i]}) saved.push_back(s);
    }
    ctx->save_for_backward(saved);
    ctx->saved_data["has_base"] = base.has_value();
    ctx->saved_data["row0"] = args->row0;
    ctx->saved_data["a_dtype"] = a_dtype;
    ctx->saved_data["b_dtype"] = b_dtype;
    ctx->saved_data["scaling"] = args->scaling;
    ctx->saved_data["dropout"] = args->dropout;
    return f.y;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const variable_list saved = ctx->get_saved_variables();
    const bool has_base = ctx->saved_data["has_base"].toBool();
    const std::vector<int64_t> row0 = ctx->saved_data["row0"].toIntVector();
    const std::vector<int64_t> a_dtype = ctx->saved_data["a_dtype"].toIntVector();
    const std::vector<int64_t> b_dtype = ctx->saved_data["b_dtype"].toIntVector();
    const double scaling = ctx->saved_data["scaling"].toDouble();
    const double dropout = ctx->saved_data["dropout"].toDouble();
    const size_t n = row0.size();
    const at::Tensor& x = saved[0];       // (N, in)
    const at::Tensor& weight = saved[1];  // (out, in) or undefined
    const at::Tensor& dy = grads[0];      // (N, out)
    // needs_input_grad counts the tensors given: x, base when given, then A0, B0, ...
    const size_t first_pair = has_base ? 2 : 1;
    const bool want_x = ctx->needs_input_grad(0);

    at::Tensor dx = want_x && weight.defined() ? at::mm(dy, weight) : at::Tensor();  // (N, in)
    variable_list out(3 + 2 * n);  // x, base, A0, B0, ..., args
    for (size_t i = 0; i < n; ++i) {
      const at::Tensor& a = saved[2 + kPairSaved * i];
      const at::Tensor& b = saved[3 + kPairSaved * i];
      const at::Tensor& t = saved[4 + kPairSaved * i];
      const at::Tensor& input = saved[5 + kPairSaved * i];
      const at::Tensor& mask = saved[6 + kPairSaved * i];
      const bool want_a = ctx->needs_input_grad(first_pair + 2 * i);
      const bool want_b = ctx->needs_input_grad(first_pair + 2 * i + 1);
      const at::Tensor g = dy.narrow(1, row0[i], b.size(0));  // (N, rows)
      at::Tensor u;                                           // scaling · dy B (N, r)
      if (want_x || want_a) u = at::mm(g, b).mul_(scaling);
      if (want_x) {
        if (dropout > 0) {
          const at::Tensor d = at::native_dropout_backward(at::mm(u, a), mask, 1.0 / (1.0 - dropout));
          dx = dx.defined() ? dx.add_(d) : d;
        } else if (dx.defined()) {
          dx.addmm_(u, a);
        } else {
          dx = at::mm(u, a);
        }
      }
      if (want_a) out[2 + 2 * i] = product_in(u.t(), dropout > 0 ? input : x, static_cast<c10::ScalarType>(a_dtype[i]));
      if (want_b) out[3 + 2 * i] = product_in(g.t(), t, static_cast<c10::ScalarType>(b_dtype[i])).mul_(scaling);
    }
    out[0] = dx;
    if (has_base) out[1] = dy;  // base + ...: its gradient is dy itself
    return out;
  }
};

// lora_linear and lora_add: x (..., in); base (..., out) or undefined; weight (out, in) or undefined.
at::Tensor lora_node(const at::Tensor& x, const at::Tensor& base, const at::Tensor& weight, const at::Tensor& bias,
                     const LoraUpdate& u) {
  GPTBENCH_CHECK(!u.pairs.empty(), "lora_linear: the update has no adapter pair");
  const int64_t in = x.size(-1);
  const int64_t out = weight.defined() ? weight.size(0) : base.size(-1);
  const c10::ScalarType dtype = base.defined() ? base.scalar_type() : linear_compute_dtype(x);
  GPTBENCH_CHECK(!weight.defined() || weight.size(1) == in, "lora_linear: x (..., {}) and weight ({}, {}) disagree", in,
                 weight.size(0), weight.size(1));
  GPTBENCH_CHECK(!base.defined() || base.numel() / out == x.numel() / in,
                 "lora_add: base has {} rows, x has {}", base.numel() / out, x.numel() / in);
  NodeArgs args;
  args.scaling = u.scaling;
  args.dropout = u.dropout;
  args.out = out;
  std::vector<at::Tensor> ab;
  int64_t next_row = 0;
  for (const LoraPairRef& p : u.pairs) {
    GPTBENCH_CHECK(p.a.dim() == 2 && p.b.dim() == 2 && p.a.size(1) == in && p.b.size(1) == p.a.size(0),
                   "lora_linear: A must be (r, {}) and B (rows, r)", in);
    GPTBENCH_CHECK(p.row0 >= next_row && p.row0 + p.b.size(0) <= out,
                   "lora_linear: pair rows [{}, {}) overlap another pair or leave the {} output rows", p.row0,
                   p.row0 + p.b.size(0), out);
    next_row = p.row0 + p.b.size(0);
    args.row0.push_back(p.row0);
    ab.push_back(p.a);
    ab.push_back(p.b);
  }
  bool grads = x.requires_grad() || (base.defined() && base.requires_grad());
  for (const at::Tensor& t : ab) grads = grads || t.requires_grad();
  const at::Tensor x2 = x.to(dtype).reshape({-1, in});
  const at::Tensor base2 = base.defined() ? base.reshape({-1, out}) : at::Tensor();
  at::Tensor y;
  {
    const c10::impl::ExcludeDispatchKeyGuard no_autocast(c10::autocast_dispatch_keyset);
    args.weight = weight.defined() ? weight.to(dtype) : at::Tensor();
    args.bias = bias.defined() ? bias.to(dtype) : at::Tensor();
  }
  if (c10::GradMode::is_enabled() && grads) {
    y = LoraNode::apply(x2, base.defined() ? std::optional<at::Tensor>(base2) : std::nullopt, at::TensorList(ab), &args);
  } else {
    const c10::impl::ExcludeDispatchKeyGuard no_autocast(c10::autocast_dispatch_keyset);
    std::vector<at::Tensor> a, b;
    for (const LoraPairRef& p : u.pairs) {
      a.push_back(p.a.to(dtype));
      b.push_back(p.b.to(dtype));
    }
    y = run_forward(x2, base2, a, b, args).y;
  }
  std::vector<int64_t> shape(x.sizes().begin(), x.sizes().end());
  shape.back() = out;
  return y.view(shape);
}

}  // namespace

c10::ScalarType linear_compute_dtype(const at::Tensor& x) {
  const c10::ScalarType own = x.scalar_type();
  const c10::DeviceType type = x.device().type();
  const bool eligible = own == at::kFloat || own == at::kHalf || own == at::kBFloat16;
  return eligible && at::autocast::is_autocast_enabled(type) ? at::autocast::get_autocast_dtype(type) : own;
}

at::Tensor lora_linear(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias, const LoraUpdate& u) {
  GPTBENCH_CHECK(weight.defined() && weight.dim() == 2, "lora_linear: weight must be (out, in)");
  GPTBENCH_CHECK(!weight.requires_grad() && !(bias.defined() && bias.requires_grad()),
                 "lora_linear: the base weight and bias must be frozen (they get no gradient here)");
  return lora_node(x, at::Tensor(), weight, bias, u);
}

at::Tensor lora_add(const at::Tensor& base, const at::Tensor& x, const LoraUpdate& u) {
  GPTBENCH_CHECK(base.defined() && base.dim() >= 1, "lora_add: no base output given");
  return lora_node(x, base, at::Tensor(), at::Tensor(), u);
}

at::Tensor lora_update_reference(const at::Tensor& x, const LoraUpdate& u, int64_t out) {
  std::vector<at::Tensor> updates;  // (..., rows) per pair
  for (const LoraPairRef& p : u.pairs) {
    // Each pair draws its own dropout mask, as PEFT's one dropout module per adapted module does.
    const at::Tensor h = u.dropout > 0 ? at::dropout(x, u.dropout, /*train=*/true) : x;
    updates.push_back(at::matmul(at::matmul(h, p.a.t()), p.b.t()) * u.scaling);
  }
  if (updates.size() == 1 && u.pairs[0].b.size(0) == out) return updates[0];
  std::vector<at::Tensor> pieces;  // the updates with zeros for the rows no pair covers
  std::vector<int64_t> gap_shape(x.sizes().begin(), x.sizes().end());
  const auto options = updates.empty() ? x.options() : updates[0].options();
  auto gap = [&](int64_t rows) {
    gap_shape.back() = rows;
    pieces.push_back(at::zeros(gap_shape, options));
  };
  int64_t row = 0;
  for (size_t i = 0; i < u.pairs.size(); ++i) {
    if (u.pairs[i].row0 > row) gap(u.pairs[i].row0 - row);
    pieces.push_back(updates[i]);
    row = u.pairs[i].row0 + u.pairs[i].b.size(0);
  }
  if (row < out) gap(out - row);
  return at::cat(pieces, -1);
}

}  // namespace gptbench::model
