#include "json_lines.h"  // this file's declarations

#include <fmt/format.h>  // fmt::format

#include "gptbench/io/json_input.h"  // check_json_depth
#include "gptbench/util/check.h"     // GPTBENCH_CHECK
#include "gptbench/util/error.h"  // gptbench::Error

namespace gptbench::data {
namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

bool is_blank(std::string_view line) { return line.find_first_not_of(" \t\r") == std::string_view::npos; }

// nlohmann's what() starts with "[json.exception.parse_error.101] "; keep what follows. Its
// "last read: '...'" quotes raw input bytes, which may be invalid UTF-8 and would then break the
// JSON error report that carries this message: bytes above 0x7F are written as \xHH.
std::string parse_error_message(const std::exception& e) {
  std::string_view message = e.what();
  if (const auto close = message.find("] "); message.rfind("[json.exception.", 0) == 0 && close != std::string::npos) {
    message.remove_prefix(close + 2);
  }
  // Each line is parsed on its own, so nlohmann's "line 1" would contradict FILE:LINE.
  constexpr std::string_view kLineOne = "at line 1, column ";
  std::string text(message);
  if (const auto at = text.find(kLineOne); at != std::string::npos) text.replace(at, kLineOne.size(), "at column ");
  std::string out;
  for (const char c : text) {
    const auto b = static_cast<unsigned char>(c);
    if (b >= 0x80) {
      out += fmt::format("\\x{:02X}", b);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

void for_each_json_line(std::string_view content, const std::string& file,
                        const std::function<void(const nlohmann::json&, int64_t)>& visit) {
  if (content.substr(0, kUtf8Bom.size()) == kUtf8Bom) content.remove_prefix(kUtf8Bom.size());
  io::check_json_depth(content, file);
  int64_t line_number = 0;
  std::size_t start = 0;
  while (start < content.size()) {
    std::size_t end = content.find('\n', start);
    if (end == std::string_view::npos) end = content.size();
    std::string_view line = content.substr(start, end - start);
    start = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (is_blank(line)) continue;
    nlohmann::json value;
    try {
      value = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {
      throw Error(fmt::format("{}:{}: invalid JSON: {}", file, line_number, parse_error_message(e)));
    }
    GPTBENCH_CHECK(value.is_object(), "{}:{}: expected a JSON object, found {}", file, line_number, value.type_name());
    visit(value, line_number);
  }
}

std::optional<std::string> optional_string_field(const nlohmann::json& object, const char* name,
                                                 const std::string& file, int64_t line) {
  if (!object.contains(name)) return std::nullopt;
  return string_field(object, name, file, line);
}

std::string string_field(const nlohmann::json& object, const char* name, const std::string& file, int64_t line) {
  const auto it = object.find(name);
  GPTBENCH_CHECK(it != object.end(), "{}:{}: field '{}' is missing", file, line, name);
  GPTBENCH_CHECK(it->is_string(), "{}:{}: field '{}' must be a string, found {}", file, line, name, it->type_name());
  return it->get<std::string>();
}

}  // namespace gptbench::data
