// The noise rule of `gptbench compare` for latencies.
//
// A latency is compared by its median (p50 of the per-batch samples). A change of the median
// beyond the threshold counts only when it is also larger than the spread of the samples, taken as
// the larger of the two interquartile ranges (IQR = p75 - p25 of the raw samples, numpy's linear
// interpolation, as bench::percentile). Why the IQR: it is the spread of the same middle half of
// the samples the median summarises, so it ignores the rare stalls (allocator growth, a clock
// change, another process) that inflate a standard deviation; it needs no random resampling, so a
// verdict is reproducible; and a shift of the median smaller than the IQR means the two middle
// halves overlap, which a rerun can reverse. With fewer than `min_samples` samples on either side
// the IQR says little: the spread is then not judged (the threshold alone decides, and the verdict
// says so).
#pragma once

#include <cstdint>   // int64_t
#include <optional>  // std::optional
#include <vector>    // std::vector

namespace gptbench::compare {

// Linear interpolation between order statistics (numpy's default); q in [0, 1]. 0 for no samples.
double quantile(std::vector<double> samples, double q);

// p75 - p25 of the samples.
double interquartile_range(const std::vector<double>& samples);

// The spread a median change must exceed to count: max(IQR(base), IQR(current)); absent when either
// side has fewer than `min_samples` samples.
std::optional<double> latency_spread(const std::vector<double>& base, const std::vector<double>& current,
                                     int64_t min_samples);

}  // namespace gptbench::compare
