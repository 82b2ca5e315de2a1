// The report tests' check that a bad report fails in one line naming the key path.
#pragma once

#include <nlohmann/json.hpp>  // nlohmann::json

#include <string>  // std::string

#include "gptbench/report/json_fields.h"  // ReportError

namespace gptbench::report {

// The message of the ReportError that `read` (run_report_from_json, ...) throws on `json`; "" when none.
template <class Read>
std::string report_error(Read read, const nlohmann::json& json) {
  try {
    read(json);
  } catch (const ReportError& e) {
    return e.what();
  }
  return "";
}

}  // namespace gptbench::report
