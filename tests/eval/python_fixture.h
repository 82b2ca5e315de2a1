// Runs tests/eval/oracle_fixture.py with the project's Python (the venv with rouge-score,
// sacreBLEU and NLTK) and returns its JSON, so the expected values come from the references
// at test time. A missing interpreter or a failing script fails the test; nothing is skipped.
#pragma once

#include <gtest/gtest.h>  // ADD_FAILURE

#include <cstddef>  // std::size_t
#include <cstdio>   // popen, pclose, fread
#include <string>  // std::string

#include <nlohmann/json.hpp>  // nlohmann::json

namespace gptbench::eval::testing {

inline nlohmann::json run_oracle_fixture(const std::string& mode) {
  const std::string command = std::string("'") + GPTBENCH_PYTHON + "' '" + GPTBENCH_SOURCE_DIR +
                              "/tests/eval/oracle_fixture.py' " + mode;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    ADD_FAILURE() << "cannot start: " << command;
    return nullptr;
  }
  std::string out;
  char buffer[1 << 16];
  std::size_t got;
  while ((got = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, got);
  const int status = pclose(pipe);
  if (status != 0 || out.empty()) {
    ADD_FAILURE() << "oracle fixture failed (status " << status << "): " << command;
    return nullptr;
  }
  return nlohmann::json::parse(out);
}

// The array `key` of `mode`'s fixture, holding more than `more_than` cases; a test failure (and an
// empty array) when the script fails, the key is missing or the array is shorter.
inline nlohmann::json oracle_cases(const std::string& mode, const std::string& key, std::size_t more_than) {
  const nlohmann::json fixture = run_oracle_fixture(mode);
  if (!fixture.is_object() || !fixture.contains(key) || !fixture[key].is_array()) {
    ADD_FAILURE() << "oracle fixture " << mode << ": no array \"" << key << "\"";
    return nlohmann::json::array();
  }
  if (fixture[key].size() <= more_than) {
    ADD_FAILURE() << "oracle fixture " << mode << ": " << fixture[key].size() << " cases in \"" << key
                  << "\", expected more than " << more_than;
    return nlohmann::json::array();
  }
  return fixture[key];
}

}  // namespace gptbench::eval::testing
