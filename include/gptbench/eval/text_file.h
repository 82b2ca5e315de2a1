// Reads the texts that `gptbench score` compares. Two layouts, chosen by the file name:
//   *.jsonl  one JSON value a line: a string, or an object whose "text" member is a string.
//            JSON escapes let a text hold newlines, which ROUGE-Lsum uses as sentence breaks.
//   other    plain UTF-8, one text a line; "\r\n" endings are accepted, a final newline does
//            not start another text, and an empty line is an empty text.
// A UTF-8 byte order mark at the start of the file is skipped in both layouts.
#pragma once

#include <filesystem>  // std::filesystem::path
#include <string>      // std::string
#include <vector>      // std::vector

namespace gptbench::eval {

enum class TextFileFormat { kPlainLines, kJsonLines };

// .jsonl (any case) -> kJsonLines, anything else -> kPlainLines.
TextFileFormat text_file_format(const std::filesystem::path& path);

// Throws gptbench::Error naming the file (and line) when the file cannot be read, a line is
// not valid UTF-8, or a JSONL line is not a string or an object with a string "text".
std::vector<std::string> read_texts(const std::filesystem::path& path);

}  // namespace gptbench::eval
