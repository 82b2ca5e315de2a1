// Key-path-naming accessors for the report types' from_json (json_fields.h).
#include "gptbench/report/json_fields.h"  // this file's declarations

#include <fmt/format.h>  // fmt::format

namespace gptbench::report {
namespace {

std::string json_type(const nlohmann::json& value) { return value.type_name(); }

}  // namespace

JsonFields::JsonFields(const nlohmann::json& object, std::string path) : object_(object), path_(std::move(path)) {
  if (!object_.is_object())
    throw ReportError(fmt::format("{}: expected an object, found {}", path_.empty() ? "report" : path_,
                                  json_type(object_)));
}

std::string JsonFields::path_of(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }

bool JsonFields::has(const std::string& key) const { return object_.contains(key); }

bool JsonFields::is_null(const std::string& key) const { return present(key) == nullptr; }

const nlohmann::json* JsonFields::present(const std::string& key) const {
  const auto it = object_.find(key);
  return it == object_.end() || it->is_null() ? nullptr : &*it;
}

void JsonFields::fail(const std::string& key, const std::string& expected) const {
  const auto it = object_.find(key);
  throw ReportError(it == object_.end()
                        ? fmt::format("{}: missing (expected {})", path_of(key), expected)
                        : fmt::format("{}: expected {}, found {}", path_of(key), expected, json_type(*it)));
}

const nlohmann::json& JsonFields::required(const std::string& key, const std::string& expected) const {
  const auto it = object_.find(key);
  if (it == object_.end()) fail(key, expected);
  return *it;
}

const nlohmann::json& JsonFields::any(const std::string& key) const { return required(key, "a value"); }

double JsonFields::number(const std::string& key) const {
  const nlohmann::json& v = required(key, "a number");
  if (!v.is_number()) fail(key, "a number");
  return v.get<double>();
}

int64_t JsonFields::integer(const std::string& key) const {
  const nlohmann::json& v = required(key, "an integer");
  if (!v.is_number_integer()) fail(key, "an integer");
  return v.get<int64_t>();
}

bool JsonFields::boolean(const std::string& key) const {
  const nlohmann::json& v = required(key, "true or false");
  if (!v.is_boolean()) fail(key, "true or false");
  return v.get<bool>();
}

std::string JsonFields::string(const std::string& key) const {
  const nlohmann::json& v = required(key, "a string");
  if (!v.is_string()) fail(key, "a string");
  return v.get<std::string>();
}

// The elements of the array under `key`, each checked by `is_element`.
template <class T, class IsElement>
std::vector<T> elements(const JsonFields& in, const nlohmann::json& array, const std::string& key,
                        IsElement is_element, const char* element) {
  std::vector<T> out;
  for (size_t i = 0; i < array.size(); ++i) {
    if (!is_element(array[i]))
      throw ReportError(fmt::format("{}[{}]: expected {}, found {}", in.path_of(key), i, element, json_type(array[i])));
    out.push_back(array[i].template get<T>());
  }
  return out;
}

std::vector<double> JsonFields::numbers(const std::string& key) const {
  const nlohmann::json& v = required(key, "an array of numbers");
  if (!v.is_array()) fail(key, "an array of numbers");
  return elements<double>(*this, v, key, [](const nlohmann::json& x) { return x.is_number(); }, "a number");
}

std::vector<int64_t> JsonFields::integers(const std::string& key) const {
  const nlohmann::json& v = required(key, "an array of integers");
  if (!v.is_array()) fail(key, "an array of integers");
  return elements<int64_t>(*this, v, key, [](const nlohmann::json& x) { return x.is_number_integer(); }, "an integer");
}

JsonFields JsonFields::object(const std::string& key) const { return JsonFields(raw_object(key), path_of(key)); }

const nlohmann::json& JsonFields::raw_object(const std::string& key) const {
  const nlohmann::json& v = required(key, "an object");
  if (!v.is_object()) fail(key, "an object");
  return v;
}

std::vector<JsonFields> JsonFields::objects(const std::string& key) const {
  const nlohmann::json& v = required(key, "an array of objects");
  if (!v.is_array()) fail(key, "an array of objects");
  std::vector<JsonFields> out;
  for (size_t i = 0; i < v.size(); ++i) out.emplace_back(v[i], fmt::format("{}[{}]", path_of(key), i));
  return out;
}

std::optional<double> JsonFields::optional_number(const std::string& key) const {
  if (is_null(key)) return std::nullopt;
  return number(key);
}

std::optional<int64_t> JsonFields::optional_integer(const std::string& key) const {
  if (is_null(key)) return std::nullopt;
  return integer(key);
}

std::optional<bool> JsonFields::optional_boolean(const std::string& key) const {
  if (is_null(key)) return std::nullopt;
  return boolean(key);
}

std::optional<std::string> JsonFields::optional_string(const std::string& key) const {
  if (is_null(key)) return std::nullopt;
  return string(key);
}

}  // namespace gptbench::report
