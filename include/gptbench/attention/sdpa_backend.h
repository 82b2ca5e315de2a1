// Names of PyTorch's SDPA backends, as reports record them.
#pragma once

#include <cstdint>  // int64_t
#include <string>   // std::string

namespace gptbench::attention {

// "math", "flash_attention", "efficient_attention", "cudnn_attention", "overrideable" or "error"
// for an at::SDPBackend value (what at::_fused_sdp_choice returns).
std::string sdpa_backend_name(int64_t backend);

}  // namespace gptbench::attention
