// tokenizer_dump: encodes texts with the tokenizer of a folder (text::load_tokenizer: GPT-2 BPE or
// SentencePiece) and writes one JSON line per text,
//   {"source": "...", "text": "..." | "hex": "...", "ids": [...], "ids_as_text": [...],
//    "decoded_hex": "..." (decode(ids_as_text)), "prompt_ids": [...] (prompt_ids(text))}
// ("hex" when the text is not valid UTF-8), for scripts/oracles/tokenizer_oracle.py (tiktoken) and
// scripts/oracles/sentencepiece_oracle.py (sentencepiece, transformers) to re-encode the very same
// strings and compare. For GPT-2 BPE it also checks decode(encode(x)) == x itself (SentencePiece
// round trips are judged by the oracle against the library's own decode).
// --decode-ids FILE instead reads lines of {"ids": [...]} and writes {"ids", "decoded_hex",
// "tokens_hex": [decode_token(id) ...]} (hex of the bytes) per line.
//
// usage: tokenizer_dump --tokenizer DIR --out FILE INPUT
//   INPUT: --jsonl FILE (lines of {"text": str} or {"hex": str})
//          --csv FILE [--raw] (every field of every row; decoded with decode_mixed_text unless --raw)
//          --lines FILE (each line with its "\n")   --whole FILE (the file as one text)
//          --decode-ids FILE
#include <cstdio>       // std::fprintf
#include <cstring>      // std::strcmp
#include <fstream>      // std::ifstream, std::ofstream
#include <functional>   // std::function
#include <iterator>     // std::istreambuf_iterator
#include <map>          // std::map, for the flags
#include <nlohmann/json.hpp>  // nlohmann::json
#include <string>       // std::string
#include <vector>       // std::vector

#include "gptbench/data/csv_reader.h"     // read_csv
#include "gptbench/data/text_decoding.h"  // decode_mixed_text
#include "gptbench/text/tokenizer.h"      // load_tokenizer, Tokenizer
#include "gptbench/text/utf8.h"           // is_valid_utf8
#include "gptbench/util/check.h"          // GPTBENCH_CHECK
#include "gptbench/util/tool_main.h"  // tool_main

namespace {

using gptbench::text::SpecialTokens;
using gptbench::text::Tokenizer;

struct Text {
  std::string source;
  std::string bytes;
};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  GPTBENCH_CHECK(in.good(), "cannot open {}", path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string from_hex(const std::string& hex, const std::string& where) {
  GPTBENCH_CHECK(hex.size() % 2 == 0, "{}: odd-length hex string", where);
  std::string out;
  for (std::size_t i = 0; i < hex.size(); i += 2) out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

std::string to_hex(const std::string& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (const unsigned char c : bytes) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

// Calls parse(json, "PATH:LINE") for each non-empty line of a JSON-lines file.
void for_each_json_line(const std::string& path, const std::function<void(const nlohmann::json&, const std::string&)>& parse) {
  const std::string content = read_file(path);
  std::size_t line_no = 0;
  for (std::size_t pos = 0; pos < content.size();) {
    std::size_t end = content.find('\n', pos);
    if (end == std::string::npos) end = content.size();
    const std::string line = content.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty()) parse(nlohmann::json::parse(line), path + ":" + std::to_string(line_no));
  }
}

std::vector<Text> read_texts(const std::map<std::string, std::string>& flags) {
  std::vector<Text> texts;
  if (flags.count("--jsonl")) {
    for_each_json_line(flags.at("--jsonl"), [&](const nlohmann::json& j, const std::string& where) {
      std::string bytes = j.contains("hex") ? from_hex(j.at("hex").get<std::string>(), where) : j.at("text").get<std::string>();
      texts.push_back({j.value("source", where), std::move(bytes)});
    });
  } else if (flags.count("--csv")) {
    const auto table = gptbench::data::read_csv(flags.at("--csv"));
    const bool raw = flags.count("--raw") != 0;
    gptbench::data::TextDecodingStats stats;
    for (std::size_t r = 0; r < table.rows.size(); ++r) {
      for (std::size_t c = 0; c < table.header.size(); ++c) {
        const std::string& field = table.rows[r].fields[c];
        std::string source = "row " + std::to_string(r + 1) + " (line " + std::to_string(table.rows[r].line) + ") " +
                             table.header[c];
        if (raw) {
          texts.push_back({std::move(source), field});
        } else {
          auto decoded = gptbench::data::decode_mixed_text(field);
          stats.add(decoded);
          texts.push_back({std::move(source), std::move(decoded.text)});
        }
      }
    }
    std::fprintf(stderr, "tokenizer_dump: %zu rows x %zu columns%s%s\n", table.rows.size(), table.header.size(),
                 raw ? "" : "; fields decoded: ", raw ? "" : stats.summary().c_str());
  } else if (flags.count("--lines")) {
    const std::string content = read_file(flags.at("--lines"));
    std::size_t line_no = 0;
    for (std::size_t pos = 0; pos < content.size();) {
      std::size_t end = content.find('\n', pos);
      end = end == std::string::npos ? content.size() : end + 1;
      texts.push_back({"line " + std::to_string(++line_no), content.substr(pos, end - pos)});
      pos = end;
    }
  } else if (flags.count("--whole")) {
    texts.push_back({"whole file", read_file(flags.at("--whole"))});
  } else {
    throw gptbench::UsageError("one of --jsonl, --csv, --lines, --whole is required");
  }
  return texts;
}

// --decode-ids: lines of {"ids": [...]}, each decoded whole and token by token.
int dump_decodings(const Tokenizer& tokenizer, const std::string& path, std::ofstream& out) {
  std::size_t lines = 0;
  for_each_json_line(path, [&](const nlohmann::json& line, const std::string&) {
    const auto ids = line.at("ids").get<std::vector<int32_t>>();
    nlohmann::json j;
    j["ids"] = ids;
    j["decoded_hex"] = to_hex(tokenizer.decode(ids));
    nlohmann::json tokens = nlohmann::json::array();
    for (const int32_t id : ids) tokens.push_back(to_hex(tokenizer.decode_token(id)));
    j["tokens_hex"] = std::move(tokens);
    out << j.dump() << '\n';
    ++lines;
  });
  std::fprintf(stderr, "tokenizer_dump: %zu id sequences decoded\n", lines);
  return 0;
}

int run(int argc, char** argv) {
  std::map<std::string, std::string> flags;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--raw") {
      flags[flag] = "1";
      continue;
    }
    if (i + 1 >= argc) throw gptbench::UsageError("flag " + flag + " needs a value");
    flags[flag] = argv[++i];
  }
  if (!flags.count("--tokenizer") || !flags.count("--out")) throw gptbench::UsageError("--tokenizer and --out are required");
  const auto tokenizer = gptbench::text::load_tokenizer(flags.at("--tokenizer"));
  std::fprintf(stderr, "tokenizer_dump: %s tokenizer, %d ids\n", tokenizer->kind().c_str(), tokenizer->vocab_size());
  std::ofstream out(flags.at("--out"), std::ios::binary);
  GPTBENCH_CHECK(out.good(), "cannot write {}", flags.at("--out"));
  if (flags.count("--decode-ids")) return dump_decodings(*tokenizer, flags.at("--decode-ids"), out);
  const auto texts = read_texts(flags);
  // GPT-2's byte-level BPE is exact on any bytes; SentencePiece's normalizer is not (the oracle judges it).
  const bool exact_round_trip = tokenizer->kind() == "gpt2-bpe";
  std::size_t round_trip_failures = 0;
  std::size_t tokens = 0;
  for (const Text& t : texts) {
    const auto ids = tokenizer->encode(t.bytes, SpecialTokens::kRecognize);
    const auto ids_as_text = tokenizer->encode(t.bytes, SpecialTokens::kAsText);
    const std::string decoded = tokenizer->decode(ids_as_text);
    tokens += ids.size();
    if (exact_round_trip && (tokenizer->decode(ids) != t.bytes || decoded != t.bytes)) {
      if (round_trip_failures++ < 5) std::fprintf(stderr, "round trip FAILED for %s\n", t.source.c_str());
    }
    nlohmann::json j;
    j["source"] = t.source;
    if (gptbench::text::is_valid_utf8(t.bytes)) {
      j["text"] = t.bytes;
    } else {
      j["hex"] = to_hex(t.bytes);
    }
    j["ids"] = ids;
    j["ids_as_text"] = ids_as_text;
    j["decoded_hex"] = to_hex(decoded);
    j["prompt_ids"] = tokenizer->prompt_ids(t.bytes);
    out << j.dump() << '\n';
  }
  std::fprintf(stderr, "tokenizer_dump: %zu texts, %zu tokens, %zu round-trip failures\n", texts.size(), tokens,
               round_trip_failures);
  return round_trip_failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) { return gptbench::tool_main("tokenizer_dump", argc, argv, run); }
