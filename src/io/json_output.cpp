#include "gptbench/io/json_output.h"  // json_text, write_json_atomic

#include "gptbench/io/atomic_file.h"  // write_file_atomic

namespace gptbench::io {

std::string json_text(const nlohmann::json& value, int indent) {
  return value.dump(indent, ' ', /*ensure_ascii=*/false, nlohmann::json::error_handler_t::replace);
}

void write_json_atomic(const std::filesystem::path& path, const nlohmann::json& value) {
  write_file_atomic(path, json_text(value, 2) + "\n");
}

}  // namespace gptbench::io
