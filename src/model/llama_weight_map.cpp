// Llama/Mistral weight names: HF's keys under "model.", with q/k/v and gate/up fused.
#include "gptbench/model/llama_weight_map.h"

#include <fmt/format.h>  // fmt::format

#include <string>   // std::string
#include <utility>  // std::pair

namespace gptbench::model {

std::vector<WeightEntry> llama_weight_map(const LlamaConfig& config) {
  const int64_t f = config.intermediate_size;
  std::vector<WeightEntry> map;
  auto whole = [&map](const std::string& ours, const std::string& hf) {
    map.push_back({ours, hf, WeightLayout::kSame});
  };
  // Consecutive row ranges of one fused parameter, one HF key each.
  auto fused = [&map](const std::string& ours, const std::vector<std::pair<std::string, int64_t>>& parts) {
    int64_t row0 = 0;
    for (const auto& [hf, rows] : parts) {
      map.push_back({ours, hf, WeightLayout::kSame, row0, rows});
      row0 += rows;
    }
  };
  whole("embed_tokens.weight", "model.embed_tokens.weight");
  for (int64_t l = 0; l < config.num_hidden_layers; ++l) {
    const std::string ours = fmt::format("layers.{}.", l), hf = "model." + ours;
    whole(ours + "input_layernorm.weight", hf + "input_layernorm.weight");
    fused(ours + "self_attn.qkv_proj.weight", {{hf + "self_attn.q_proj.weight", config.q_width()},
                                               {hf + "self_attn.k_proj.weight", config.kv_width()},
                                               {hf + "self_attn.v_proj.weight", config.kv_width()}});
    whole(ours + "self_attn.o_proj.weight", hf + "self_attn.o_proj.weight");
    whole(ours + "post_attention_layernorm.weight", hf + "post_attention_layernorm.weight");
    fused(ours + "mlp.gate_up_proj.weight", {{hf + "mlp.gate_proj.weight", f}, {hf + "mlp.up_proj.weight", f}});
    whole(ours + "mlp.down_proj.weight", hf + "mlp.down_proj.weight");
  }
  whole("norm.weight", "model.norm.weight");
  if (!config.tie_word_embeddings) whole("lm_head.weight", "lm_head.weight");
  return map;
}

bool is_ignored_llama_checkpoint_key(std::string_view key) {
  constexpr std::string_view kInvFreq = ".rotary_emb.inv_freq";
  const bool inv_freq = key.size() >= kInvFreq.size() && key.substr(key.size() - kInvFreq.size()) == kInvFreq;
  return inv_freq || key == "lm_head.weight";
}

}  // namespace gptbench::model
