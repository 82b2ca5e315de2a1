// Helpers shared by the attention and RoPE op tests: the policies under test, ALiBi slopes,
// position layouts and error messages, all written independently of the code under test.
#pragma once

#include <cmath>    // std::pow
#include <cstdint>  // int64_t
#include <string>   // std::string
#include <vector>   // std::vector

#include "gptbench/util/error.h"  // gptbench::Error

namespace gptbench::kernels::testing {

// What a test case asks for; kWindowSinks is a window plus global (sink) tokens.
enum class Policy { kCausal, kAlibi, kWindow, kAlibiWindow, kWindowSinks };

inline const std::vector<Policy>& all_policies() {
  static const std::vector<Policy> kAll = {Policy::kCausal, Policy::kAlibi, Policy::kWindow, Policy::kAlibiWindow,
                                           Policy::kWindowSinks};
  return kAll;
}

inline const char* policy_label(Policy p) {
  switch (p) {
    case Policy::kCausal: return "causal";
    case Policy::kAlibi: return "alibi";
    case Policy::kWindow: return "window";
    case Policy::kAlibiWindow: return "alibi+window";
    case Policy::kWindowSinks: return "window+sinks";
  }
  return "?";
}

inline bool policy_alibi(Policy p) { return p == Policy::kAlibi || p == Policy::kAlibiWindow; }
inline bool policy_window(Policy p) { return p != Policy::kCausal && p != Policy::kAlibi; }

// Press et al.'s geometric slopes for a power-of-two head count, 2^(-8(h+1)/H); for other
// counts the test only needs distinct positive slopes, so the same formula serves.
inline std::vector<float> test_alibi_slopes(int64_t heads) {
  std::vector<float> s(static_cast<size_t>(heads));
  for (int64_t h = 0; h < heads; ++h) s[h] = static_cast<float>(std::pow(2.0, -8.0 * (h + 1) / heads));
  return s;
}

// The message of the gptbench::Error that fn() throws, or a text saying that none was thrown.
template <typename F>
std::string error_message_of(F&& fn) {
  try {
    fn();
  } catch (const gptbench::Error& e) {
    return e.what();
  }
  return "no gptbench::Error thrown";
}

}  // namespace gptbench::kernels::testing
