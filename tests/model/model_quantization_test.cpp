// Whole-model quantization (model_quantization.h, quantized_model_checkpoint.h) on tiny GPT-2 and Llama
// models on the CPU: a quantized model's logits equal, bit for bit, those of the same model whose projection
// weights are dequantize(quantize(W)) dense (each format, with and without the lm_head); the summary and
// the bytes held; a group that does not divide K is refused naming the layer and a group that does; a
// quantized checkpoint loads back to identical logits, and bad or mismatched ones are refused.
#include <gtest/gtest.h>  // TEST, EXPECT_*

#include <ATen/ops/equal.h>          // at::equal
#include <ATen/ops/randint.h>        // at::randint
#include <ATen/ops/zeros.h>          // at::zeros
#include <c10/core/GradMode.h>       // c10::NoGradGuard
#include <c10/core/InferenceMode.h>  // c10::InferenceMode

#include <filesystem>  // std::filesystem
#include <fstream>     // std::ofstream
#include <memory>      // std::shared_ptr
#include <string>      // std::string
#include <vector>      // std::vector

#include <unistd.h>  // truncate

#include "../support/error_message.h"                  // message_of
#include "../support/temp_dir.h"                       // test_support::TempDir
#include "gptbench/model/checkpoint.h"                  // load_model, save_model
#include "gptbench/model/gpt2_config.h"                 // Gpt2Config
#include "gptbench/model/llama_config.h"                // find_named_llama_config
#include "gptbench/model/model_family.h"                // init_model, with_attention
#include "gptbench/model/model_quantization.h"          // quantize_model, quant_summary, named_projections
#include "gptbench/model/quantized_model_checkpoint.h"  // save_quantized_model, is_quantized_checkpoint
#include "gptbench/quant/quantize.h"                    // quantize, dequantize
#include "gptbench/util/error.h"                        // Error, UsageError

namespace fs = std::filesystem;

namespace gptbench::model {
namespace {

using quant::QuantFormat;
using quant::QuantSpec;
using Model = std::shared_ptr<CausalLm>;

const QuantSpec kInt8{QuantFormat::kInt8, 0, false};
const QuantSpec kInt4{QuantFormat::kInt4, 32, false};
const QuantSpec kInt4Symmetric{QuantFormat::kInt4, 64, true};
const QuantSpec kNf4{QuantFormat::kNf4, 64, false};

Gpt2Config tiny_gpt2() {  // K = 64 (attention, c_fc) and 256 (mlp.c_proj)
  Gpt2Config c;
  c.n_layer = 2;
  c.n_head = 4;
  c.n_embd = 64;
  c.n_positions = 64;
  c.vocab_size = 128;
  return c;
}

LlamaConfig tiny_llama(bool tied) {  // K = 64 and 192 (down_proj)
  LlamaConfig c = *find_named_llama_config("llama-tiny");
  c.intermediate_size = 192;
  c.vocab_size = 128;
  c.tie_word_embeddings = tied;
  return c;
}

at::Tensor logits(CausalLm& m, const at::Tensor& ids) {  // ids (B, T) -> (B, T, V)
  c10::InferenceMode guard;
  const attention::AttentionPositions positions{at::zeros({ids.size(0)}, at::kLong), 0, {}, false};
  return m.forward(ids, positions, nullptr, LogitsMode::kAllPositions);
}

at::Tensor some_ids(const CausalLm& m) { return at::randint(m.shape().vocab_size, {2, 12}, at::kLong); }

// The same weights as `base` with every chosen projection's weight replaced by dequantize(quantize(W)), dense.
Model fake_quantized(const CausalLm& base, const QuantSpec& spec, bool lm_head) {
  Model m = with_attention(base, base.spec());
  if (lm_head) m->untied_lm_head();
  c10::NoGradGuard no_grad;
  for (const auto& [name, p] : named_projections(*m)) {
    if (name != kLmHeadModule || lm_head) p->weight.copy_(quant::dequantize(quant::quantize(p->weight, spec)));
  }
  return m;
}

using test_support::message_of;

// A fresh folder `name` inside `scratch` (removed with it).
fs::path temp_dir(const test_support::TempDir& scratch, const std::string& name) {
  const fs::path dir = scratch.path() / name;
  fs::create_directories(dir);
  return dir;
}

void expect_same_as_fake_quantized(const Model& base, const QuantSpec& spec, bool lm_head) {
  const at::Tensor ids = some_ids(*base);
  Model q = with_attention(*base, base->spec());
  const QuantSummary s = quantize_model(*q, spec, lm_head);
  const std::string what = quant::describe(spec) + (lm_head ? " +lm_head" : "") + " on " + base->shape().family;
  EXPECT_TRUE(at::equal(logits(*q, ids), logits(*fake_quantized(*base, spec, lm_head), ids))) << what;
  EXPECT_FALSE(at::equal(logits(*q, ids), logits(*base, ids))) << what;  // quantization did something
  const size_t projections = static_cast<size_t>(4 * base->shape().n_layer + (lm_head ? 1 : 0));
  EXPECT_EQ(s.layers.size(), projections) << what;
  EXPECT_EQ(s.lm_head, lm_head) << what;
  EXPECT_LT(s.bytes_after, s.bytes_before / 3) << what;  // fp32 weights: 4 bytes -> 1 or 0.5 + scales
  if (!lm_head) {
    EXPECT_EQ(held_weight_bytes(*q), held_weight_bytes(*base) - s.bytes_before + s.bytes_after) << what;
  }
  // The projections' path, then the dense lm_head's ("aten") unless it is quantized too.
  EXPECT_EQ(q->last_kernels().linear, lm_head ? "dequant+aten" : "dequant+aten+aten") << what;
}

TEST(ModelQuantization, Gpt2LogitsEqualDequantizedDenseWeightsBitForBit) {
  at::manual_seed(1);
  const Model base = init_model(tiny_gpt2(), 1);
  for (const QuantSpec& spec : {kInt8, kInt4, kInt4Symmetric, kNf4}) expect_same_as_fake_quantized(base, spec, false);
  expect_same_as_fake_quantized(base, kInt4, true);  // the tied head as a quantized copy of wte
}

TEST(ModelQuantization, LlamaLogitsEqualDequantizedDenseWeightsBitForBit) {
  at::manual_seed(2);
  const Model untied = init_model(tiny_llama(false), 2);
  for (const QuantSpec& spec : {kInt8, kInt4, kNf4}) expect_same_as_fake_quantized(untied, spec, false);
  expect_same_as_fake_quantized(untied, kNf4, true);
  expect_same_as_fake_quantized(init_model(tiny_llama(true), 3), kInt8, true);
}

TEST(ModelQuantization, AGroupThatDoesNotDivideKIsRefusedNamingTheLayerAndAGroupThatDoes) {
  const Model m = init_model(tiny_gpt2(), 4);
  const std::string message = message_of<UsageError>([&] { quantize_model(*m, {QuantFormat::kInt4, 128, false}, false); });
  EXPECT_NE(message.find("--quant-group 128: layer h.0.attn.c_attn has K = 64 input features, not a multiple of the "
                         "int4 group 128; --quant-group 64 divides every layer's K"),
            std::string::npos)
      << message;
  EXPECT_FALSE(quant_summary(*m).has_value());  // nothing was touched
  const std::string none = message_of<UsageError>(
      [&] { quantize_model(*init_model(*find_named_llama_config("llama-tiny"), 5), kNf4, false); });
  EXPECT_NE(none.find("no group the format allows divides every layer's K (their gcd is 16)"), std::string::npos)
      << none;
}

TEST(ModelQuantization, WithAttentionKeepsTheQuantizedWeights) {
  const Model base = init_model(tiny_gpt2(), 6);
  Model q = with_attention(*base, base->spec());
  quantize_model(*q, kNf4, true);
  const Model copy = with_attention(*q, base->spec());
  const at::Tensor ids = some_ids(*base);
  EXPECT_TRUE(at::equal(logits(*copy, ids), logits(*q, ids)));
  EXPECT_EQ(quant_summary(*copy)->layers.size(), quant_summary(*q)->layers.size());
}

TEST(ModelQuantization, AQuantizedCheckpointLoadsBackToIdenticalLogits) {
  for (const bool llama : {false, true}) {
    const test_support::TempDir scratch;
    const fs::path dense = temp_dir(scratch, "dense");
    const fs::path quantized = temp_dir(scratch, "quantized");
    const Model base = llama ? init_model(tiny_llama(false), 7) : init_model(tiny_gpt2(), 7);
    save_model(*base, dense);
    QuantRequest request;
    request.given = true;
    request.spec = quant::resolve_spec(llama ? kNf4 : kInt4, "test");
    request.lm_head = true;
    const LoadedModel at_load = load_model(dense, base->spec(), at::kFloat, c10::kCPU, request);
    ASSERT_TRUE(at_load.quant.has_value());
    EXPECT_FALSE(at_load.quant->from_checkpoint);
    save_quantized_model(*at_load.model, quantized);
    EXPECT_TRUE(is_quantized_checkpoint(quantized));
    EXPECT_FALSE(is_quantized_checkpoint(dense));

    const LoadedModel read = load_model(quantized, base->spec(), at::kFloat, c10::kCPU);  // format from the file
    ASSERT_TRUE(read.quant.has_value());
    EXPECT_TRUE(read.quant->from_checkpoint);
    EXPECT_EQ(read.quant->layers, at_load.quant->layers);
    EXPECT_EQ(read.weight_bytes, at_load.weight_bytes);
    const at::Tensor ids = some_ids(*base);
    EXPECT_TRUE(at::equal(logits(*read.model, ids), logits(*at_load.model, ids)));
    EXPECT_NE(message_of<Error>([&] { save_model(*read.model, dense / "again"); }).find("the model is quantized"),
              std::string::npos);
    EXPECT_FALSE(fs::exists(dense / "again"));

    // --quant given and disagreeing with the file
    QuantRequest other;
    other.given = true;
    other.spec = quant::resolve_spec(kInt8, "test");
    const std::string mismatch =
        message_of<UsageError>([&] { load_model(quantized, base->spec(), at::kFloat, c10::kCPU, other); });
    EXPECT_NE(mismatch.find("--quant int8 per-channel: " + (quantized / "model.safetensors").string() +
                            " holds weights quantized as " + quant::describe(*request.spec)),
              std::string::npos)
        << mismatch;
    QuantRequest none;
    none.given = true;
    EXPECT_NE(message_of<UsageError>([&] { load_model(quantized, base->spec(), at::kFloat, c10::kCPU, none); })
                  .find("--quant none:"),
              std::string::npos);

    // A truncated file: the error names it.
    const fs::path file = quantized / "model.safetensors";
    ASSERT_EQ(::truncate(file.c_str(), static_cast<off_t>(fs::file_size(file) - 100)), 0);
    const std::string corrupt = message_of<Error>([&] { load_model(quantized, base->spec(), at::kFloat, c10::kCPU); });
    EXPECT_NE(corrupt.find(file.string()), std::string::npos) << corrupt;
  }
}

TEST(ModelQuantization, AQuantizedTensorOfAnotherModelIsRefusedNamingFileAndTensor) {
  const test_support::TempDir scratch;
  const fs::path dense = temp_dir(scratch, "dense");
  const fs::path quantized = temp_dir(scratch, "quantized");
  save_model(*init_model(tiny_gpt2(), 8), dense);
  QuantRequest request;
  request.given = true;
  request.spec = quant::resolve_spec(kInt8, "test");
  save_quantized_model(*load_model(dense, {}, at::kFloat, c10::kCPU, request).model, quantized);
  Gpt2Config smaller = tiny_gpt2();
  smaller.n_layer = 1;  // config.json now says one block: h.1.* are not this model's
  std::ofstream(quantized / "config.json") << smaller.to_json().dump();
  const std::string message = message_of<Error>([&] { load_model(quantized, {}, at::kFloat, c10::kCPU); });
  EXPECT_NE(message.find((quantized / "model.safetensors").string() + ": quantized tensor h.1.attn.c_attn.weight is "
                                                                        "no projection of a gpt2 with this config.json"),
            std::string::npos)
      << message;
}

}  // namespace
}  // namespace gptbench::model
