// Shared by the tokenizer tests: one tokenizer object encoding from several threads at once must give
// what it gives alone (its caches and the library under it are shared between the threads).
#pragma once

#include <cstddef>  // std::size_t
#include <string>   // std::string
#include <thread>   // std::thread
#include <vector>   // std::vector

#include "gptbench/text/tokenizer.h"  // Tokenizer

namespace gptbench::text::testing_support {

// Encodes every text `repeats` times on each of `threads` threads; returns, per thread, how many
// encodings differed from the single-threaded ones (all zeros when the tokenizer is thread-safe).
inline std::vector<int> concurrent_encode_mismatches(const Tokenizer& t, const std::vector<std::string>& texts,
                                                     int threads = 4, int repeats = 1) {
  std::vector<std::vector<int32_t>> expected;
  for (const auto& s : texts) expected.push_back(t.encode(s));
  std::vector<int> failures(threads, 0);
  std::vector<std::thread> workers;
  for (int k = 0; k < threads; ++k) {
    workers.emplace_back([&, k] {
      for (int rep = 0; rep < repeats; ++rep)
        for (std::size_t i = 0; i < texts.size(); ++i) failures[k] += t.encode(texts[i]) != expected[i];
    });
  }
  for (auto& w : workers) w.join();
  return failures;
}

}  // namespace gptbench::text::testing_support
