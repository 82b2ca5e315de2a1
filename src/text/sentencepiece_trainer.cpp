#include "gptbench/text/sentencepiece_trainer.h"  // train_sentencepiece_model, train_sentencepiece

#include <fmt/format.h>                // fmt::format
#include <sentencepiece_processor.h>   // sentencepiece::SetRandomGeneratorSeed, util::Status
#include <sentencepiece_trainer.h>     // sentencepiece::SentencePieceTrainer, SentenceIterator

#include <cstddef>        // std::size_t
#include <mutex>          // std::mutex, std::lock_guard
#include <unordered_map>  // std::unordered_map

#include "gptbench/io/atomic_file.h"  // write_file_atomic
#include "gptbench/util/check.h"      // GPTBENCH_CHECK

namespace gptbench::text {
namespace {

// The trainer reads sentences through this iterator: no temporary input file.
class VectorSentences final : public sentencepiece::SentenceIterator {
 public:
  explicit VectorSentences(const std::vector<std::string>& sentences) : sentences_(sentences) {}
  bool done() const override { return next_ >= sentences_.size(); }
  void Next() override { ++next_; }
  const std::string& value() const override { return sentences_[next_]; }
  sentencepiece::util::Status status() const override { return {}; }

 private:
  const std::vector<std::string>& sentences_;
  std::size_t next_ = 0;
};

// The trainer's random generator is process-wide state: one training at a time.
std::mutex training_mutex;

}  // namespace

std::string train_sentencepiece_model(const std::vector<std::string>& sentences, const SentencePieceTrainOptions& options) {
  GPTBENCH_CHECK(!sentences.empty(), "sentencepiece training: no sentences");
  const std::unordered_map<std::string, std::string> spec = {
      {"model_type", "bpe"},
      {"vocab_size", std::to_string(options.vocab_size)},
      {"byte_fallback", options.byte_fallback ? "true" : "false"},
      {"character_coverage", fmt::format("{}", options.character_coverage)},
      {"normalization_rule_name", "identity"},
      {"remove_extra_whitespaces", "false"},
      {"add_dummy_prefix", "true"},
      {"split_digits", "true"},
      {"allow_whitespace_only_pieces", "true"},
      {"unk_surface", " \xe2\x81\x87 "},  // " ⁇ ", sentencepiece's default, spelled out
      {"unk_id", "0"}, {"bos_id", "1"}, {"eos_id", "2"}, {"pad_id", "-1"},
      {"max_sentence_length", "1048576"},  // a whole news article is one sentence; none is skipped
      {"num_threads", "2"},              // recorded in the model: fixed, so the bytes do not depend on the machine
      {"minloglevel", "1"},              // no per-merge INFO lines on stderr
  };
  VectorSentences it(sentences);
  std::string model;
  std::lock_guard<std::mutex> lock(training_mutex);
  sentencepiece::SetRandomGeneratorSeed(0);
  const auto status = sentencepiece::SentencePieceTrainer::Train(spec, &it, &model);
  GPTBENCH_CHECK(status.ok(), "sentencepiece training (vocab_size {}) failed: {}", options.vocab_size, status.ToString());
  return model;
}

void train_sentencepiece(const std::vector<std::string>& sentences, const SentencePieceTrainOptions& options,
                         const std::filesystem::path& out) {
  io::write_file_atomic(out, train_sentencepiece_model(sentences, options));
}

}  // namespace gptbench::text
