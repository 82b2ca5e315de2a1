// The table `gptbench compare` prints: per cell one row per metric (metric, base, new, change,
// verdict, why), the cells not compared, the notes, and the failures.
#pragma once

#include <string>  // std::string

#include "gptbench/compare/comparison.h"  // Comparison

namespace gptbench::compare {

std::string format_comparison(const Comparison& comparison);

}  // namespace gptbench::compare
