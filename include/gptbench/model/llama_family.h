// The Llama and Mistral rows of the family table (model_family.h): one config type, model and weight
// table serve both model_type values.
#pragma once

#include "gptbench/model/model_family.h"  // ModelFamily

namespace gptbench::model {

ModelFamily llama_family();    // model_type "llama"
ModelFamily mistral_family();  // model_type "mistral"

}  // namespace gptbench::model
