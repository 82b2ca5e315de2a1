// The torch side of the decode megakernel (gptbench/kernels/decode_megakernel.h): checks, the state's scratch,
// the launch parameters. Without GPTBENCH_HAVE_DECODE_MEGAKERNEL (no nvcc, or no 90a in the architectures) every
// entry point says the kernel is not compiled.
#include "gptbench/kernels/decode_megakernel.h"

#include <ATen/ops/empty.h>      // at::empty
#include <ATen/ops/from_blob.h>  // at::from_blob
#include <ATen/ops/zeros.h>      // at::zeros

#include <algorithm>  // std::min
#include <cmath>      // std::sqrt
#include <cstdlib>    // std::getenv
#include <cstring>    // std::strcmp
#include <string>     // std::string
#include <utility>    // std::move

#ifdef GPTBENCH_HAVE_DECODE_MEGAKERNEL
#include <ATen/cuda/CUDAContext.h>  // at::cuda::getCurrentCUDAStream, getDeviceProperties
#include <c10/cuda/CUDAGuard.h>     // c10::cuda::CUDAGuard

#include "decode_megakernel_launch.h"  // prepare_decode_megakernel, launch_decode_megakernel
#endif

#include <fmt/format.h>  // fmt::format

#include "decode_megakernel_params.h"  // MegakernelParams, layouts, constants
#include "gemv_operands.h"             // sizes_of, aligned16
#include "gptbench/util/check.h"       // GPTBENCH_CHECK
#include "gptbench/util/error.h"       // Error

namespace gptbench::kernels {
namespace {

namespace mk = megakernel;

// The ring stages that fit beside the rest of a CTA's shared memory (smem_optin: the device's per-block limit).
int ring_stages(int64_t batch, int64_t embd, int64_t mlp, int64_t smem_optin) {
  const int64_t fixed =
      megakernel_smem(static_cast<int>(batch), static_cast<int>(embd), static_cast<int>(mlp), 0).total;
  const int64_t stages = (smem_optin - fixed) / mk::kStageBytes;
  return static_cast<int>(std::min<int64_t>(stages, mk::kMaxStages));
}

// "" when `t` has `sizes`, the dtype and device of `like`, is contiguous and 16-byte aligned.
std::string tensor_problem(const char* name, const at::Tensor& t, at::IntArrayRef sizes, const at::Tensor& like) {
  if (!t.defined()) return fmt::format("{} is missing", name);
  if (t.sizes() != sizes) return fmt::format("{} is {}, expected {}", name, sizes_of(t.sizes()), sizes_of(sizes));
  if (t.scalar_type() != like.scalar_type() || t.device() != like.device())
    return fmt::format("{} is not {} on {} like wte", name, c10::toString(like.scalar_type()), like.device().str());
  if (!t.is_contiguous() || !aligned16(t)) return fmt::format("{} is not contiguous and 16-byte aligned", name);
  return "";
}

std::string shapes_problem(const MegakernelWeights& w) {
  if (!w.wte.defined() || w.wte.dim() != 2) return "wte is not a (V, C) tensor";
  if (w.layers.empty()) return "the model has no layers";
  const int64_t c = w.wte.size(1), v = w.wte.size(0);
  if (w.wpe.defined() && w.wpe.dim() != 2) return "wpe is not a (positions, C) tensor";
  const int64_t positions = w.wpe.defined() ? w.wpe.size(0) : 0;
  const int64_t mlp = w.layers[0].fc_weight.defined() ? w.layers[0].fc_weight.size(0) : 0;
  std::string why;
  auto check = [&](const std::string& name, const at::Tensor& t, at::IntArrayRef sizes) {
    if (why.empty()) why = tensor_problem(name.c_str(), t, sizes, w.wte);
  };
  check("wte", w.wte, {v, c});
  check("wpe", w.wpe, {positions, c});
  check("ln_f.weight", w.lnf_weight, {c});
  check("ln_f.bias", w.lnf_bias, {c});
  for (size_t l = 0; l < w.layers.size() && why.empty(); ++l) {
    const MegakernelLayerWeights& x = w.layers[l];
    const std::string h = fmt::format("h.{}.", l);
    check(h + "ln_1.weight", x.ln1_weight, {c});
    check(h + "ln_1.bias", x.ln1_bias, {c});
    check(h + "attn.c_attn.weight", x.qkv_weight, {3 * c, c});
    check(h + "attn.c_attn.bias", x.qkv_bias, {3 * c});
    check(h + "attn.c_proj.weight", x.out_weight, {c, c});
    check(h + "attn.c_proj.bias", x.out_bias, {c});
    check(h + "ln_2.weight", x.ln2_weight, {c});
    check(h + "ln_2.bias", x.ln2_bias, {c});
    check(h + "mlp.c_fc.weight", x.fc_weight, {mlp, c});
    check(h + "mlp.c_fc.bias", x.fc_bias, {mlp});
    check(h + "mlp.c_proj.weight", x.proj_weight, {c, mlp});
    check(h + "mlp.c_proj.bias", x.proj_bias, {c});
  }
  return why;
}

// The reasons that need no device: dtype, sizes, layouts.
std::string weights_problem(const MegakernelWeights& w, int64_t batch) {
  if (batch < 1 || batch > mk::kMaxRows) return fmt::format("batch {} is outside 1..{}", batch, mk::kMaxRows);
  std::string why = shapes_problem(w);
  if (!why.empty()) return why;
  if (w.wte.scalar_type() != at::kHalf && w.wte.scalar_type() != at::kBFloat16)
    return fmt::format("dtype {} (fp16 and bf16 only)", c10::toString(w.wte.scalar_type()));
  const int64_t c = w.wte.size(1), mlp = w.layers[0].fc_weight.size(0);
  if (w.n_head <= 0 || c % w.n_head != 0 || c / w.n_head != mk::kHeadDim)
    return fmt::format("head size {} / {} (only {})", c, w.n_head, mk::kHeadDim);
  if (c % mk::kChunk != 0 || mlp % mk::kChunk != 0)
    return fmt::format("widths C {} and mlp {} must be multiples of {}", c, mlp, mk::kChunk);
  if (4 * c > mk::kStageBytes)
    return fmt::format("width {} (a LayerNorm stage holds at most {})", c, mk::kStageBytes / 4);
  if (megakernel_gemv_shape(1, static_cast<int>(c)).k_stages == 0 ||
      megakernel_gemv_shape(1, static_cast<int>(mlp)).k_stages == 0)
    return fmt::format("no stage split of C {} or mlp {} into multiples of {} of at most {} columns", c, mlp,
                       mk::kChunk, mk::kMaxStageK);
  return "";
}

}  // namespace

bool decode_megakernel_compiled() {
#ifdef GPTBENCH_HAVE_DECODE_MEGAKERNEL
  return true;
#else
  return false;
#endif
}

std::string decode_megakernel_unsupported_reason(const MegakernelWeights& w, int64_t batch, c10::Device device) {
  if (!decode_megakernel_compiled()) return "this build has no sm_90a kernels (CMAKE_CUDA_ARCHITECTURES lacks 90a)";
  if (!device.is_cuda()) return "the model is not on a CUDA device";
  std::string why = weights_problem(w, batch);
  if (!why.empty()) return why;
  if (w.wte.device() != device) return "the weights are not on the given device";
#ifdef GPTBENCH_HAVE_DECODE_MEGAKERNEL
  const cudaDeviceProp* props = at::cuda::getDeviceProperties(device.index());
  if (props->major != 9 || props->minor != 0)
    return fmt::format("compute capability {}.{} (the sm_90a kernel runs on 9.0 only)", props->major, props->minor);
  const int64_t c = w.wte.size(1), mlp = w.layers[0].fc_weight.size(0);
  const int stages = ring_stages(batch, c, mlp, static_cast<int64_t>(props->sharedMemPerBlockOptin));
  if (stages < mk::kMinStages)
    return fmt::format("shared memory: {} rows of width {} / {} leave {} ring stages of {} (at least {})", batch, c,
                       mlp, stages, mk::kStageBytes, mk::kMinStages);
#endif
  return "";
}

struct DecodeMegakernel::State {
  MegakernelWeights weights;
  std::vector<at::Tensor> kv;
  at::Tensor layer_table;  // (L * sizeof(MegakernelLayer)) bytes
  at::Tensor words;        // (L, per_layer) 64-bit flagged words
  at::Tensor partial_out, partial_lse, tickets, best_value, best_index, control;
  at::Tensor diagnostics;  // (kDiagnosticsWords) int32, pinned host memory the kernel writes through its mapping
  MegakernelParams params;
  int64_t batch = 0, capacity = 0;
};

DecodeMegakernel::DecodeMegakernel(MegakernelWeights weights, std::vector<at::Tensor> kv, int grid_barriers)
    : state_(std::make_unique<State>()) {
  GPTBENCH_CHECK(!kv.empty(), "decode megakernel: no KV cache buffers");
  const int64_t batch = kv[0].dim() == 5 ? kv[0].size(1) : 0;
  const std::string why = decode_megakernel_unsupported_reason(
      weights, batch, weights.wte.defined() ? weights.wte.device() : c10::Device(c10::kCPU));
  GPTBENCH_CHECK(why.empty(), "decode megakernel: {}", why);
#ifndef GPTBENCH_HAVE_DECODE_MEGAKERNEL
  (void)grid_barriers;
#else
  State& s = *state_;
  const at::Tensor& wte = weights.wte;
  const int64_t layers = static_cast<int64_t>(weights.layers.size()), c = wte.size(1), v = wte.size(0);
  const int64_t heads = weights.n_head, mlp = weights.layers[0].fc_weight.size(0);
  GPTBENCH_CHECK(static_cast<int64_t>(kv.size()) == layers, "decode megakernel: {} KV buffers for {} layers", kv.size(),
                 layers);
  const int64_t capacity = kv[0].size(3);
  for (size_t l = 0; l < kv.size(); ++l) {
    const at::Tensor& t = kv[l];
    GPTBENCH_CHECK(t.dim() == 5 && t.size(0) == 2 && t.size(1) == batch && t.size(2) == heads &&
                       t.size(3) == capacity && t.size(4) == mk::kHeadDim,
                   "decode megakernel: layer {}'s KV buffer is {}, expected (2, {}, {}, {}, {})", l,
                   sizes_of(t.sizes()), batch, heads, capacity, mk::kHeadDim);
    GPTBENCH_CHECK(
        t.stride(4) == 1 && t.stride(3) == mk::kHeadDim && t.strides() == kv[0].strides() &&
            t.scalar_type() == wte.scalar_type() && t.device() == wte.device() && aligned16(t),
        "decode megakernel: layer {}'s KV buffer must be dense rows of {} in {} on {}, laid out as layer 0's", l,
        mk::kHeadDim, c10::toString(wte.scalar_type()), wte.device().str());
  }
  const c10::cuda::CUDAGuard guard(wte.device());
  const cudaDeviceProp* props = at::cuda::getDeviceProperties(wte.device().index());

  MegakernelParams& p = s.params;
  p.dtype = wte.scalar_type() == at::kHalf ? ElementType::kFp16 : ElementType::kBf16;
  p.layers = static_cast<int>(layers);
  p.rows = static_cast<int>(batch);
  p.embd = static_cast<int>(c);
  p.heads = static_cast<int>(heads);
  p.mlp = static_cast<int>(mlp);
  p.vocab = static_cast<int>(v);
  p.positions = static_cast<int>(weights.wpe.size(0));
  p.ln_eps = static_cast<float>(weights.ln_eps);
  p.attn_scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(mk::kHeadDim)));
  p.gelu_tanh = weights.gelu_tanh;
  p.wte = wte.data_ptr();
  p.wpe = weights.wpe.data_ptr();
  p.lnf_w = weights.lnf_weight.data_ptr();
  p.lnf_b = weights.lnf_bias.data_ptr();
  p.capacity = static_cast<int>(capacity);
  for (int i = 0; i < 3; ++i) p.kv_strides[i] = kv[0].stride(i);

  std::vector<MegakernelLayer> table(static_cast<size_t>(layers));
  for (int64_t l = 0; l < layers; ++l) {
    const MegakernelLayerWeights& x = weights.layers[static_cast<size_t>(l)];
    MegakernelLayer& t = table[static_cast<size_t>(l)];
    t = {x.ln1_weight.data_ptr(),
         x.ln1_bias.data_ptr(),
         x.qkv_weight.data_ptr(),
         x.qkv_bias.data_ptr(),
         x.out_weight.data_ptr(),
         x.out_bias.data_ptr(),
         x.ln2_weight.data_ptr(),
         x.ln2_bias.data_ptr(),
         x.fc_weight.data_ptr(),
         x.fc_bias.data_ptr(),
         x.proj_weight.data_ptr(),
         x.proj_bias.data_ptr(),
         kv[static_cast<size_t>(l)].data_ptr()};
  }
  const int64_t table_bytes = layers * static_cast<int64_t>(sizeof(MegakernelLayer));
  s.layer_table = at::from_blob(table.data(), {table_bytes}, at::TensorOptions().dtype(at::kByte)).to(wte.device());
  p.layer = static_cast<const MegakernelLayer*>(s.layer_table.data_ptr());

  p.grid = props->multiProcessorCount;
  p.stages = ring_stages(batch, c, mlp, static_cast<int64_t>(props->sharedMemPerBlockOptin));
  p.max_splits = static_cast<int>((p.grid + batch * heads - 1) / (batch * heads));
  p.gemv[static_cast<int>(MegakernelGemv::kQkv)] = megakernel_gemv_shape(static_cast<int>(3 * c), static_cast<int>(c));
  p.gemv[static_cast<int>(MegakernelGemv::kOut)] = megakernel_gemv_shape(static_cast<int>(c), static_cast<int>(c));
  p.gemv[static_cast<int>(MegakernelGemv::kFc)] = megakernel_gemv_shape(static_cast<int>(mlp), static_cast<int>(c));
  p.gemv[static_cast<int>(MegakernelGemv::kProj)] = megakernel_gemv_shape(static_cast<int>(c), static_cast<int>(mlp));
  p.gemv[static_cast<int>(MegakernelGemv::kHead)] = megakernel_gemv_shape(static_cast<int>(v), static_cast<int>(c));
  p.smem = megakernel_smem(p.rows, p.embd, p.mlp, p.stages);
  if (grid_barriers < 0) {
    const char* env = std::getenv("GPTBENCH_MEGAKERNEL_SYNC");
    grid_barriers = env != nullptr && std::strcmp(env, "barrier") == 0 ? 1 : 0;
  }
  p.grid_barriers = grid_barriers != 0;

  const auto on_device = at::TensorOptions().device(wte.device());
  const MegakernelWords wl = megakernel_words(batch, c, mlp);
  s.words = at::zeros({layers * wl.per_layer}, on_device.dtype(at::kLong));
  const int64_t splits = layers * batch * heads * p.max_splits;
  s.partial_out = at::empty({splits * mk::kHeadDim}, on_device.dtype(at::kFloat));
  s.partial_lse = at::empty({splits}, on_device.dtype(at::kFloat));
  s.tickets = at::zeros({layers * batch * heads}, on_device.dtype(at::kInt));
  s.best_value = at::empty({p.grid * batch}, on_device.dtype(at::kFloat));
  s.best_index = at::empty({p.grid * batch}, on_device.dtype(at::kInt));
  s.control = at::zeros({mk::kControlWords}, on_device.dtype(at::kInt));
  p.words = static_cast<uint64_t*>(s.words.data_ptr());
  p.partial_out = s.partial_out.data_ptr<float>();
  p.partial_lse = s.partial_lse.data_ptr<float>();
  p.tickets = static_cast<uint32_t*>(s.tickets.data_ptr());
  p.best_value = s.best_value.data_ptr<float>();
  p.best_index = s.best_index.data_ptr<int32_t>();
  p.control = static_cast<uint32_t*>(s.control.data_ptr());
  s.diagnostics = at::zeros({mk::kDiagnosticsWords}, at::TensorOptions().dtype(at::kInt).pinned_memory(true));
  void* mapped = nullptr;
  if (cudaHostGetDevicePointer(&mapped, s.diagnostics.data_ptr(), 0) == cudaSuccess) {
    p.diagnostics = static_cast<uint32_t*>(mapped);
  } else {
    (void)cudaGetLastError();  // no mapping: timeouts still print and trap, without the record
  }

  int ctas_per_sm = 0;
  const cudaError_t err = prepare_decode_megakernel(p, &ctas_per_sm);
  GPTBENCH_CHECK(err == cudaSuccess && ctas_per_sm >= 1,
                 "decode megakernel: {} bytes of shared memory per CTA do not fit ({}; {} CTAs per SM)", p.smem.total,
                 cudaGetErrorString(err), ctas_per_sm);
  s.weights = std::move(weights);
  s.kv = std::move(kv);
  s.batch = batch;
  s.capacity = capacity;
#endif
}

DecodeMegakernel::~DecodeMegakernel() = default;

void DecodeMegakernel::step(const at::Tensor& ids, const at::Tensor& pos, const at::Tensor& key_start,
                            const MegakernelStepOutputs& outputs) {
#ifndef GPTBENCH_HAVE_DECODE_MEGAKERNEL
  (void)ids, (void)pos, (void)key_start, (void)outputs;
  throw Error("decode megakernel: this build has no sm_90a kernels");
#else
  const State& s = *state_;
  MegakernelParams p = s.params;
  const at::Tensor& wte = s.weights.wte;
  const c10::Device device = wte.device();
  auto on_device = [&](const at::Tensor& t, at::ScalarType dtype, at::IntArrayRef sizes) {
    return t.defined() && t.device() == device && t.scalar_type() == dtype && t.sizes() == sizes && t.is_contiguous();
  };
  GPTBENCH_CHECK(on_device(ids, at::kLong, {s.batch}), "decode megakernel: ids must be ({}) int64 on {}", s.batch,
                 device.str());
  GPTBENCH_CHECK(on_device(pos, at::kLong, {1}), "decode megakernel: pos must be (1) int64 on {}", device.str());
  GPTBENCH_CHECK(!key_start.defined() || on_device(key_start, at::kInt, {s.batch}),
                 "decode megakernel: key_start must be ({}) int32 on {}", s.batch, device.str());
  p.ids = ids.data_ptr<int64_t>();
  p.pos = pos.data_ptr<int64_t>();
  p.key_start = key_start.defined() ? key_start.data_ptr<int32_t>() : nullptr;
  if (outputs.logits.defined()) {
    GPTBENCH_CHECK(on_device(outputs.logits, wte.scalar_type(), {s.batch, wte.size(0)}),
                   "decode megakernel: logits must be ({}, {}) {} on {}", s.batch, wte.size(0),
                   c10::toString(wte.scalar_type()), device.str());
    p.logits = outputs.logits.data_ptr();
  }
  if (outputs.trace.defined()) {
    const int64_t width = megakernel_trace(p.embd, p.mlp).width;
    GPTBENCH_CHECK(on_device(outputs.trace, wte.scalar_type(), {p.layers, s.batch, width}),
                   "decode megakernel: trace must be ({}, {}, {}) {} on {}", p.layers, s.batch, width,
                   c10::toString(wte.scalar_type()), device.str());
    p.trace = outputs.trace.data_ptr();
  }
  if (outputs.logit_bias.defined() && outputs.logit_bias_token >= 0 && outputs.logit_bias_token < wte.size(0)) {
    GPTBENCH_CHECK(on_device(outputs.logit_bias, at::kFloat, {1}),
                   "decode megakernel: logit_bias must be (1) fp32 on {}", device.str());
    p.logit_bias = outputs.logit_bias.data_ptr<float>();
    p.logit_bias_token = static_cast<int>(outputs.logit_bias_token);
  }
  const c10::cuda::CUDAGuard guard(device);
  const cudaError_t err = launch_decode_megakernel(p, at::cuda::getCurrentCUDAStream());
  GPTBENCH_CHECK(err == cudaSuccess, "decode megakernel: launch failed: {}", cudaGetErrorString(err));
#endif
}

int64_t DecodeMegakernel::batch() const { return state_->batch; }
int64_t DecodeMegakernel::capacity() const { return state_->capacity; }
bool DecodeMegakernel::grid_barriers() const { return state_->params.grid_barriers; }
int64_t DecodeMegakernel::grid() const { return state_->params.grid; }
int64_t DecodeMegakernel::stages() const { return state_->params.stages; }

int64_t DecodeMegakernel::step_bytes(int64_t pos) const {
  const State& s = *state_;
  const MegakernelWeights& w = s.weights;
  auto bytes = [](const at::Tensor& t) { return t.defined() ? t.numel() * static_cast<int64_t>(t.element_size()) : 0; };
  int64_t total = bytes(w.wte) + bytes(w.lnf_weight) + bytes(w.lnf_bias);  // the lm_head reads wte once
  for (const MegakernelLayerWeights& x : w.layers) {
    for (const at::Tensor* t : {&x.ln1_weight, &x.ln1_bias, &x.qkv_weight, &x.qkv_bias, &x.out_weight, &x.out_bias,
                                &x.ln2_weight, &x.ln2_bias, &x.fc_weight, &x.fc_bias, &x.proj_weight, &x.proj_bias}) {
      total += bytes(*t);
    }
  }
  const int64_t element = w.wte.defined() ? w.wte.element_size() : 2;
  const int64_t embd = w.wte.defined() ? w.wte.size(1) : 0;
  // keys and values [0, pos] of every layer and row (the step's own written and read back), the embedding rows
  total +=
      static_cast<int64_t>(w.layers.size()) * 2 * s.batch * embd * (pos + 1) * element + 2 * s.batch * embd * element;
  return total;
}

std::string DecodeMegakernel::name() const {
  const State& s = *state_;
  return std::string(s.params.dtype == ElementType::kFp16 ? "megakernel_fp16" : "megakernel_bf16") +
         (s.params.grid_barriers ? "+barrier" : "");
}

std::string DecodeMegakernel::failure() const {
  const at::Tensor& d = state_->diagnostics;
  if (!d.defined()) return "";
  const volatile int32_t* r = d.data_ptr<int32_t>();
  if (r[0] == 0) return "";
  return fmt::format("CTA {} thread {} gave up waiting for {} (layer {}, phase {}, index {}): seen {}, want {}", r[7],
                     r[8], mk::wait_name(r[1]), r[2], mk::phase_name(r[3]), r[4], static_cast<uint32_t>(r[5]),
                     static_cast<uint32_t>(r[6]));
}

int DecodeMegakernel::error() const {
  if (!state_->control.defined()) return 0;
  return state_->control[megakernel::kControlError].item<int>();
}

}  // namespace gptbench::kernels
