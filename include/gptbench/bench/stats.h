// Summary statistics of timing samples: raw samples kept beside mean, std, percentiles. The
// Summary type and its JSON belong to the reports (gptbench/report/summary.h), which sit below bench.
#pragma once

#include <vector>  // std::vector

#include "gptbench/report/summary.h"  // report::Summary, report::RawSamples, report::to_json

namespace gptbench::bench {

using report::RawSamples;
using report::Summary;
using report::to_json;

// Percentiles interpolate linearly between order statistics (numpy's default "linear" method); p90
// and p99 are left empty below report::kMinSamplesP90 / kMinSamplesP99 samples.
Summary summarize(std::vector<double> samples);
double percentile(std::vector<double> sorted, double q);  // q in [0, 100]; `sorted` ascending

}  // namespace gptbench::bench
