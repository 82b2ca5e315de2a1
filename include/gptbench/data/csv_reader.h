// RFC 4180 CSV reader: quoted fields may span lines, "" inside quotes is one quote, records end
// with \n or \r\n. The first record is the header. Fields are returned as raw bytes (no decoding;
// see text_decoding.h). Blank lines between records are skipped, as pandas and Python's csv do.
#pragma once

#include <cstddef>      // std::size_t
#include <filesystem>   // std::filesystem::path
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <vector>       // std::vector

namespace gptbench::data {

struct CsvRow {
  std::size_t line;  // 1-based line where the record starts
  std::vector<std::string> fields;
};

struct CsvTable {
  std::string source;  // the file name, for messages
  std::vector<std::string> header;
  std::vector<CsvRow> rows;  // each has header.size() fields

  // Index of the named column; throws gptbench::Error naming the file when it is absent.
  std::size_t column(std::string_view name) const;
};

// Throws gptbench::Error "SOURCE:LINE: ..." on an unterminated quote, a stray quote, text after a
// closing quote, a bare CR, a wrong field count, an empty or duplicate header name, or no header.
CsvTable parse_csv(std::string_view content, const std::string& source);

// Reads and parses a file; the error names the path.
CsvTable read_csv(const std::filesystem::path& path);

}  // namespace gptbench::data
