#include "gptbench/data/tokenizer_corpus.h"  // news_tokenizer_corpus

#include "gptbench/data/dataset.h"  // load_dataset, DatasetOptions
#include "gptbench/data/split.h"    // Split

namespace gptbench::data {

std::vector<std::string> news_tokenizer_corpus(const std::string& data_dir) {
  DatasetOptions options;
  options.kind = DatasetKind::kNewsSummary;
  options.data_dir = data_dir;
  options.split = Split::kAll;
  const Dataset dataset = load_dataset(options);
  std::vector<std::string> sentences;
  sentences.reserve(2 * dataset.samples.size());
  for (const Sample& s : dataset.samples) {
    sentences.push_back(s.source);
    sentences.push_back(s.reference);
  }
  return sentences;
}

}  // namespace gptbench::data
