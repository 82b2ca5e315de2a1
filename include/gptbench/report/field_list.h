// One list of a report type's keys for both directions. A field list is a generic lambda
//   constexpr auto kToolFields = [](auto& io, auto& t) { io("name", t.name)("version", t.version); };
// that write_fields calls with a JsonWriter (t const) and read_fields with a JsonReader, so that a
// key is named once and to_json and from_json cannot drift apart. Each call returns the io, so a
// list reads as a table: several (key, member) pairs a line, in the order the struct declares them.
// A member's C++ type says how it is written and read (JsonFields names the key path of a value
// that does not fit):
//   std::string, int64_t, double, bool      the JSON value
//   std::vector<double>, <int64_t>          an array of numbers / integers
//   std::vector<Struct>                     an array of objects, each through Struct's to_json/from_json
//   std::optional<T>                        T, or null when empty (read: null or absent is empty)
//   nlohmann::json                          an object kept as JSON (its keys are not the report's)
//   any other struct                        an object through its to_json/from_json (found by ADL),
//                                           given the list's extra arguments: io("e2e", s, RawSamples::kOmit)
// Two keys differ from that: io.if_present(key, optional) is written only when set (older reports
// lack the key), and io.object_or_null(key, json) holds an object or null (profile).
#pragma once

#include <nlohmann/json.hpp>  // nlohmann::json

#include <cstdint>   // int64_t
#include <optional>  // std::optional
#include <string>    // std::string
#include <utility>   // std::move
#include <vector>    // std::vector

#include "gptbench/report/json_fields.h"  // JsonFields

namespace gptbench::report {

// The JSON of one member (declared first: the templates below call each other).
inline nlohmann::json json_value(const std::string& value) { return value; }
inline nlohmann::json json_value(int64_t value) { return value; }
inline nlohmann::json json_value(double value) { return value; }
inline nlohmann::json json_value(bool value) { return value; }
inline nlohmann::json json_value(const nlohmann::json& value) { return value; }
template <class T>
nlohmann::json json_value(const std::optional<T>& value);
template <class T>
nlohmann::json json_value(const std::vector<T>& values);
template <class Struct, class... Options>
nlohmann::json json_value(const Struct& value, Options... options);

template <class T>
nlohmann::json json_value(const std::optional<T>& value) {
  return value ? json_value(*value) : nlohmann::json(nullptr);
}

template <class T>
nlohmann::json json_value(const std::vector<T>& values) {
  nlohmann::json array = nlohmann::json::array();
  for (const T& value : values) array.push_back(json_value(value));
  return array;
}

template <class Struct, class... Options>
nlohmann::json json_value(const Struct& value, Options... options) {
  return to_json(value, options...);
}

// One member from the value at `key` of `in` (declared first, as above).
inline void read_value(const JsonFields& in, const std::string& key, std::string& value) { value = in.string(key); }
inline void read_value(const JsonFields& in, const std::string& key, int64_t& value) { value = in.integer(key); }
inline void read_value(const JsonFields& in, const std::string& key, double& value) { value = in.number(key); }
inline void read_value(const JsonFields& in, const std::string& key, bool& value) { value = in.boolean(key); }
inline void read_value(const JsonFields& in, const std::string& key, std::vector<double>& values) {
  values = in.numbers(key);
}
inline void read_value(const JsonFields& in, const std::string& key, std::vector<int64_t>& values) {
  values = in.integers(key);
}
inline void read_value(const JsonFields& in, const std::string& key, nlohmann::json& value) {
  value = in.raw_object(key);
}
template <class T>
void read_value(const JsonFields& in, const std::string& key, std::optional<T>& value);
template <class Struct>
void read_value(const JsonFields& in, const std::string& key, std::vector<Struct>& values);
template <class Struct, class... Options>
void read_value(const JsonFields& in, const std::string& key, Struct& value, Options... options);

template <class T>
void read_value(const JsonFields& in, const std::string& key, std::optional<T>& value) {
  if (in.is_null(key)) {
    value.reset();
  } else {
    read_value(in, key, value.emplace());
  }
}

template <class Struct>
void read_value(const JsonFields& in, const std::string& key, std::vector<Struct>& values) {
  values.clear();
  for (const JsonFields& element : in.objects(key)) from_json(element, values.emplace_back());
}

template <class Struct, class... Options>
void read_value(const JsonFields& in, const std::string& key, Struct& value, Options... options) {
  from_json(in.object(key), value, options...);
}

// The `io` a field list writes through.
class JsonWriter {
 public:
  template <class T, class... Options>
  JsonWriter& operator()(const std::string& key, const T& value, Options... options) {
    json_[key] = json_value(value, options...);
    return *this;
  }
  template <class T>
  JsonWriter& if_present(const std::string& key, const std::optional<T>& value) {
    if (value) json_[key] = json_value(*value);
    return *this;
  }
  JsonWriter& object_or_null(const std::string& key, const nlohmann::json& value) {
    json_[key] = value;
    return *this;
  }

  nlohmann::json take() { return std::move(json_); }

 private:
  nlohmann::json json_ = nlohmann::json::object();
};

// The `io` a field list reads through.
class JsonReader {
 public:
  explicit JsonReader(const JsonFields& in) : in_(in) {}

  template <class T, class... Options>
  const JsonReader& operator()(const std::string& key, T& value, Options... options) const {
    read_value(in_, key, value, options...);
    return *this;
  }
  template <class T>
  const JsonReader& if_present(const std::string& key, std::optional<T>& value) const {
    read_value(in_, key, value);
    return *this;
  }
  const JsonReader& object_or_null(const std::string& key, nlohmann::json& value) const {
    value = in_.is_null(key) ? nlohmann::json(nullptr) : in_.raw_object(key);
    return *this;
  }

 private:
  const JsonFields& in_;
};

// `s` as the JSON object its field list describes; `options` go to the list (a layout, RawSamples).
template <class Struct, class FieldList, class... Options>
nlohmann::json write_fields(const Struct& s, const FieldList& fields, Options... options) {
  JsonWriter out;
  fields(out, s, options...);
  return out.take();
}

// `s` from the object `in`, through the same list.
template <class Struct, class FieldList, class... Options>
void read_fields(const JsonFields& in, Struct& s, const FieldList& fields, Options... options) {
  JsonReader reader(in);
  fields(reader, s, options...);
}

}  // namespace gptbench::report
