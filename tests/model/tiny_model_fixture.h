// Shared by the model tests: a small random GPT-2, the same weights under any attention variant
// (or the dense-mask reference), seeded prompts, and cache-free logits.
// GPTBENCH_TEST_DEVICE=cuda runs the users of this fixture on the GPU (ctest's gpu-labelled copies).
#pragma once

#include <ATen/ops/argmax.h>         // at::argmax (users)
#include <c10/core/InferenceMode.h>  // c10::InferenceMode

#include <cstdlib>  // std::getenv
#include <memory>   // std::shared_ptr
#include <string>   // std::string
#include <vector>   // std::vector

#include "gptbench/attention/variant.h"  // parse_variant, VariantFlags
#include "gptbench/model/causal_lm.h"     // CausalLm, LogitsMode
#include "gptbench/model/gpt2_config.h"   // Gpt2Config
#include "gptbench/model/model_family.h"  // with_attention
#include "gptbench/model/generator.h"    // left_pad

namespace gptbench::testing {

using Prompts = std::vector<std::vector<int32_t>>;

// 2 layers, 4 heads, width 64, vocabulary 512.
inline model::Gpt2Config tiny_config(int64_t eos_token_id) {
  model::Gpt2Config c;
  c.n_layer = 2;
  c.n_head = 4;
  c.n_embd = 64;
  c.n_positions = 512;
  c.vocab_size = 512;
  c.eos_token_id = eos_token_id;
  return c;
}

inline c10::Device test_device() {
  const char* env = std::getenv("GPTBENCH_TEST_DEVICE");
  return c10::Device(env != nullptr && std::string(env) == "cuda" ? c10::kCUDA : c10::kCPU);
}

// The weights of `base` under any variant, on the test device, through the model interface.
class TinyModels {
 public:
  explicit TinyModels(std::shared_ptr<model::CausalLm> base) : base_(std::move(base)) {}
  std::shared_ptr<model::CausalLm> with(const std::string& variant, attention::VariantFlags flags = {}) {
    return on_test_device(model::with_attention(*base_, attention::parse_variant(variant, flags)));
  }
  // The same weights with the brute-force dense-mask reference attention.
  std::shared_ptr<model::CausalLm> reference(const std::string& variant, attention::VariantFlags flags = {}) {
    const auto spec = attention::parse_variant(variant, flags);
    return on_test_device(model::with_attention(*base_, spec, attention::make_reference_attention(spec)));
  }

 private:
  static std::shared_ptr<model::CausalLm> on_test_device(std::shared_ptr<model::CausalLm> m) {
    m->to(test_device());
    m->eval();
    return m;
  }
  std::shared_ptr<model::CausalLm> base_;
};

// Seeded token ids in [0, 512); `avoid` (e.g. EOS) never appears inside a prompt.
inline Prompts random_prompts(const std::vector<int>& lengths, uint64_t seed, int32_t avoid = -1) {
  Prompts prompts;
  uint64_t x = seed;
  for (int n : lengths) {
    std::vector<int32_t> p;
    for (int i = 0; i < n; ++i) {
      x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      p.push_back(static_cast<int32_t>((x >> 33) % 512));
      if (p.back() == avoid) p.back() = avoid + 1;
    }
    prompts.push_back(p);
  }
  return prompts;
}

// Logits of a left-padded batch without a cache, on the CPU: (B, T, V), or (B, 1, V) for kLastPosition.
inline at::Tensor batch_logits(model::CausalLm& m, const Prompts& prompts, model::LogitsMode mode) {
  c10::InferenceMode guard;
  auto batch = model::left_pad(prompts, model::kPadId, test_device());
  attention::AttentionPositions pos{batch.key_start, 0, {}, batch.left_padded};
  return m.forward(batch.ids, pos, nullptr, mode).to(at::kCPU);
}

}  // namespace gptbench::testing
