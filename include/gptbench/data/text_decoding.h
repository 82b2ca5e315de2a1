// Deliberate decoding of dataset text that mixes UTF-8 with Windows-1252/Latin-1 bytes, such as
// news_summary.csv (see its PROVENANCE.md: mostly CP1252 single bytes, some real UTF-8 Tamil and
// Devanagari, some broken UTF-8 sequences, sometimes within one field).
//
// Rule, per character: a byte sequence that is valid UTF-8 is kept as it is; every byte that is
// not part of a valid UTF-8 sequence is read as Windows-1252 as the WHATWG Encoding Standard
// defines it, where the five bytes CP1252 leaves undefined (0x81 0x8D 0x8F 0x90 0x9D) become the
// Latin-1 C1 controls U+0081.. . The result is always valid UTF-8 and no byte is lost. A per-field
// rule (all UTF-8 or all CP1252) would turn a field's genuine Tamil into mojibake because of one
// stray 0xA0 elsewhere in it; genuine CP1252 text is almost never valid UTF-8 by accident.
#pragma once

#include <cstddef>      // std::size_t
#include <string>       // std::string
#include <string_view>  // std::string_view

namespace gptbench::data {

// Which path a field took: all ASCII; valid UTF-8 with non-ASCII; at least one byte read as CP1252.
enum class TextDecodingPath { kAscii, kUtf8, kCp1252 };

struct DecodedText {
  std::string text;  // valid UTF-8
  TextDecodingPath path;
  std::size_t cp1252_bytes;  // bytes that were read as Windows-1252
};

DecodedText decode_mixed_text(std::string_view bytes);

// Counts of fields per path, for the report a dataset reader prints.
struct TextDecodingStats {
  std::size_t ascii = 0;
  std::size_t utf8 = 0;
  std::size_t cp1252 = 0;
  std::size_t cp1252_bytes = 0;

  void add(const DecodedText& decoded);
  // e.g. "26113 ascii, 15 utf-8, 956 with cp1252 bytes (5230 bytes)"
  std::string summary() const;
};

}  // namespace gptbench::data
