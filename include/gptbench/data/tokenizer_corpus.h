// The text a SentencePiece tokenizer.model is trained on (text::train_sentencepiece) for the random
// Llama/Mistral checkpoints of `gptbench init`: every sample of news_summary (all splits, read and
// decoded as `gptbench run` reads them, docs/datasets.md), its article (ctext) then its summary (text),
// each as one sentence, in file order. Deterministic: the same file gives the same sentences.
#pragma once

#include <string>  // std::string
#include <vector>  // std::vector

namespace gptbench::data {

// data_dir: the shared data folder (--data-dir; data::default_data_dir()). Throws gptbench::Error
// naming the file when news_summary/news_summary.csv is missing or malformed.
std::vector<std::string> news_tokenizer_corpus(const std::string& data_dir);

}  // namespace gptbench::data
