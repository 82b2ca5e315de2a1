// Integers read from JSON land in the type that holds them, with a range check: nlohmann's get<T>()
// wraps (4294967301 read as int32 is 5) and truncates floats (2.5 read as int is 2) silently.
#pragma once

#include <nlohmann/json.hpp>  // nlohmann::json

#include <cstdint>  // int64_t, uint64_t
#include <limits>   // std::numeric_limits
#include <string>   // std::string, std::to_string
#include <type_traits>  // std::is_signed_v

#include "gptbench/io/json_input.h"  // json_excerpt
#include "gptbench/util/error.h"     // gptbench::Error

namespace gptbench::io {

// `value` as a T in [min, max]; throws gptbench::Error "WHAT must be an integer in [MIN, MAX], got
// VALUE" for a non-integer (floats, strings, ...) or an integer outside the range. `what` names the
// file and key (or line and field).
template <typename T>
T json_integer(const nlohmann::json& value, const std::string& what, T min = std::numeric_limits<T>::min(),
               T max = std::numeric_limits<T>::max()) {
  bool in_range = false;
  if (value.is_number_unsigned()) {  // nlohmann keeps every non-negative integer as unsigned
    const auto v = value.get<uint64_t>();
    in_range = max >= T{0} && v <= static_cast<uint64_t>(max) && (min <= T{0} || v >= static_cast<uint64_t>(min));
  } else if (value.is_number_integer()) {  // negative
    const auto v = value.get<int64_t>();
    if constexpr (std::is_signed_v<T>) in_range = v >= static_cast<int64_t>(min) && v <= static_cast<int64_t>(max);
  }
  if (!in_range) {
    throw Error(what + " must be an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "], got " +
                json_excerpt(value));
  }
  return value.get<T>();
}

}  // namespace gptbench::io
