// Quoting of untrusted text (tensor names, JSON keys, parser excerpts) inside error messages.
// Messages must stay one line of valid UTF-8 even when a corrupt file supplies the text.
#pragma once

#include <string>       // std::string
#include <string_view>  // std::string_view

namespace gptbench::io {

// Returns `text` in single quotes with control and non-ASCII bytes written as \xNN, cut
// after a few hundred bytes so a megabyte-long name cannot flood the terminal.
std::string in_quotes(std::string_view text);

// Same escaping without quotes, for excerpts of third-party messages.
std::string printable(std::string_view text);

}  // namespace gptbench::io
