// gptbench generate: greedy or beam-search continuation of one or more prompts, batched with left padding.
#include <fmt/format.h>  // fmt::print

#include <nlohmann/json.hpp>  // nlohmann::json

#include "command.h"                          // register_generate_command
#include "enum_option.h"                      // add_enum_option
#include "gptbench/attention/variant.h"       // variant_name
#include "gptbench/model/beam_search.h"       // generate_beam, BeamSearchOptions, kEarlyStoppingNames
#include "gptbench/model/generator.h"         // generate_greedy
#include "gptbench/run/model_selection.h"     // ModelSelection, resolve_selection, load_selected_model
#include "gptbench/text/tokenizer.h"          // load_tokenizer
#include "gptbench/util/error.h"              // UsageError
#include "model_options.h"                    // add_model_options
#include "prompt_input.h"                     // read_prompt_file

namespace gptbench::cli {

void register_generate_command(CLI::App& app) {
  struct Options {
    run::ModelSelection model;
    std::vector<std::string> prompts;
    std::string prompt_file;
    std::string tokenizer_dir;
    model::GenerationOptions generation;
    int64_t num_beams = 1;  // 1: greedy decoding
    int64_t no_repeat_ngram_size = 0;
    double length_penalty = 1.0;
    model::EarlyStopping early_stopping = model::EarlyStopping::kHeuristic;
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("generate", "Greedy or beam-search generation from prompts");
  add_model_options(cmd, o->model);
  auto* prompt = cmd->add_option("--prompt", o->prompts, "prompt text (repeat for a batch)");
  auto* prompt_file = cmd->add_option("--prompt-file", o->prompt_file,
                                      "file: whole content is one prompt; .jsonl: one prompt per line");
  prompt->excludes(prompt_file);
  cmd->add_option("--tokenizer", o->tokenizer_dir, "tokenizer folder (default: the model folder)");
  cmd->add_option("--max-new-tokens", o->generation.max_new_tokens, "cap on generated tokens")
      ->capture_default_str();
  cmd->add_option("--min-new-tokens", o->generation.min_new_tokens, "EOS suppressed before this many tokens")
      ->capture_default_str();
  cmd->add_option("--num-beams", o->num_beams, "beam search with this many beams (1 = greedy)")->capture_default_str();
  cmd->add_option("--no-repeat-ngram-size", o->no_repeat_ngram_size,
                  "beam search: ban repeating any n-gram of this size, prompt included (0 = off)")
      ->capture_default_str();
  cmd->add_option("--length-penalty", o->length_penalty,
                  "beam search: finished hypotheses score sum(log p) / length^this")
      ->capture_default_str();
  add_enum_option(cmd, "--early-stopping", model::kEarlyStoppingNames, o->early_stopping,
                  "beam search stop rule, as transformers' early_stopping: false | true | never");
  cmd->add_flag("--json", o->json, "print one JSON object with prompt ids, generated ids and text");
  cmd->callback([o] {
    const run::ResolvedSelection m = run::resolve_selection(o->model);
    if (o->prompts.empty() && o->prompt_file.empty())
      throw UsageError("generate: give --prompt TEXT or --prompt-file F");
    if (o->generation.max_new_tokens < 1)
      throw UsageError(fmt::format("--max-new-tokens must be at least 1, got {}", o->generation.max_new_tokens));
    if (o->generation.min_new_tokens < 0 || o->generation.min_new_tokens > o->generation.max_new_tokens)
      throw UsageError(fmt::format("--min-new-tokens must be between 0 and --max-new-tokens ({}), got {}",
                                   o->generation.max_new_tokens, o->generation.min_new_tokens));
    if (o->num_beams < 1) throw UsageError(fmt::format("--num-beams must be at least 1, got {}", o->num_beams));
    if (o->num_beams == 1 && o->no_repeat_ngram_size != 0)
      throw UsageError("--no-repeat-ngram-size needs beam search (--num-beams 2 or more)");
    model::BeamSearchOptions beam;
    beam.num_beams = o->num_beams;
    beam.max_new_tokens = o->generation.max_new_tokens;
    beam.min_new_tokens = o->generation.min_new_tokens;
    beam.no_repeat_ngram_size = o->no_repeat_ngram_size;
    beam.length_penalty = o->length_penalty;
    beam.early_stopping = o->early_stopping;
    const std::vector<std::string> texts = o->prompts.empty() ? read_prompt_file(o->prompt_file) : o->prompts;
    const auto tokenizer =
        text::load_tokenizer(o->tokenizer_dir.empty() ? o->model.model_dir : o->tokenizer_dir);
    std::vector<std::vector<int32_t>> ids;
    for (const auto& t : texts) {
      ids.push_back(tokenizer->prompt_ids(t));
      if (ids.back().empty()) throw UsageError("--prompt: a prompt encodes to zero tokens");
    }
    model::LoadedModel loaded = run::load_selected_model(m);
    const auto generated = o->num_beams == 1 ? model::generate_greedy(*loaded.model, ids, o->generation)
                                             : model::generate_beam(*loaded.model, ids, beam);
    if (!o->json) {
      for (size_t i = 0; i < texts.size(); ++i) {
        if (texts.size() > 1) fmt::print("--- prompt {} ---\n", i);
        fmt::print("{}{}\n", texts[i], tokenizer->decode(generated[i].tokens));
      }
      return;
    }
    nlohmann::json results = nlohmann::json::array();
    for (size_t i = 0; i < texts.size(); ++i) {
      results.push_back({{"prompt", texts[i]},
                         {"prompt_ids", ids[i]},
                         {"generated_ids", generated[i].tokens},
                         {"stopped_at_eos", generated[i].stopped_at_eos},
                         {"text", tokenizer->decode(generated[i].tokens)}});
    }
    nlohmann::json out = {{"variant", attention::variant_name(m.attention)},
                          {"kernel", loaded.model->last_kernel()},
                          {"dtype", model::dtype_flag_name(m.dtype)},
                          {"device", m.device.str()},
                          {"max_new_tokens", o->generation.max_new_tokens},
                          {"min_new_tokens", o->generation.min_new_tokens},
                          {"results", results}};
    // Generated text may hold invalid UTF-8 (a token boundary inside a character): replace, never throw.
    fmt::print("{}\n", out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
  });
}

}  // namespace gptbench::cli
