// The persistent decode megakernel (gptbench/kernels/decode_megakernel.h) against the CUDA-graph decode path's
// kernels (the model's forward at a device position: the fused GEMV with its KV store, flash decode) and an fp64
// reference of the same rounded weights, step by step with the same tokens (teacher forcing):
//  - per layer the new key and value in the cache, the residual after attention and after the MLP, then the
//    logits: the megakernel's error against fp64 is at most 2x the graph path's own error plus a quarter ulp of
//    the largest reference value (the rule of fused_linear_gpu_test); on failure the first layer, phase, row and
//    column over the bound are printed with the three values;
//  - the kernel's argmax equals torch.argmax of the logits it wrote, and the graph path's token unless the two
//    are within that logit bound of each other (a near tie, printed);
//  - cache slots the kernel must not read hold NaN (unwritten positions, left padding), slots before the prompt's
//    end are never written;
//  - then the kernel runs free (ids and position fed back on the device) and gives DecodeGraph's greedy tokens;
//  - the grid-barrier A/B mode gives bit-identical results; a wrong position fails the comparison.
// Shapes: a small GPT-2 (3 layers, C 256, 4 heads, vocabulary 1000) and the real gpt2 widths with 2 layers; fp16
// and bf16; B 1, 3 (left padded), 8. Skips, saying so, only without a CUDA device.
#include <ATen/ops/argmax.h>         // at::argmax
#include <ATen/ops/full.h>           // at::full
#include <ATen/ops/zeros.h>          // at::zeros
#include <c10/core/InferenceMode.h>  // c10::InferenceMode
#include <gtest/gtest.h>             // TEST, EXPECT_*, GTEST_SKIP
#include <torch/cuda.h>              // torch::cuda::is_available

#include <algorithm>  // std::find, std::max
#include <cmath>      // std::ldexp, std::isnan
#include <cstdio>     // std::printf
#include <limits>     // std::numeric_limits
#include <memory>     // std::make_unique
#include <string>     // std::string
#include <vector>     // std::vector

#include "gptbench/attention/variant.h"          // parse_variant
#include "gptbench/kernels/decode_megakernel.h"  // DecodeMegakernel, MegakernelStepOutputs
#include "gptbench/model/checkpoint.h"           // copy_parameters
#include "gptbench/model/decode_graph.h"         // DecodeGraph
#include "gptbench/model/generator.h"            // left_pad, kPadId
#include "gptbench/model/gpt2_megakernel.h"      // megakernel_weights, megakernel_unsupported_reason
#include "gptbench/model/gpt2_model.h"           // Gpt2Model, BlockImpl
#include "gptbench/model/kv_cache.h"             // DenseKvCache
#include "gptbench/model/model_family.h"         // find_family
#include "tiny_model_fixture.h"                  // random_prompts

using namespace gptbench;

namespace {

struct Case {
  std::string name;
  model::Gpt2Config config;
  at::ScalarType dtype = at::kHalf;
  std::vector<int> prompt_lengths;  // one per row; unequal lengths are left padded
  int64_t steps = 12;
};

model::Gpt2Config small_config() {
  model::Gpt2Config c;
  c.n_layer = 3;
  c.n_head = 4;
  c.n_embd = 256;
  c.n_positions = 512;
  c.vocab_size = 1000;
  c.eos_token_id = -1;
  return c;
}

model::Gpt2Config gpt2_widths() {
  model::Gpt2Config c;  // gpt2's widths: C 768, 12 heads, vocabulary 50257, 1024 positions
  c.n_layer = 2;
  c.eos_token_id = -1;
  return c;
}

std::string describe(const Case& c) {
  return c.name + " " + c10::toString(c.dtype) + " B" + std::to_string(c.prompt_lengths.size());
}

// The model under test (flash, on the GPU in the case's dtype) and its fp64 twin (standard attention) with the
// same rounded weights.
struct Models {
  model::Gpt2Model m{nullptr}, ref{nullptr};
};

Models make_models(const Case& c) {
  torch::manual_seed(11);
  model::Gpt2Model base(c.config, attention::parse_variant("standard", {}));
  model::find_family(base->shape().family, "test").init_weights(*base, 11);
  {
    // As decode_graph_gpu_test: a negated final LayerNorm gain keeps random weights from repeating the last
    // prompt token forever, so the greedy text visits the vocabulary.
    c10::NoGradGuard no_grad;
    base->named_parameters()["ln_f.weight"].neg_();
  }
  Models out;
  out.m = model::Gpt2Model(c.config, attention::parse_variant("flash", {}));
  model::copy_parameters(*base, *out.m);
  out.m->to(c10::Device(c10::kCUDA, 0), c.dtype);
  out.m->eval();
  out.ref = model::Gpt2Model(c.config, attention::parse_variant("standard", {}));
  model::copy_parameters(*out.m, *out.ref);  // the rounded weights
  out.ref->to(c10::Device(c10::kCUDA, 0), at::kDouble);
  out.ref->eval();
  return out;
}

// What one decode step produced, as (rows, columns) fp64 on the CPU.
struct StepValues {
  std::vector<at::Tensor> k, v;               // per layer: the new key/value (B, C) at the step's position
  std::vector<at::Tensor> attn_res, mlp_res;  // per layer (B, C)
  at::Tensor logits;                          // (B, V)
};

at::Tensor as_rows(const at::Tensor& t, int64_t b) { return t.reshape({b, -1}).to(at::kCPU, at::kDouble); }

// The new key and value of every layer at `pos` from (2, B, H, capacity, D) buffers.
void read_kv(const std::vector<at::Tensor>& kv, int64_t pos, StepValues& out) {
  for (const at::Tensor& t : kv) {
    const int64_t b = t.size(1);
    out.k.push_back(as_rows(t[0].select(2, pos), b));
    out.v.push_back(as_rows(t[1].select(2, pos), b));
  }
}

// The residual stream layer by layer, as Gpt2ModelImpl::forward computes it (the same module calls; they
// rewrite the step's cache slot with the values the whole forward wrote).
void residuals(model::Gpt2Model& m, const at::Tensor& ids, const attention::AttentionPositions& positions,
               const at::Tensor& wpe_rows, model::KvCache& cache, StepValues& out) {
  const int64_t b = ids.size(0);
  at::Tensor x = m->wte->forward(ids) + m->wpe->forward(wpe_rows);
  for (int64_t l = 0; l < m->config().n_layer; ++l) {
    auto* block = m->h[l]->as<model::BlockImpl>();
    x = block->attn->forward(x, block->ln_1, positions, &cache, l, at::Tensor());
    out.attn_res.push_back(as_rows(x, b));
    x = block->mlp->forward(x, block->ln_2);
    out.mlp_res.push_back(as_rows(x, b));
  }
}

// The graph decode path's step (eagerly: the same kernels the captured graph replays) at device position pos.
StepValues graph_path_step(model::Gpt2Model& m, model::DenseKvCache& cache, const at::Tensor& tokens, int64_t pos,
                           const at::Tensor& key_start) {
  const int64_t b = tokens.size(0), layers = m->config().n_layer;
  const at::Tensor q_pos = at::full({1}, pos, tokens.options());
  attention::AttentionPositions positions{key_start, 0, {}, /*left_padded=*/true, q_pos};
  StepValues out;
  out.logits = as_rows(m->forward(tokens.view({b, 1}), positions, &cache, model::LogitsMode::kLastPosition), b);
  const at::Tensor wpe_rows = (q_pos.unsqueeze(0) - key_start.unsqueeze(1)).clamp_min(0);
  residuals(m, tokens.view({b, 1}), positions, wpe_rows, cache, out);
  std::vector<at::Tensor> kv;
  for (int64_t l = 0; l < layers; ++l) kv.push_back(cache.device_position_buffer(l));
  read_kv(kv, pos, out);
  return out;
}

// The fp64 reference's step at host position pos.
StepValues reference_step(model::Gpt2Model& ref, model::DenseKvCache& cache, const at::Tensor& tokens, int64_t pos,
                          const at::Tensor& key_start) {
  const int64_t b = tokens.size(0), layers = ref->config().n_layer;
  attention::AttentionPositions positions{key_start, pos, {}, /*left_padded=*/true};
  StepValues out;
  out.logits = as_rows(ref->forward(tokens.view({b, 1}), positions, &cache, model::LogitsMode::kLastPosition), b);
  const at::Tensor wpe_rows = (at::full({1, 1}, pos, tokens.options()) - key_start.unsqueeze(1)).clamp_min(0);
  residuals(ref, tokens.view({b, 1}), positions, wpe_rows, cache, out);
  std::vector<at::Tensor> kv;
  for (int64_t l = 0; l < layers; ++l) kv.push_back(cache.device_position_buffer(l));
  read_kv(kv, pos, out);
  return out;
}

// The megakernel's step from its trace, logits and cache.
StepValues megakernel_values(const at::Tensor& trace, const at::Tensor& logits, const std::vector<at::Tensor>& kv,
                             int64_t pos, int64_t embd, int64_t mlp) {
  const int64_t b = logits.size(0);
  StepValues out;
  out.logits = as_rows(logits, b);
  for (int64_t l = 0; l < trace.size(0); ++l) {
    out.attn_res.push_back(as_rows(trace[l].narrow(1, 2 * embd, embd), b));
    out.mlp_res.push_back(as_rows(trace[l].narrow(1, 3 * embd + mlp, embd), b));
  }
  read_kv(kv, pos, out);
  return out;
}

// The error rule on one (rows, columns) quantity.
struct Verdict {
  bool pass = true;
  double err_mega = 0, err_graph = 0, bound = 0;
  int64_t row = -1, col = -1;  // the first element over the bound (row-major), when failing
  double mega = 0, graph = 0, ref = 0;
};

Verdict judge(const at::Tensor& mega, const at::Tensor& graph, const at::Tensor& ref, at::ScalarType dtype) {
  Verdict v;
  const at::Tensor dm = (mega - ref).abs(), dg = (graph - ref).abs();
  v.err_mega = dm.max().item<double>();
  v.err_graph = dg.max().item<double>();
  const double floor = std::ldexp(ref.abs().max().item<double>(), dtype == at::kHalf ? -12 : -9);
  v.bound = 2 * v.err_graph + floor;
  v.pass = v.err_mega <= v.bound;  // false for NaN
  if (!v.pass) {
    const at::Tensor over = (dm > v.bound) | dm.isnan();
    const int64_t at = over.flatten().to(at::kByte).argmax().item<int64_t>();
    v.row = at / mega.size(1);
    v.col = at % mega.size(1);
    v.mega = mega[v.row][v.col].item<double>();
    v.graph = graph[v.row][v.col].item<double>();
    v.ref = ref[v.row][v.col].item<double>();
  }
  return v;
}

// Every quantity of a step in the order the kernel computes them; the first failure, described ("" if none).
// *logit_bound receives the logits' bound (for the near-tie rule).
std::string first_failure(const StepValues& mega, const StepValues& graph, const StepValues& ref, at::ScalarType dtype,
                          double* logit_bound) {
  auto report = [](const std::string& what, const Verdict& v) {
    char text[400];
    std::snprintf(text, sizeof(text),
                  "%s: megakernel error %.3g > bound %.3g (graph path error %.3g); first over the bound at row %lld "
                  "column %lld: megakernel %.6g, graph path %.6g, fp64 %.6g",
                  what.c_str(), v.err_mega, v.bound, v.err_graph, static_cast<long long>(v.row),
                  static_cast<long long>(v.col), v.mega, v.graph, v.ref);
    return std::string(text);
  };
  for (size_t l = 0; l < ref.k.size(); ++l) {
    const std::string layer = "layer " + std::to_string(l) + " ";
    const Verdict k = judge(mega.k[l], graph.k[l], ref.k[l], dtype);
    if (!k.pass) return report(layer + "qkv (new key in the cache)", k);
    const Verdict v = judge(mega.v[l], graph.v[l], ref.v[l], dtype);
    if (!v.pass) return report(layer + "qkv (new value in the cache)", v);
    const Verdict a = judge(mega.attn_res[l], graph.attn_res[l], ref.attn_res[l], dtype);
    if (!a.pass) return report(layer + "attention + out-projection (residual after attention)", a);
    const Verdict m = judge(mega.mlp_res[l], graph.mlp_res[l], ref.mlp_res[l], dtype);
    if (!m.pass) return report(layer + "MLP (residual after the MLP)", m);
  }
  const Verdict lg = judge(mega.logits, graph.logits, ref.logits, dtype);
  *logit_bound = lg.bound;
  if (!lg.pass) return report("lm_head (logits)", lg);
  return "";
}

// One case's state: the two models, a prefilled graph-path cache and fp64 cache, the megakernel with its own copy
// of the prefilled cache (slots it must not read poisoned with NaN).
struct CaseRun {
  Case c;
  Models models;
  model::PaddedBatch batch;
  at::Tensor key_start32;
  int64_t capacity = 0, prompt = 0;
  std::unique_ptr<model::DenseKvCache> cache, cache64;
  std::vector<at::Tensor> mega_kv;
  std::unique_ptr<kernels::DecodeMegakernel> mega;
  at::Tensor first;  // (B) the prefill's greedy token
};

std::unique_ptr<CaseRun> start(const Case& c, bool poison, int grid_barriers = 0) {
  auto run = std::make_unique<CaseRun>();
  run->c = c;
  run->models = make_models(c);
  model::Gpt2Model& m = run->models.m;
  const c10::Device cuda(c10::kCUDA, 0);
  run->batch = model::left_pad(gptbench::testing::random_prompts(c.prompt_lengths, 5), model::kPadId, cuda);
  run->prompt = run->batch.length;
  run->capacity = (run->prompt + c.steps + 1 + 63) / 64 * 64;
  const int64_t b = run->batch.ids.size(0);
  run->key_start32 = run->batch.key_start.to(at::kInt);
  attention::AttentionPositions positions{run->batch.key_start, 0, {}, /*left_padded=*/true};
  run->cache = std::make_unique<model::DenseKvCache>(m->cache_shape(b), run->capacity);
  const at::Tensor logits = m->forward(run->batch.ids, positions, run->cache.get(), model::LogitsMode::kLastPosition);
  run->first = at::argmax(logits.select(1, 0), -1);
  run->cache64 = std::make_unique<model::DenseKvCache>(run->models.ref->cache_shape(b), run->capacity);
  run->models.ref->forward(run->batch.ids, positions, run->cache64.get(), model::LogitsMode::kLastPosition);
  const std::vector<int64_t> starts(run->batch.key_start.to(at::kCPU).data_ptr<int64_t>(),
                                    run->batch.key_start.to(at::kCPU).data_ptr<int64_t>() + b);
  for (int64_t l = 0; l < m->config().n_layer; ++l) {
    at::Tensor kv = run->cache->device_position_buffer(l).clone();  // (2, B, H, capacity, D)
    const double fill = poison ? std::numeric_limits<double>::quiet_NaN() : 0.0;
    kv.narrow(3, run->prompt, run->capacity - run->prompt).fill_(fill);
    if (poison) {
      for (int64_t r = 0; r < b; ++r) kv.select(1, r).narrow(2, 0, starts[r]).fill_(fill);  // left padding
    }
    run->mega_kv.push_back(kv);
  }
  // The kernel must run wherever this test runs (the lead's H200, a 90a build): a refusal is a failure.
  const std::string why = model::megakernel_unsupported_reason(*m, b);
  if (!why.empty()) {
    ADD_FAILURE() << describe(c) << ": the decode megakernel cannot run here: " << why;
    return nullptr;
  }
  run->mega = std::make_unique<kernels::DecodeMegakernel>(model::megakernel_weights(*m), run->mega_kv, grid_barriers);
  return run;
}

struct Outcome {
  std::vector<int64_t> tokens;     // B per step: the tokens fed (the graph path's greedy choices)
  std::vector<at::Tensor> logits;  // the megakernel's logits per step
  std::vector<int64_t> near_ties;  // step * B + row where the megakernel chose another token within the bound
  std::string failure;             // "" when every step met the rule
};

// Teacher-forced steps: every path gets the graph path's greedy tokens.
Outcome teacher_forced(CaseRun& run, int64_t pos_offset = 0) {
  const Case& c = run.c;
  model::Gpt2Model& m = run.models.m;
  const int64_t b = run.batch.ids.size(0), embd = m->config().n_embd, mlp = m->config().mlp_width();
  const auto cuda = run.first.options();
  const at::Tensor ids = at::zeros({b}, cuda), pos_t = at::zeros({1}, cuda);
  const at::Tensor trace = at::zeros({m->config().n_layer, b, 4 * embd + mlp}, m->wte->weight.options());
  Outcome out;
  at::Tensor tokens = run.first.clone();
  for (int64_t s = 0; s < c.steps; ++s) {
    const int64_t pos = run.prompt + s;
    const StepValues graph = graph_path_step(m, *run.cache, tokens, pos, run.batch.key_start);
    const StepValues ref = reference_step(run.models.ref, *run.cache64, tokens, pos, run.batch.key_start);
    ids.copy_(tokens);
    pos_t.fill_(pos + pos_offset);
    kernels::MegakernelStepOutputs outputs;
    outputs.logits = at::empty({b, m->config().vocab_size}, m->wte->weight.options());
    outputs.trace = trace;
    run.mega->step(ids, pos_t, run.key_start32, outputs);
    const StepValues mega = megakernel_values(trace, outputs.logits, run.mega_kv, pos, embd, mlp);
    out.logits.push_back(outputs.logits.clone());
    double logit_bound = 0;
    const std::string why = first_failure(mega, graph, ref, c.dtype, &logit_bound);
    if (!why.empty()) {
      out.failure = describe(c) + ", step " + std::to_string(s) + " (position " + std::to_string(pos) + "): " + why;
      return out;
    }
    EXPECT_EQ(pos_t.item<int64_t>(), pos + pos_offset + 1) << describe(c) << ": the kernel advances the position";
    const at::Tensor graph_tokens = graph.logits.argmax(1);  // the graph path's greedy choice (CPU)
    const at::Tensor mega_tokens = ids.to(at::kCPU);
    EXPECT_TRUE(mega_tokens.equal(outputs.logits.argmax(1).to(at::kCPU)))
        << describe(c) << ", step " << s << ": the fused argmax is not torch.argmax of the logits the kernel wrote";
    for (int64_t r = 0; r < b; ++r) {
      const int64_t g = graph_tokens[r].item<int64_t>(), k = mega_tokens[r].item<int64_t>();
      if (g == k) continue;
      const double gap = graph.logits[r][g].item<double>() - graph.logits[r][k].item<double>();
      std::printf(
          "[ near tie ] %s, step %lld, row %lld: graph path %lld, megakernel %lld, graph logits %.6g apart "
          "(bound %.3g)\n",
          describe(c).c_str(), static_cast<long long>(s), static_cast<long long>(r), static_cast<long long>(g),
          static_cast<long long>(k), gap, logit_bound);
      if (gap > logit_bound) {
        out.failure = describe(c) + ", step " + std::to_string(s) + ", row " + std::to_string(r) +
                      ": the megakernel chose " + std::to_string(k) + ", the graph path " + std::to_string(g) +
                      ", their graph-path logits " + std::to_string(gap) + " apart (more than the bound)";
        return out;
      }
      out.near_ties.push_back(s * b + r);
    }
    for (int64_t r = 0; r < b; ++r) out.tokens.push_back(graph_tokens[r].item<int64_t>());
    tokens = graph_tokens.to(cuda);
  }
  return out;
}

// Runs a case's body; an exception (a CUDA error: a kernel that gave up waiting traps and loses the context) fails
// the test with the kernel's own record of what it waited for. False then: the caller stops, the context is gone.
template <typename Body>
bool guarded(const std::unique_ptr<CaseRun>& run, const std::string& what, Body&& body) {
  try {
    body();
    return true;
  } catch (const std::exception& e) {
    const std::string record = run && run->mega ? run->mega->failure() : "";
    ADD_FAILURE() << what << ": " << e.what() << (record.empty() ? "" : "\nthe kernel's record: " + record);
    return false;
  }
}

#define SKIP_WITHOUT_CUDA() \
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device: the decode megakernel is not tested here"

std::vector<Case> cases() {
  std::vector<Case> all;
  for (const at::ScalarType dtype : {at::kHalf, at::kBFloat16}) {
    all.push_back({"small", small_config(), dtype, {32}, 16});
    all.push_back({"small", small_config(), dtype, {32, 20, 27}, 16});
    all.push_back({"small", small_config(), dtype, {32, 32, 32, 32, 32, 32, 32, 32}, 16});
    all.push_back({"gpt2-widths", gpt2_widths(), dtype, {32}, 12});
    all.push_back({"gpt2-widths", gpt2_widths(), dtype, {40, 33, 21}, 12});
    // 200 keys over 2 splits per (row, head): items of several ring stages
    all.push_back({"gpt2-widths", gpt2_widths(), dtype, {200, 200, 200, 200, 200, 200, 200, 200}, 8});
  }
  return all;
}

}  // namespace

TEST(DecodeMegakernelGpu, MatchesTheGraphDecodePathStepByStep) {
  SKIP_WITHOUT_CUDA();
  c10::InferenceMode inference;
  for (const Case& c : cases()) {
    std::unique_ptr<CaseRun> run;
    const bool ran = guarded(run, describe(c), [&] {
      run = start(c, /*poison=*/true);
      ASSERT_NE(run, nullptr);
      const Outcome out = teacher_forced(*run);
      EXPECT_EQ(out.failure, "");
      // A near tie flips a token only where two logits are within an ulp or so: rare, but not impossible with
      // random weights, whose top logits are close. A broken argmax fails the bound above instead.
      const int64_t row_steps = c.steps * static_cast<int64_t>(c.prompt_lengths.size());
      EXPECT_LE(static_cast<int64_t>(out.near_ties.size()), std::max<int64_t>(1, row_steps / 10)) << describe(c);
      EXPECT_EQ(run->mega->error(), 0) << describe(c);
      // The kernel never wrote before the prompt's end, nor past its last step.
      const int64_t last = run->prompt + c.steps;
      for (int64_t l = 0; l < run->models.m->config().n_layer; ++l) {
        const at::Tensor& kv = run->mega_kv[static_cast<size_t>(l)];
        EXPECT_TRUE(kv.narrow(3, last, run->capacity - last).isnan().all().item<bool>())
            << describe(c) << ", layer " << l << ": slots after the last step were written";
        const at::Tensor before = run->cache->device_position_buffer(l).narrow(3, 0, run->prompt);
        const at::Tensor mine = kv.narrow(3, 0, run->prompt);
        EXPECT_TRUE((mine == before).logical_or(mine.isnan()).all().item<bool>())
            << describe(c) << ", layer " << l << ": prompt slots changed";
      }
      std::printf("[ megakernel ] %s: %lld steps within the rule, %zu near ties, %s, %lld CTAs x %lld stages\n",
                  describe(c).c_str(), static_cast<long long>(c.steps), out.near_ties.size(), run->mega->name().c_str(),
                  static_cast<long long>(run->mega->grid()), static_cast<long long>(run->mega->stages()));
    });
    if (!ran) return;
  }
}

// Free running: the kernel's own argmax and position feed its next launch, with no host write between steps, and
// give the greedy tokens of DecodeGraph (the captured graph decode) from the same prompt.
TEST(DecodeMegakernelGpu, FreeRunningGivesTheGraphDecodeTokens) {
  SKIP_WITHOUT_CUDA();
  c10::InferenceMode inference;
  for (const Case& c : cases()) {
    std::unique_ptr<CaseRun> run;
    const bool ran = guarded(run, describe(c), [&] {
      run = start(c, /*poison=*/true);
      ASSERT_NE(run, nullptr);
      const int64_t b = run->batch.ids.size(0);
      model::GraphCaptureStats stats;
      model::DecodeGraph graph(*run->models.m, b, run->capacity, &stats);
      const at::Tensor graph_first = at::argmax(graph.prefill(run->batch.ids, run->batch.key_start).select(1, 0), -1);
      ASSERT_TRUE(graph_first.equal(run->first)) << describe(c);
      graph.set_input(graph_first, run->prompt);
      const at::Tensor ids = run->first.clone(), pos = at::full({1}, run->prompt, ids.options());
      std::vector<int64_t> graph_tokens, mega_tokens;
      for (int64_t s = 0; s < c.steps; ++s) {
        graph.replay();
        run->mega->step(ids, pos, run->key_start32);
        const at::Tensor g = graph.next_tokens().to(at::kCPU), k = ids.to(at::kCPU);
        for (int64_t r = 0; r < b; ++r) {
          graph_tokens.push_back(g[r].item<int64_t>());
          mega_tokens.push_back(k[r].item<int64_t>());
        }
      }
      EXPECT_EQ(pos.item<int64_t>(), run->prompt + c.steps) << describe(c);
      EXPECT_EQ(run->mega->error(), 0) << describe(c);
      size_t same = 0;
      while (same < graph_tokens.size() && graph_tokens[same] == mega_tokens[same]) ++same;
      if (same < graph_tokens.size()) {
        // Allowed only at a near tie: the teacher-forced run, whose inputs are the same up to that token, must have
        // found one there.
        std::unique_ptr<CaseRun> again = start(c, /*poison=*/true);
        ASSERT_NE(again, nullptr);
        const Outcome forced = teacher_forced(*again);
        const bool tie = std::find(forced.near_ties.begin(), forced.near_ties.end(), static_cast<int64_t>(same)) !=
                         forced.near_ties.end();
        EXPECT_TRUE(tie) << describe(c) << ": free-running tokens differ from DecodeGraph's at step "
                         << same / static_cast<size_t>(b) << ", row " << same % static_cast<size_t>(b)
                         << " where the teacher-forced run found no near tie";
      }
      std::printf("[ megakernel ] %s: free run, %zu of %zu tokens as DecodeGraph's\n", describe(c).c_str(), same,
                  graph_tokens.size());
    });
    if (!ran) return;
  }
}

// The grid-barrier A/B mode runs the same arithmetic in the same order: bit-identical logits and tokens, as is a
// second run of the flag mode.
TEST(DecodeMegakernelGpu, GridBarrierModeAndRepeatsAreBitIdentical) {
  SKIP_WITHOUT_CUDA();
  c10::InferenceMode inference;
  const Case c{"small", small_config(), at::kHalf, {32, 20, 27}, 8};
  std::unique_ptr<CaseRun> flags, again, barriers;
  Outcome a, b;
  ASSERT_TRUE(guarded(flags, "flag mode", [&] {
    flags = start(c, true, 0);
    ASSERT_NE(flags, nullptr);
    a = teacher_forced(*flags);
  }));
  ASSERT_EQ(a.failure, "");
  ASSERT_TRUE(guarded(again, "flag mode again", [&] {
    again = start(c, true, 0);
    ASSERT_NE(again, nullptr);
    b = teacher_forced(*again);
  }));
  Outcome g;
  ASSERT_TRUE(guarded(barriers, "grid barriers", [&] {
    barriers = start(c, true, 1);
    ASSERT_NE(barriers, nullptr);
    EXPECT_EQ(barriers->mega->name(), flags->mega->name() + "+barrier");
    g = teacher_forced(*barriers);
  }));
  ASSERT_EQ(a.logits.size(), g.logits.size());
  ASSERT_EQ(a.logits.size(), b.logits.size());
  for (size_t s = 0; s < a.logits.size(); ++s) {
    EXPECT_TRUE(a.logits[s].equal(b.logits[s])) << "flag mode, step " << s << ": two runs differ";
    EXPECT_TRUE(a.logits[s].equal(g.logits[s])) << "grid barriers, step " << s << ": differ from the flag mode";
  }
  EXPECT_EQ(a.tokens, g.tokens);
}

// The rule catches a kernel one position off: the step stores its key and value at pos + 1, embeds position
// pos + 1 and attends to an unwritten (zero) slot.
TEST(DecodeMegakernelGpu, TheComparisonCatchesAWrongPosition) {
  SKIP_WITHOUT_CUDA();
  c10::InferenceMode inference;
  Case c{"small", small_config(), at::kHalf, {32}, 2};
  std::unique_ptr<CaseRun> run;
  ASSERT_TRUE(guarded(run, "mutation", [&] {
    run = start(c, /*poison=*/false);
    ASSERT_NE(run, nullptr);
    const Outcome out = teacher_forced(*run, /*pos_offset=*/1);
    EXPECT_NE(out.failure, "") << "a step one position off passed the comparison";
    std::printf("[ mutation ] caught: %s\n", out.failure.c_str());
  }));
}

// Refusals say why: ALiBi, a window, a batch over 8.
TEST(DecodeMegakernelGpu, RefusesWhatItDoesNotImplement) {
  SKIP_WITHOUT_CUDA();
  c10::InferenceMode inference;
  const Case c{"small", small_config(), at::kHalf, {8}, 1};
  Models models = make_models(c);
  EXPECT_NE(model::megakernel_unsupported_reason(*models.m, 9).find("batch 9"), std::string::npos);
  auto alibi = model::Gpt2Model(c.config, attention::parse_variant("flash+alibi", {}));
  EXPECT_NE(model::megakernel_unsupported_reason(*alibi, 1).find("ALiBi"), std::string::npos);
  auto window = model::Gpt2Model(c.config, attention::parse_variant("flash+sparse", attention::VariantFlags{16, 2}));
  EXPECT_NE(model::megakernel_unsupported_reason(*window, 1).find("window"), std::string::npos);
}
