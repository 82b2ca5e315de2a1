// The default shared data folder.
#include "gptbench/data/data_dir.h"

#include <cstdlib>  // std::getenv

namespace gptbench::data {

std::string default_data_dir() {
  const char* env = std::getenv("GPTBENCH_DATA_DIR");
  return env != nullptr && *env != '\0' ? env : "../shared/data";
}

}  // namespace gptbench::data
