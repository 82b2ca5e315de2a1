// Reading prediction/reference texts, one a line; see text_file.h for the layout rules.
#include "gptbench/eval/text_file.h"  // this file's declarations

#include <fmt/format.h>  // fmt::format for error messages

#include <unistd.h>  // access, R_OK

#include <cctype>       // std::tolower
#include <cerrno>       // errno
#include <cstring>      // std::strerror
#include <string_view>  // std::string_view

#include <nlohmann/json.hpp>  // nlohmann::json::parse

#include "gptbench/eval/python_text.h"  // find_invalid_utf8
#include "gptbench/io/atomic_file.h"    // read_file
#include "gptbench/io/json_input.h"     // check_json_depth
#include "gptbench/util/check.h"        // GPTBENCH_CHECK
#include "gptbench/util/error.h"        // gptbench::Error

namespace gptbench::eval {

namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

std::string read_all(const std::filesystem::path& path) {
  std::error_code ec;
  GPTBENCH_CHECK(!std::filesystem::is_directory(path, ec), "{}: is a directory, not a text file",
                 path.string());
  GPTBENCH_CHECK(::access(path.c_str(), R_OK) == 0, "{}: cannot open: {}", path.string(), std::strerror(errno));
  return io::read_file(path);  // regular files only: a FIFO is refused, not waited on
}

// Lines without their "\n"; a final newline does not open another (empty) line.
std::vector<std::string_view> split_lines(std::string_view content) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start < content.size()) {
    const std::size_t nl = content.find('\n', start);
    if (nl == std::string_view::npos) {
      lines.push_back(content.substr(start));
      break;
    }
    lines.push_back(content.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

std::string parse_json_line(std::string_view line, const std::string& where) {
  GPTBENCH_CHECK(!line.empty() && line != "\r",
                 "{}: empty line; a .jsonl file needs one JSON value a line", where);
  nlohmann::json value;
  try {
    io::check_json_depth(line, where);
    value = nlohmann::json::parse(line);
  } catch (const nlohmann::json::exception& e) {  // parse_error, or out_of_range for 1e400
    throw Error(fmt::format("{}: bad JSON: {}", where, e.what()));
  }
  if (value.is_string()) return value.get<std::string>();
  GPTBENCH_CHECK(value.is_object() && value.contains("text") && value["text"].is_string(),
                 "{}: expected a JSON string or an object with a string \"text\" member", where);
  return value["text"].get<std::string>();
}

}  // namespace

TextFileFormat text_file_format(const std::filesystem::path& path) {
  std::string ext = path.extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext == ".jsonl" ? TextFileFormat::kJsonLines : TextFileFormat::kPlainLines;
}

std::vector<std::string> read_texts(const std::filesystem::path& path) {
  const std::string content = read_all(path);
  std::string_view view = content;
  if (view.substr(0, kUtf8Bom.size()) == kUtf8Bom) view.remove_prefix(kUtf8Bom.size());
  const TextFileFormat format = text_file_format(path);
  std::vector<std::string> texts;
  const std::vector<std::string_view> lines = split_lines(view);
  texts.reserve(lines.size());
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string where = fmt::format("{}:{}", path.string(), i + 1);
    std::string_view line = lines[i];
    if (format == TextFileFormat::kPlainLines && !line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    const std::size_t bad = find_invalid_utf8(line);
    GPTBENCH_CHECK(bad == std::string_view::npos, "{}: not valid UTF-8 (byte {} of the line)",
                   where, bad + 1);
    texts.push_back(format == TextFileFormat::kJsonLines ? parse_json_line(line, where)
                                                         : std::string(line));
  }
  return texts;
}

}  // namespace gptbench::eval
