#include "gptbench/io/message_text.h"  // in_quotes, printable

#include <fmt/format.h>  // fmt::format for \xNN escapes

namespace gptbench::io {
namespace {

// Long enough for any real tensor name, short enough to keep a message on one screen line.
constexpr size_t kMaxShownBytes = 200;

}  // namespace

std::string printable(std::string_view text) {
  std::string out;
  const size_t shown = text.size() < kMaxShownBytes ? text.size() : kMaxShownBytes;
  out.reserve(shown);
  for (size_t i = 0; i < shown; ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x20 || byte >= 0x7f || byte == '\\') {
      out += fmt::format("\\x{:02x}", byte);
    } else {
      out += static_cast<char>(byte);
    }
  }
  if (shown < text.size()) out += fmt::format("...({} bytes)", text.size());
  return out;
}

std::string in_quotes(std::string_view text) { return "'" + printable(text) + "'"; }

}  // namespace gptbench::io
