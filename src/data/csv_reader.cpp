#include "gptbench/data/csv_reader.h"  // CsvTable, parse_csv

#include <algorithm>      // std::count, std::find
#include <string_view>    // std::string_view
#include <unordered_set>  // std::unordered_set

#include "gptbench/io/atomic_file.h"   // read_file
#include "gptbench/io/message_text.h"  // in_quotes
#include "gptbench/util/check.h"       // GPTBENCH_CHECK

namespace gptbench::data {
namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

class CsvParser {
 public:
  CsvParser(std::string_view s, const std::string& source) : s_(s), source_(source) {
    if (s_.substr(0, kUtf8Bom.size()) == kUtf8Bom) pos_ = kUtf8Bom.size();
  }

  // Parses the record starting at pos_; false at the end of the input.
  bool next_record(CsvRow& row) {
    skip_blank_lines();
    if (pos_ >= s_.size()) return false;
    row.line = line_;
    row.fields.clear();
    while (true) {
      row.fields.emplace_back();
      std::string& field = row.fields.back();
      if (pos_ < s_.size() && s_[pos_] == '"') {
        read_quoted(field);
      } else {
        read_unquoted(field);
      }
      if (pos_ >= s_.size()) return true;  // last record without a final newline
      const char c = s_[pos_];
      if (c == ',') {
        ++pos_;
        continue;
      }
      if (c == '\n') {
        ++pos_;
        ++line_;
        return true;
      }
      // Only "\r\n" can be left here: read_* reject anything else.
      pos_ += 2;
      ++line_;
      return true;
    }
  }

 private:
  void skip_blank_lines() {
    while (pos_ < s_.size()) {
      if (s_[pos_] == '\n') {
        pos_ += 1;
      } else if (s_[pos_] == '\r' && pos_ + 1 < s_.size() && s_[pos_ + 1] == '\n') {
        pos_ += 2;
      } else {
        return;
      }
      ++line_;
    }
  }

  // Leaves pos_ on the delimiter (',' '\n' "\r\n") or at the end.
  void read_unquoted(std::string& field) {
    const std::size_t start = pos_;
    while (pos_ < s_.size()) {
      const char c = s_[pos_];
      if (c == ',' || c == '\n') break;
      GPTBENCH_CHECK(c != '"', "{}:{}: quote inside an unquoted field (RFC 4180 fields with quotes must be quoted)",
                     source_, line_);
      if (c == '\r') {
        GPTBENCH_CHECK(pos_ + 1 < s_.size() && s_[pos_ + 1] == '\n',
                       "{}:{}: carriage return not followed by a newline outside quotes", source_, line_);
        break;
      }
      ++pos_;
    }
    field.assign(s_.data() + start, pos_ - start);
  }

  void read_quoted(std::string& field) {
    const std::size_t start_line = line_;
    ++pos_;  // opening quote
    while (true) {
      const std::size_t quote = s_.find('"', pos_);
      GPTBENCH_CHECK(quote != std::string_view::npos, "{}:{}: unterminated quoted field", source_, start_line);
      const std::string_view chunk = s_.substr(pos_, quote - pos_);
      field.append(chunk);
      line_ += static_cast<std::size_t>(std::count(chunk.begin(), chunk.end(), '\n'));
      pos_ = quote + 1;
      if (pos_ < s_.size() && s_[pos_] == '"') {  // "" is an escaped quote
        field.push_back('"');
        ++pos_;
        continue;
      }
      break;
    }
    if (pos_ >= s_.size()) return;
    const char c = s_[pos_];
    const bool crlf = c == '\r' && pos_ + 1 < s_.size() && s_[pos_ + 1] == '\n';
    GPTBENCH_CHECK(c == ',' || c == '\n' || crlf, "{}:{}: unexpected character after a closing quote", source_, line_);
  }

  std::string_view s_;
  const std::string& source_;
  std::size_t pos_ = 0;
  std::size_t line_ = 1;
};

}  // namespace

std::size_t CsvTable::column(std::string_view name) const {
  const auto it = std::find(header.begin(), header.end(), name);
  GPTBENCH_CHECK(it != header.end(), "{}: no column named '{}'", source, name);
  return static_cast<std::size_t>(it - header.begin());
}

CsvTable parse_csv(std::string_view content, const std::string& source) {
  CsvTable table;
  table.source = source;
  CsvParser parser(content, source);
  CsvRow row;
  GPTBENCH_CHECK(parser.next_record(row), "{}: empty file, no header row", source);
  table.header = std::move(row.fields);
  std::unordered_set<std::string_view> names;  // a set: a header of 100,000 columns stays linear
  for (std::size_t i = 0; i < table.header.size(); ++i) {
    GPTBENCH_CHECK(!table.header[i].empty(), "{}:{}: header column {} has no name", source, row.line, i + 1);
    // Quoted and escaped: a name may hold a newline or invalid UTF-8, the message must stay one line.
    GPTBENCH_CHECK(names.insert(table.header[i]).second, "{}:{}: duplicate column name {}", source, row.line,
                   io::in_quotes(table.header[i]));
  }
  while (parser.next_record(row)) {
    GPTBENCH_CHECK(row.fields.size() == table.header.size(), "{}:{}: expected {} fields, found {}", source, row.line,
                   table.header.size(), row.fields.size());
    table.rows.push_back(std::move(row));
  }
  return table;
}

CsvTable read_csv(const std::filesystem::path& path) {
  std::error_code ec;
  GPTBENCH_CHECK(std::filesystem::is_regular_file(path, ec), "CSV file {} does not exist or is not a regular file",
                 path.string());
  return parse_csv(io::read_file(path), path.string());
}

}  // namespace gptbench::data
