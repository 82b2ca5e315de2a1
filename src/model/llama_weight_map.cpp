// Llama/Mistral weight names: HF's keys under "model.", with q/k/v and gate/up fused.
#include "gptbench/model/llama_weight_map.h"

#include <fmt/format.h>  // fmt::format

namespace gptbench::model {

std::vector<LlamaWeightEntry> llama_weight_map(const LlamaConfig& config) {
  const int64_t c = config.hidden_size, f = config.intermediate_size;
  std::vector<LlamaWeightEntry> map;
  auto add = [&map](std::string module_name, std::vector<LlamaWeightPart> parts) {
    map.push_back({std::move(module_name), std::move(parts)});
  };
  add("embed_tokens.weight", {{"model.embed_tokens.weight", config.vocab_size}});
  for (int64_t l = 0; l < config.num_hidden_layers; ++l) {
    const std::string ours = fmt::format("layers.{}.", l), hf = "model." + ours;
    add(ours + "input_layernorm.weight", {{hf + "input_layernorm.weight", c}});
    add(ours + "self_attn.qkv_proj.weight", {{hf + "self_attn.q_proj.weight", config.q_width()},
                                             {hf + "self_attn.k_proj.weight", config.kv_width()},
                                             {hf + "self_attn.v_proj.weight", config.kv_width()}});
    add(ours + "self_attn.o_proj.weight", {{hf + "self_attn.o_proj.weight", c}});
    add(ours + "post_attention_layernorm.weight", {{hf + "post_attention_layernorm.weight", c}});
    add(ours + "mlp.gate_up_proj.weight", {{hf + "mlp.gate_proj.weight", f}, {hf + "mlp.up_proj.weight", f}});
    add(ours + "mlp.down_proj.weight", {{hf + "mlp.down_proj.weight", c}});
  }
  add("norm.weight", {{"model.norm.weight", c}});
  if (!config.tie_word_embeddings) add("lm_head.weight", {{"lm_head.weight", config.vocab_size}});
  return map;
}

bool is_ignored_llama_checkpoint_key(std::string_view key, const LlamaConfig& config) {
  constexpr std::string_view kInvFreq = ".rotary_emb.inv_freq";
  const bool inv_freq = key.size() >= kInvFreq.size() && key.substr(key.size() - kInvFreq.size()) == kInvFreq;
  return inv_freq || (config.tie_word_embeddings && key == "lm_head.weight");
}

}  // namespace gptbench::model
