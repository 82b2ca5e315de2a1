// ALiBi slopes.
#include "gptbench/attention/alibi.h"

#include <cmath>  // std::pow, std::log2, std::floor

#include "gptbench/util/check.h"  // GPTBENCH_CHECK

namespace gptbench::attention {
namespace {

std::vector<double> power_of_two_slopes(int64_t n) {
  const double start = std::pow(2.0, -8.0 / static_cast<double>(n));
  std::vector<double> slopes(n);
  double value = start;
  for (int64_t h = 0; h < n; ++h, value *= start) slopes[h] = value;
  return slopes;
}

}  // namespace

std::vector<double> alibi_slopes(int64_t n_head) {
  GPTBENCH_CHECK(n_head > 0, "ALiBi needs at least one head, got {}", n_head);
  const int64_t p = int64_t{1} << static_cast<int>(std::floor(std::log2(static_cast<double>(n_head))));
  std::vector<double> slopes = power_of_two_slopes(p);
  if (p == n_head) return slopes;
  const std::vector<double> extra = power_of_two_slopes(2 * p);
  for (int64_t i = 0; static_cast<int64_t>(slopes.size()) < n_head; i += 2) slopes.push_back(extra[i]);
  return slopes;
}

}  // namespace gptbench::attention
