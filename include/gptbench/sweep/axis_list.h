// Sweep axis values written as lists and ranges, e.g. `1,2,4-64*2,100-300+100`.
//
// Grammar: items joined with ','; an item is
//   N        one value
//   A-B      A, A+1, ..., B
//   A-B+S    arithmetic: A, A+S, A+2S, ... up to B (S >= 1)
//   A-B*F    geometric:  A, A*F, A*F^2, ... up to B (F >= 2)
// with 1 <= A <= B. B is included only when the steps reach it exactly (4-60*2 = 4,8,16,32).
// Values keep the order written; a value listed twice is refused (it would run a cell twice).
#pragma once

#include <cstdint>   // int64_t
#include <optional>  // std::optional
#include <string>    // std::string
#include <vector>    // std::vector

namespace gptbench::sweep {

// Largest value an integer axis accepts: far above any GPT-2 batch or length, and it keeps
// A*F from overflowing.
inline constexpr int64_t kMaxAxisValue = int64_t{1} << 40;

// Positive integers. `what` names the flag or file key in every error (UsageError).
std::vector<int64_t> parse_int_list(const std::string& what, const std::string& text);

// Windows: positive integers and ranges as above, plus "none" (no window: the variant's default).
std::vector<std::optional<int64_t>> parse_window_list(const std::string& what, const std::string& text);

// Comma-separated names, each non-empty, none twice.
std::vector<std::string> parse_name_list(const std::string& what, const std::string& text);

}  // namespace gptbench::sweep
