// Where the shared data folder is (the news CSV, the tokenizer, WikiText-2, CNN/DM): the one
// default of every --data-dir flag and "data-dir" sweep setting.
#pragma once

#include <string>  // std::string

namespace gptbench::data {

// $GPTBENCH_DATA_DIR when set and not empty, else "../shared/data".
std::string default_data_dir();

}  // namespace gptbench::data
