// ALiBi slopes (Press et al., "Train Short, Test Long", 2022), torch-free.
#pragma once

#include <cstdint>  // int64_t
#include <vector>   // std::vector

namespace gptbench::attention {

// The per-head slopes m_h. For a power-of-two head count n: m_h = 2^(-8(h+1)/n).
// Otherwise, with p the largest power of two below n: the p slopes of p heads, then every
// other slope of 2p heads for the remaining n - p heads (the paper's reference rule).
std::vector<double> alibi_slopes(int64_t n_head);

}  // namespace gptbench::attention
