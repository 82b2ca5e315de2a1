// Reading a report's JSON for the report types' from_json: each accessor names the value by its
// key path ("latency.ttft.p50") when it is missing or of the wrong type, so a bad report fails in
// one line that says where.
#pragma once

#include <nlohmann/json.hpp>  // nlohmann::json

#include <cstdint>   // int64_t
#include <optional>  // std::optional
#include <string>    // std::string
#include <vector>    // std::vector

#include "gptbench/util/error.h"  // Error

namespace gptbench::report {

// A report that does not have the shape of its type: "latency.ttft.p50: expected a number".
class ReportError : public Error {
 public:
  explicit ReportError(const std::string& message) : Error(message) {}
};

// One JSON object of a report and its key path ("" for the whole report).
class JsonFields {
 public:
  // Throws ReportError unless `object` is an object.
  JsonFields(const nlohmann::json& object, std::string path);

  const std::string& path() const { return path_; }
  const nlohmann::json& value() const { return object_; }  // the object itself
  std::string path_of(const std::string& key) const;  // "latency" + "ttft" -> "latency.ttft"
  bool has(const std::string& key) const;              // present, null included
  bool is_null(const std::string& key) const;          // absent or null

  // Required values: ReportError when absent or of another type.
  double number(const std::string& key) const;
  int64_t integer(const std::string& key) const;
  bool boolean(const std::string& key) const;
  std::string string(const std::string& key) const;
  std::vector<double> numbers(const std::string& key) const;
  std::vector<int64_t> integers(const std::string& key) const;
  const nlohmann::json& any(const std::string& key) const;  // any JSON value, null included
  JsonFields object(const std::string& key) const;
  const nlohmann::json& raw_object(const std::string& key) const;  // an object kept as JSON
  std::vector<JsonFields> objects(const std::string& key) const;   // an array of objects: "key[3]", ...

  // Values that may be null or absent (nullopt then); ReportError when of another type.
  std::optional<double> optional_number(const std::string& key) const;
  std::optional<int64_t> optional_integer(const std::string& key) const;
  std::optional<bool> optional_boolean(const std::string& key) const;
  std::optional<std::string> optional_string(const std::string& key) const;

  [[noreturn]] void fail(const std::string& key, const std::string& expected) const;

 private:
  const nlohmann::json& required(const std::string& key, const std::string& expected) const;
  const nlohmann::json* present(const std::string& key) const;  // nullptr when absent or null

  const nlohmann::json& object_;
  std::string path_;
};

// null for nullopt, else the value: the one spelling of "does not apply" in every report.
template <class T>
nlohmann::json nullable(const std::optional<T>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

}  // namespace gptbench::report
