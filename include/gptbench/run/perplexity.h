// `gptbench run --task perplexity`: perplexity of a text file by Hugging Face's strided sliding
// window, and optionally the mean per-token KL divergence against another attention variant.
//
// Method: the text is tokenised whole. Windows of n_positions tokens start every `stride` tokens;
// each window scores only the tokens not scored by the previous window (the last
// end - previous_end positions), with all earlier tokens of the window as context. Every token
// but the first is scored exactly once. ppl = exp(sum NLL / scored tokens).
#pragma once

#include <ATen/core/Tensor.h>  // at::Tensor

#include "gptbench/report/run_report.h"  // RunReport
#include "gptbench/run/run_config.h"     // RunConfig

namespace gptbench::run {

// The report's results are report::PerplexityResults; its attention block has no phase kernels.
report::RunReport run_perplexity(const RunConfig& config);

// Per-row KL(p || q) = sum_v p_v (log p_v - log q_v): log_p, log_q (N, V) log-probabilities -> (N,).
// --kl-against's per-token KL; `gptbench train --distill-from`'s KL to the teacher.
at::Tensor token_kl(const at::Tensor& log_p, const at::Tensor& log_q);

}  // namespace gptbench::run
