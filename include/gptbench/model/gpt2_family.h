// GPT-2's row of the family table (model_family.h).
#pragma once

#include "gptbench/model/model_family.h"  // ModelFamily

namespace gptbench::model {

ModelFamily gpt2_family();

}  // namespace gptbench::model
