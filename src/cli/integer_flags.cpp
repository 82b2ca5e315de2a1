#include "integer_flags.h"  // check_integer_flags

#include <cerrno>   // errno, ERANGE
#include <cstdlib>  // std::strtoll, std::strtoull
#include <string>   // std::string

namespace gptbench::cli {
namespace {

// Parses like CLI11 (base 0) but reports what CLI11 lets through; syntax errors stay CLI11's to report.
std::string integer_problem(const std::string& text, bool is_unsigned) {
  errno = 0;
  char* end = nullptr;
  if (is_unsigned) {
    if (text.find('-') != std::string::npos) return "must not be negative, got " + text;
    std::strtoull(text.c_str(), &end, 0);
  } else {
    std::strtoll(text.c_str(), &end, 0);
  }
  if (errno == ERANGE) return "is out of the 64-bit integer range, got " + text;
  return "";
}

}  // namespace

void check_integer_flags(CLI::App& app) {
  for (CLI::Option* option : app.get_options()) {
    const std::string type = option->get_type_name();
    if (type != "INT" && type != "UINT") continue;
    const bool is_unsigned = type == "UINT";
    // No description: the help text stays as it is.
    option->check(CLI::Validator([is_unsigned](std::string& value) { return integer_problem(value, is_unsigned); }, ""));
  }
  for (CLI::App* sub : app.get_subcommands({})) check_integer_flags(*sub);
}

}  // namespace gptbench::cli
