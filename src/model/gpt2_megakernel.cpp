// model/gpt2_megakernel.h: the GPT-2 modules' tensors for the decode megakernel, and the refusals.
#include "gptbench/model/gpt2_megakernel.h"

#include <fmt/format.h>  // fmt::format

#include <utility>  // std::move

#include "gptbench/model/gpt2_model.h"  // Gpt2ModelImpl, BlockImpl
#include "gptbench/util/check.h"        // GPTBENCH_CHECK

namespace gptbench::model {
namespace {

// The model-level reasons ("" when none), and the GPT-2 model behind `model` when there are none.
std::string model_problem(CausalLm& model, Gpt2ModelImpl** gpt2) {
  auto* m = dynamic_cast<Gpt2ModelImpl*>(&model);
  if (m == nullptr) return fmt::format("the {} family (the megakernel is GPT-2's)", model.shape().family);
  const attention::AttentionSpec& spec = m->spec();
  if (spec.alibi()) return "ALiBi is not in the megakernel yet";
  if (spec.sparse()) return "sliding windows are not in the megakernel yet";
  if (spec.learned.kind != attention::LearnedKind::kNone) return "learned attention variants are not in the megakernel";
  if (m->lm_head) return "an untied (or quantized) lm_head: the megakernel's lm_head is the token embedding";
  for (int64_t l = 0; l < m->config().n_layer; ++l) {
    auto* block = m->h[l]->as<BlockImpl>();
    for (ProjectionImpl* p :
         {block->attn->c_attn.get(), block->attn->c_proj.get(), block->mlp->c_fc.get(), block->mlp->c_proj.get()}) {
      if (p->is_quantized()) return "quantized projections are not in the megakernel";
      if (p->adapter()) return "adapters (unmerged LoRA) are not in the megakernel";
    }
  }
  *gpt2 = m;
  return "";
}

}  // namespace

std::string megakernel_unsupported_reason(CausalLm& model, int64_t batch) {
  Gpt2ModelImpl* m = nullptr;
  const std::string why = model_problem(model, &m);
  if (!why.empty()) return why;
  return kernels::decode_megakernel_unsupported_reason(megakernel_weights(model), batch, model.device());
}

kernels::MegakernelWeights megakernel_weights(CausalLm& model) {
  Gpt2ModelImpl* m = nullptr;
  const std::string why = model_problem(model, &m);
  GPTBENCH_CHECK(why.empty(), "decode megakernel: {}", why);
  kernels::MegakernelWeights w;
  w.wte = m->wte->weight;
  w.wpe = m->wpe->weight;
  w.lnf_weight = m->ln_f->weight;
  w.lnf_bias = m->ln_f->bias;
  w.n_head = m->config().n_head;
  w.ln_eps = m->config().layer_norm_epsilon;
  w.gelu_tanh = m->config().activation == Activation::kGeluTanh;
  for (int64_t l = 0; l < m->config().n_layer; ++l) {
    auto* block = m->h[l]->as<BlockImpl>();
    kernels::MegakernelLayerWeights x;
    x.ln1_weight = block->ln_1->weight;
    x.ln1_bias = block->ln_1->bias;
    x.qkv_weight = block->attn->c_attn->weight;
    x.qkv_bias = block->attn->c_attn->bias;
    x.out_weight = block->attn->c_proj->weight;
    x.out_bias = block->attn->c_proj->bias;
    x.ln2_weight = block->ln_2->weight;
    x.ln2_bias = block->ln_2->bias;
    x.fc_weight = block->mlp->c_fc->weight;
    x.fc_bias = block->mlp->c_fc->bias;
    x.proj_weight = block->mlp->c_proj->weight;
    x.proj_bias = block->mlp->c_proj->bias;
    w.layers.push_back(std::move(x));
  }
  return w;
}

}  // namespace gptbench::model
