#include "gptbench/io/json_input.h"  // parse_json_strict, read_json_file, json_excerpt, kMaxJsonDepth

#include <exception>  // std::exception, caught around the excerpt dump
#include <set>        // std::set of the keys seen in one object
#include <string>     // std::string, std::to_string
#include <vector>     // std::vector, the stack of open objects

#include "gptbench/io/atomic_file.h"   // read_file
#include "gptbench/io/message_text.h"  // in_quotes, printable
#include "gptbench/util/error.h"       // gptbench::Error

namespace gptbench::io {
namespace {

// One open JSON object while parsing: the keys read so far and the key that led into it.
struct OpenObject {
  std::set<std::string> keys;
  std::string name;
};

// nlohmann prefixes messages with "[json.exception.parse_error.101] "; users need the rest.
std::string strip_exception_id(const std::string& message) {
  const auto close = message.find("] ");
  return close == std::string::npos ? message : message.substr(close + 2);
}

}  // namespace

void check_json_depth(std::string_view text, const std::string& source) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // the escaped character cannot end the string
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > kMaxJsonDepth) {
        throw Error(source + ": invalid JSON: nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
      }
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    }
  }
}

nlohmann::json parse_json_strict(std::string_view text, const std::string& source) {
  // nlohmann's lexer takes a NUL byte for the end of input and would accept "{}\0garbage";
  // JSON never contains a raw NUL, so any NUL is an error.
  if (const auto nul = text.find('\0'); nul != std::string_view::npos) {
    throw Error(source + ": invalid JSON: NUL byte at offset " + std::to_string(nul));
  }
  check_json_depth(text, source);
  std::vector<OpenObject> open;
  std::string last_key;  // the key whose value is parsed next: names a nested object
  std::string duplicate;  // first duplicate found, reported after parsing
  std::string duplicate_parent;

  auto callback = [&](int /*depth*/, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    using Event = nlohmann::json::parse_event_t;
    switch (event) {
      case Event::object_start:
        open.push_back({{}, last_key});
        break;
      case Event::object_end:
        if (!open.empty()) open.pop_back();
        break;
      case Event::key: {
        last_key = parsed.get<std::string>();
        if (!open.empty() && !open.back().keys.insert(last_key).second && duplicate.empty()) {
          duplicate = last_key;
          duplicate_parent = open.back().name;
          if (open.size() == 1) duplicate_parent.clear();
        }
        break;
      }
      default:
        break;
    }
    return true;
  };

  nlohmann::json result;
  try {
    result = nlohmann::json::parse(text.begin(), text.end(), callback);
  } catch (const nlohmann::json::exception& e) {
    throw Error(source + ": invalid JSON: " + printable(strip_exception_id(e.what())));
  }
  if (!duplicate.empty()) {
    if (duplicate_parent.empty()) {
      throw Error(source + ": duplicate key " + in_quotes(duplicate) + " in the top-level JSON object");
    }
    throw Error(source + ": duplicate key " + in_quotes(duplicate) + " inside " + in_quotes(duplicate_parent));
  }
  return result;
}

nlohmann::json read_json_file(const std::filesystem::path& path) {
  return parse_json_strict(read_file(path, kMaxJsonFileBytes), path.string());
}

std::string json_excerpt(const nlohmann::json& value) {
  try {
    return printable(value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  } catch (const std::exception&) {  // bad_alloc on a huge value: the message must still be written
    return "<value>";
  }
}

}  // namespace gptbench::io
