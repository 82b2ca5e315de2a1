// Gpt2Tokenizer on the real GPT-2 files (GPTBENCH_DATA_DIR/gpt2_tokenizer): ids pinned from
// tiktoken 0.14 (scripts/oracles/tokenizer_oracle.py's reference encoding), exact round trips,
// thread safety of the piece cache, and one-line errors for malformed files.
#include <gmock/gmock.h>  // testing::HasSubstr
#include <gtest/gtest.h>  // TEST, EXPECT_*

#include <filesystem>  // std::filesystem
#include <random>      // std::mt19937
#include <string>      // std::string
#include <vector>      // std::vector

#include "../support/temp_dir.h"  // test_support::TempDir
#include "concurrent_encodes.h"    // concurrent_encode_mismatches
#include "gptbench/text/gpt2_tokenizer.h"  // Gpt2Tokenizer
#include "gptbench/util/error.h"           // gptbench::Error

namespace gptbench::text {
namespace {

namespace fs = std::filesystem;
using Ids = std::vector<int32_t>;
using testing::HasSubstr;

fs::path tokenizer_dir() {
  const fs::path dir = fs::path(GPTBENCH_DATA_DIR) / "gpt2_tokenizer";
  if (!fs::is_directory(dir)) {
    ADD_FAILURE() << "shared data missing: " << dir << " (set GPTBENCH_DATA_DIR at configure time)";
  }
  return dir;
}

const Gpt2Tokenizer& tokenizer() {
  static const Gpt2Tokenizer t = Gpt2Tokenizer::from_dir(tokenizer_dir());
  return t;
}

TEST(Gpt2Tokenizer, PinnedIdsFromTiktoken) {
  const auto& t = tokenizer();
  EXPECT_EQ(t.encode("Hello world"), (Ids{15496, 995}));
  EXPECT_EQ(t.encode(" the"), (Ids{262}));
  EXPECT_EQ(t.encode("\n"), (Ids{198}));
  EXPECT_EQ(t.encode("  "), (Ids{220, 220}));
  EXPECT_EQ(t.encode("don't"), (Ids{9099, 470}));
  EXPECT_EQ(t.encode("I'M"), (Ids{40, 6, 44}));
  EXPECT_EQ(t.encode("2024"), (Ids{1238, 1731}));
  EXPECT_EQ(t.encode("\U0001F600"), (Ids{47249, 222}));
  EXPECT_EQ(t.encode("\u4e2d\u6587"), (Ids{40792, 23877, 229}));
  EXPECT_EQ(t.encode("caf\u00e9"), (Ids{66, 1878, 2634}));
  EXPECT_EQ(t.encode("\u00a0x"), (Ids{1849, 87}));
  EXPECT_EQ(t.encode("  hello  world\n\n"), (Ids{220, 23748, 220, 995, 628}));
  EXPECT_EQ(t.encode(""), (Ids{}));
}

TEST(Gpt2Tokenizer, SpecialTokenModes) {
  const auto& t = tokenizer();
  EXPECT_EQ(t.eos_id(), 50256);
  EXPECT_EQ(t.vocab_size(), 50257);
  EXPECT_EQ(t.encode("<|endoftext|>", SpecialTokens::kRecognize), (Ids{50256}));
  EXPECT_EQ(t.encode("<|endoftext|>", SpecialTokens::kAsText), (Ids{27, 91, 437, 1659, 5239, 91, 29}));
  EXPECT_EQ(t.encode("Hello<|endoftext|>world"), (Ids{15496, 50256, 6894}));
  EXPECT_EQ(t.encode("Hello<|endoftext|>world", SpecialTokens::kAsText),
            (Ids{15496, 27, 91, 437, 1659, 5239, 91, 29, 6894}));
  EXPECT_EQ(t.decode({50256}), "<|endoftext|>");
}

TEST(Gpt2Tokenizer, InvalidUtf8FollowsTheDocumentedRule) {
  // Reference: surrogateescape + regex split + tiktoken BPE per piece (tokenizer_oracle.py).
  const auto& t = tokenizer();
  EXPECT_EQ(t.encode("caf\xe9"), (Ids{66, 1878, 165}));
  EXPECT_EQ(t.encode("\xff\xfe"), (Ids{187, 186}));
  EXPECT_EQ(t.encode("S\xe3o Jo\xe3o"), (Ids{50, 159, 78, 5302, 159, 78}));
}

TEST(Gpt2Tokenizer, BothFileNamingsGiveTheSameTokenizer) {
  const auto dir = tokenizer_dir();
  const auto openai = Gpt2Tokenizer::from_files(dir / "encoder.json", dir / "vocab.bpe");
  const std::string text = "The quick brown fox jumps over the lazy dog. 1234 \u00e9\u00e8 \U0001F600";
  EXPECT_EQ(openai.encode(text), tokenizer().encode(text));
}

TEST(Gpt2Tokenizer, RoundTripsRandomBytes) {
  const auto& t = tokenizer();
  std::mt19937 rng(42);
  for (int iter = 0; iter < 3000; ++iter) {
    std::string s(rng() % 300, '\0');
    // Half the strings are uniform bytes; half lean on ASCII so that real merges happen.
    for (char& c : s) c = static_cast<char>(iter % 2 ? rng() % 256 : (rng() % 4 ? 32 + rng() % 95 : rng() % 256));
    EXPECT_EQ(t.decode(t.encode(s, SpecialTokens::kRecognize)), s);
    EXPECT_EQ(t.decode(t.encode(s, SpecialTokens::kAsText)), s);
  }
}

TEST(Gpt2Tokenizer, LongPiecesRoundTripAndAgreeAcrossPaths) {
  // Pieces above 128 bytes go through the heap merge; repeating a word must give repeated ids.
  const auto& t = tokenizer();
  std::string word = "Supercalifragilisticexpialidocious";
  const Ids one = t.encode(word);
  std::string spaced;
  for (int i = 0; i < 10; ++i) spaced += " " + word;  // 10 pieces of 35 bytes
  const Ids ten = t.encode(spaced);
  const Ids space_one = t.encode(" " + word);
  ASSERT_EQ(ten.size(), 10 * space_one.size());
  const std::string long_piece(1000, 'a');
  EXPECT_EQ(t.decode(t.encode(long_piece)), long_piece);
  EXPECT_FALSE(one.empty());
}

TEST(Gpt2Tokenizer, ConcurrentEncodesAgree) {
  std::vector<std::string> texts;
  for (int i = 0; i < 200; ++i) texts.push_back("Sentence number " + std::to_string(i) + " says hello to the world's cache.");
  for (int f : testing_support::concurrent_encode_mismatches(tokenizer(), texts, 4, 20)) EXPECT_EQ(f, 0);
}

TEST(Gpt2Tokenizer, DecodeRejectsIdsOutOfRange) {
  const auto& t = tokenizer();
  EXPECT_THAT([&] { (void)t.decode({15496, 50257}); }, testing::ThrowsMessage<Error>(HasSubstr("token id 50257")));
  EXPECT_THAT([&] { (void)t.decode_token(-1); }, testing::ThrowsMessage<Error>(HasSubstr("token id -1")));
}

// --- Malformed files: each error is one line naming the file (and the line of merges.txt).

class MalformedFiles : public testing::Test {
 protected:
  test_support::TempDir tmp_;
  const fs::path dir_ = tmp_.path();  // removed with everything in it after the test

  fs::path write(const std::string& name, const std::string& content) { return tmp_.write(name, content); }
  // The message of the Error thrown by loading these files (empty when nothing is thrown).
  static std::string load_error(const fs::path& vocab, const fs::path& merges) {
    try {
      (void)Gpt2Tokenizer::from_files(vocab, merges);
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << "multi-line message: " << e.what();
      return e.what();
    }
    return "";
  }
  std::string vocab_error(const std::string& vocab_json) {
    return load_error(write("vocab.json", vocab_json), tokenizer_dir() / "merges.txt");
  }
  std::string merges_error(const std::string& merges_txt) {
    return load_error(tokenizer_dir() / "vocab.json", write("merges.txt", merges_txt));
  }

};

TEST_F(MalformedFiles, VocabErrorsNameTheFile) {
  EXPECT_THAT(load_error(dir_ / "missing.json", tokenizer_dir() / "merges.txt"), HasSubstr("missing.json"));
  EXPECT_THAT(vocab_error("{\"a\": 0,"), testing::AllOf(HasSubstr("vocab.json"), HasSubstr("invalid JSON")));
  EXPECT_THAT(vocab_error("[1, 2]"), testing::AllOf(HasSubstr("vocab.json"), HasSubstr("JSON object")));
  EXPECT_THAT(vocab_error("{\"a\": \"zero\"}"), HasSubstr("non-integer id"));
  EXPECT_THAT(vocab_error("{\"a\": 0, \"b\": 0}"), HasSubstr("more than one token"));
  EXPECT_THAT(vocab_error("{\"a\": 0, \"b\": 5}"), HasSubstr("ids must be contiguous"));
  EXPECT_THAT(vocab_error("{\"a b\": 0}"), HasSubstr("byte alphabet"));
  EXPECT_THAT(vocab_error("{\"a\": 0, \"b\": 1}"), testing::AllOf(HasSubstr("vocab.json"), HasSubstr("no token for byte 0x00")));
}

TEST_F(MalformedFiles, MergesErrorsNameFileAndLine) {
  const std::string header = "#version: 0.2\n";
  EXPECT_THAT(merges_error(header + "\xc4\xa0 t\nthree parts here\n"),
              testing::AllOf(HasSubstr("merges.txt:3:"), HasSubstr("expected two tokens")));
  EXPECT_THAT(merges_error(header + "\xc4\xa0 zzqqxxjj\n"),
              testing::AllOf(HasSubstr("merges.txt:2:"), HasSubstr("'zzqqxxjj' is not in")));
  EXPECT_THAT(merges_error(header + "\xc4\xa0the \xc4\xa0the\n"),
              testing::AllOf(HasSubstr("merges.txt:2:"), HasSubstr("merged token")));
  EXPECT_THAT(merges_error(header + "\xc4\xa0 t\n\xc4\xa0 t\n"),
              testing::AllOf(HasSubstr("merges.txt:3:"), HasSubstr("duplicate merge"), HasSubstr("line 2")));
  EXPECT_THAT(merges_error(header + "\xc4\xa0 t\n\nh e\n"),
              testing::AllOf(HasSubstr("merges.txt:3:"), HasSubstr("blank line")));
  EXPECT_THAT(merges_error(header), HasSubstr("no merges"));
  // A valid two-merge file with CRLF line ends and no final newline loads.
  EXPECT_EQ(merges_error(header + "\xc4\xa0 t\r\nh e"), "");
}

TEST_F(MalformedFiles, FolderErrors) {
  EXPECT_THAT([&] { (void)Gpt2Tokenizer::from_dir(dir_ / "nope"); },
              testing::ThrowsMessage<Error>(HasSubstr("does not exist")));
  write("vocab.json", "{}");
  EXPECT_THAT([&] { (void)Gpt2Tokenizer::from_dir(dir_); },
              testing::ThrowsMessage<Error>(HasSubstr("has vocab.json but not merges.txt")));
}

}  // namespace
}  // namespace gptbench::text
