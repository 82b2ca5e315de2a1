// SentencePieceTokenizer and train_sentencepiece on a model trained here from the shared news text
// (vocab 1000, as `gptbench init` trains 32000): determinism of the trainer, byte fallback and
// unknown pieces, the special-token modes, BOS (and build_prompt's use of it), round trips,
// threads, load_tokenizer's choice of files and one-line errors for bad files. Ids equal to the sentencepiece Python package and
// transformers are checked by scripts/oracles/sentencepiece_oracle.py (ctest sentencepiece_oracle_*).
#include <gmock/gmock.h>  // testing::HasSubstr
#include <gtest/gtest.h>  // TEST, EXPECT_*

#include <sys/stat.h>  // mkfifo

#include <algorithm>   // std::count_if, std::equal, std::find
#include <filesystem>  // std::filesystem
#include <fstream>     // std::ofstream, std::ifstream
#include <iterator>    // std::istreambuf_iterator
#include <string>      // std::string
#include <utility>     // std::pair
#include <vector>      // std::vector

#include "gptbench/data/prompt.h"                   // build_prompt, PromptOptions
#include "gptbench/data/tokenizer_corpus.h"         // news_tokenizer_corpus
#include "gptbench/text/sentencepiece_tokenizer.h"  // SentencePieceTokenizer
#include "../support/temp_dir.h"  // test_support::TempDir
#include "concurrent_encodes.h"    // concurrent_encode_mismatches
#include "gptbench/text/sentencepiece_trainer.h"    // train_sentencepiece, train_sentencepiece_model
#include "gptbench/text/tokenizer.h"                // load_tokenizer, tokenizer_files, Tokenizer, SpecialTokens
#include "gptbench/util/error.h"                    // gptbench::Error

namespace gptbench::text {
namespace {

namespace fs = std::filesystem;
using Ids = std::vector<int32_t>;
using testing::HasSubstr;

const std::vector<std::string>& corpus() {
  static const std::vector<std::string> sentences = data::news_tokenizer_corpus(GPTBENCH_DATA_DIR);
  return sentences;
}

// tokenizer.model files trained once per build of this test (ctest runs each test in its own process):
// "bytes" (byte fallback) and "unk" (none), in a folder named after this executable's modification time.
fs::path model_dir(bool byte_fallback) {
  static const fs::path root =
      fs::temp_directory_path() /
      ("gptbench_spm_test_" + std::to_string(fs::last_write_time("/proc/self/exe").time_since_epoch().count()));
  const fs::path dir = root / (byte_fallback ? "bytes" : "unk");
  if (!fs::exists(dir / "tokenizer.model")) {
    fs::create_directories(dir);
    SentencePieceTrainOptions options;
    options.vocab_size = 1000;
    options.byte_fallback = byte_fallback;
    if (!byte_fallback) options.character_coverage = 0.98;  // rare characters become <unk>
    train_sentencepiece(corpus(), options, dir / "tokenizer.model");
  }
  return dir;
}

const SentencePieceTokenizer& tokenizer() {
  static const SentencePieceTokenizer t = SentencePieceTokenizer::from_dir(model_dir(true));
  return t;
}

std::string cat_tokens(const Tokenizer& t, const Ids& ids) {
  std::string s;
  for (const int32_t id : ids) s += t.decode_token(id);
  return s;
}

TEST(SentencePieceTrainer, SameBytesEveryRunAndOptionsMatter) {
  const std::vector<std::string> part(corpus().begin(), corpus().begin() + 2000);  // a faster training
  SentencePieceTrainOptions options;
  options.vocab_size = 600;
  const std::string first = train_sentencepiece_model(part, options);
  const std::string second = train_sentencepiece_model(part, options);
  EXPECT_GT(first.size(), 1000u);
  EXPECT_TRUE(first == second) << "two trainings on the same text gave different models";
  options.vocab_size = 700;
  EXPECT_NE(train_sentencepiece_model(part, options), first);
}

TEST(SentencePieceTrainer, RefusesWithTheTrainersMessage) {
  SentencePieceTrainOptions options;
  options.vocab_size = 5;  // fewer than the meta pieces and characters
  EXPECT_THAT([&] { (void)train_sentencepiece_model({"a tiny corpus"}, options); },
              testing::ThrowsMessage<Error>(HasSubstr("sentencepiece training (vocab_size 5) failed")));
  EXPECT_THAT([&] { (void)train_sentencepiece_model({}, options); },
              testing::ThrowsMessage<Error>(HasSubstr("no sentences")));
}

TEST(SentencePieceTokenizer, LlamaLayoutOfSpecialIds) {
  const auto& t = tokenizer();
  EXPECT_EQ(t.kind(), "sentencepiece");
  EXPECT_EQ(t.vocab_size(), 1000);
  EXPECT_EQ(t.bos_id(), 1);
  EXPECT_EQ(t.eos_id(), 2);
  EXPECT_TRUE(t.adds_bos());
  EXPECT_EQ(t.encode(""), Ids{});
  EXPECT_EQ(t.prompt_ids(""), Ids{1});
  const Ids hello = t.encode("Hello world");
  Ids with_bos{1};
  with_bos.insert(with_bos.end(), hello.begin(), hello.end());
  EXPECT_EQ(t.prompt_ids("Hello world"), with_bos);
}

TEST(SentencePieceTokenizer, ByteFallbackSpellsUnseenCharactersInBytes) {
  const auto& t = tokenizer();
  for (const std::string s : {"\U0001F600", "\u4e2d\u6587", "\u05e2\u05d1\u05e8\u05d9\u05ea", "\t", "\x01"}) {
    const Ids ids = t.encode(s, SpecialTokens::kAsText);
    ASSERT_FALSE(ids.empty()) << s;
    EXPECT_EQ(cat_tokens(t, ids), " " + s);  // the dummy-prefix space, then the text
    EXPECT_EQ(t.decode(ids), s);
  }
  // The emoji is not in a 1000-piece vocabulary: "▁" then one byte piece per UTF-8 byte.
  EXPECT_EQ(t.encode("\U0001F600", SpecialTokens::kAsText).size(), 5u);
}

TEST(SentencePieceTokenizer, DecodeRoundTripsValidUtf8AndKeepsWhitespace) {
  const auto& t = tokenizer();
  for (const std::string s : {"  two  spaces  ", " leading", "trailing ", "tabs\t\tand\nnew\r\nlines\n\n", "12345 67",
                              "caf\u00e9 na\u00efve \u00a0nbsp", "x\u3000y", "\u2581 not a space"}) {
    const Ids ids = t.encode(s, SpecialTokens::kAsText);
    // U+2581 is SentencePiece's own space symbol: it decodes as a space, as in the library.
    const std::string expected = s.rfind("\u2581", 0) == 0 ? " " + s.substr(3) : s;
    EXPECT_EQ(t.decode(ids), expected) << s;
  }
  // Digits are split one per piece (split_digits, as Llama's).
  for (const int32_t id : t.encode("2024 and 1234567", SpecialTokens::kAsText)) {
    const std::string piece = t.decode_token(id);
    EXPECT_LE(std::count_if(piece.begin(), piece.end(), [](char c) { return c >= '0' && c <= '9'; }), 1) << piece;
  }
}

TEST(SentencePieceTokenizer, InvalidUtf8DecodesAsReplacementCharacters) {
  const auto& t = tokenizer();
  const Ids ids = t.encode("caf\xe9", SpecialTokens::kAsText);
  EXPECT_EQ(t.decode(ids), "caf\xef\xbf\xbd");
  // A lone byte piece decodes to U+FFFD; as a token it is the raw byte.
  const Ids e9 = t.encode("\u00e9", SpecialTokens::kAsText);  // C3 A9: both are byte pieces or one piece
  EXPECT_EQ(cat_tokens(t, e9), " \u00e9");
}

TEST(SentencePieceTokenizer, SpecialTokenModes) {
  const auto& t = tokenizer();
  EXPECT_EQ(t.encode("<s>", SpecialTokens::kRecognize), Ids{1});
  EXPECT_EQ(t.encode("</s>", SpecialTokens::kRecognize), Ids{2});
  EXPECT_EQ(t.encode("<unk>", SpecialTokens::kRecognize), Ids{0});
  const Ids as_text = t.encode("<s>", SpecialTokens::kAsText);
  EXPECT_GT(as_text.size(), 1u);
  for (const int32_t id : as_text) EXPECT_GT(id, 2);
  // Pieces between special tokens are encoded on their own, each with its dummy-prefix space.
  Ids expected = t.encode("a", SpecialTokens::kAsText);
  expected.push_back(1);
  const Ids b = t.encode(" b", SpecialTokens::kAsText);
  expected.insert(expected.end(), b.begin(), b.end());
  expected.push_back(2);
  EXPECT_EQ(t.encode("a<s> b</s>", SpecialTokens::kRecognize), expected);
  // Control ids decode to nothing, as in sentencepiece.
  EXPECT_EQ(t.decode({1, 2}), "");
  EXPECT_EQ(t.decode_token(1), "");
}

TEST(SentencePieceTokenizer, UnknownPiecesWithoutByteFallback) {
  const auto t = SentencePieceTokenizer::from_dir(model_dir(false));
  const Ids ids = t.encode("the \U0001F600 end", SpecialTokens::kAsText);
  EXPECT_NE(std::find(ids.begin(), ids.end(), 0), ids.end()) << "no <unk> id for an emoji";
  const std::string text = t.decode(ids);  // sentencepiece_oracle_adversarial checks the exact bytes
  EXPECT_THAT(text, testing::AllOf(testing::StartsWith("the"), HasSubstr(" \u2047 "), testing::EndsWith("end")));
  EXPECT_EQ(t.decode_token(0), " \u2047 ");
}

TEST(SentencePieceTokenizer, PromptsStartWithBosWhichCountsAgainstTheContext) {
  const auto& t = tokenizer();
  data::PromptOptions options;  // "{source}\nTL;DR:"
  options.context = 40;
  options.max_new_tokens = 8;
  const data::Prompt p = data::build_prompt(corpus().front(), t, options);
  ASSERT_TRUE(p.truncated);
  EXPECT_EQ(p.ids.front(), 1);
  EXPECT_EQ(static_cast<int64_t>(p.ids.size()) + options.max_new_tokens, options.context);
  const Ids suffix = t.encode("\nTL;DR:");
  EXPECT_TRUE(std::equal(suffix.rbegin(), suffix.rend(), p.ids.rbegin()));
  EXPECT_EQ(static_cast<int64_t>(p.ids.size()), 1 + p.source_tokens_kept + static_cast<int64_t>(suffix.size()));
}

TEST(SentencePieceTokenizer, DecodeRejectsIdsOutOfRange) {
  const auto& t = tokenizer();
  EXPECT_THAT([&] { (void)t.decode({5, 1000}); }, testing::ThrowsMessage<Error>(HasSubstr("token id 1000")));
  EXPECT_THAT([&] { (void)t.decode_token(-1); }, testing::ThrowsMessage<Error>(HasSubstr("token id -1")));
}

TEST(SentencePieceTokenizer, ConcurrentEncodesAgree) {
  const std::vector<std::string> texts(corpus().begin(), corpus().begin() + 100);
  for (int f : testing_support::concurrent_encode_mismatches(tokenizer(), texts)) EXPECT_EQ(f, 0);
}

// --- Folders and bad files: each error is one line naming the file.

class TokenizerFolder : public testing::Test {
 protected:
  test_support::TempDir tmp_;
  const fs::path dir_ = tmp_.path();  // removed with everything in it after the test
  void write(const std::string& name, const std::string& content) { tmp_.write(name, content); }
  void copy_model() { fs::copy_file(model_dir(true) / "tokenizer.model", dir_ / "tokenizer.model"); }
  std::string load_error() {
    try {
      (void)load_tokenizer(dir_);
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << "multi-line message: " << e.what();
      return e.what();
    }
    return "";
  }
};

TEST_F(TokenizerFolder, PicksTokenizerModelFirstThenGpt2Files) {
  copy_model();
  write("vocab.json", "{}");  // never read: tokenizer.model wins
  EXPECT_EQ(load_tokenizer(dir_)->kind(), "sentencepiece");
  EXPECT_EQ(load_tokenizer(fs::path(GPTBENCH_DATA_DIR) / "gpt2_tokenizer")->kind(), "gpt2-bpe");
  EXPECT_FALSE(load_tokenizer(fs::path(GPTBENCH_DATA_DIR) / "gpt2_tokenizer")->adds_bos());
}

TEST_F(TokenizerFolder, ListsTheFilesACheckpointCopies) {
  using Files = std::vector<std::pair<fs::path, std::string>>;
  copy_model();
  EXPECT_EQ(tokenizer_files(dir_), (Files{{dir_ / "tokenizer.model", "tokenizer.model"}}));
  write("tokenizer_config.json", "{}");
  EXPECT_EQ(tokenizer_files(dir_), (Files{{dir_ / "tokenizer.model", "tokenizer.model"},
                                          {dir_ / "tokenizer_config.json", "tokenizer_config.json"}}));
  const fs::path gpt2 = fs::path(GPTBENCH_DATA_DIR) / "gpt2_tokenizer";
  EXPECT_EQ(tokenizer_files(gpt2), (Files{{gpt2 / "vocab.json", "vocab.json"}, {gpt2 / "merges.txt", "merges.txt"}}));
  fs::remove(dir_ / "tokenizer.model");
  fs::remove(dir_ / "tokenizer_config.json");
  write("encoder.json", "{}");  // OpenAI's names get Hugging Face's
  write("vocab.bpe", "");
  EXPECT_EQ(tokenizer_files(dir_), (Files{{dir_ / "encoder.json", "vocab.json"}, {dir_ / "vocab.bpe", "merges.txt"}}));
  fs::remove(dir_ / "vocab.bpe");
  EXPECT_THAT([&] { (void)tokenizer_files(dir_); }, testing::ThrowsMessage<Error>(HasSubstr("neither merges.txt nor vocab.bpe")));
}

TEST_F(TokenizerFolder, RefusesOnlyTokenizerJsonAndEmptyFolders) {
  EXPECT_THAT(load_error(), HasSubstr("has neither"));
  write("tokenizer.json", "{}");
  EXPECT_THAT(load_error(), testing::AllOf(HasSubstr(dir_.string()), HasSubstr("only tokenizer.json")));
  EXPECT_THAT([&] { (void)load_tokenizer(dir_ / "nope"); }, testing::ThrowsMessage<Error>(HasSubstr("does not exist")));
}

TEST_F(TokenizerFolder, BadModelFilesNameTheFile) {
  write("tokenizer.model", "");
  EXPECT_THAT(load_error(), testing::AllOf(HasSubstr("tokenizer.model"), HasSubstr("not a SentencePiece model")));
  write("tokenizer.model", "this is not a protobuf \xff\xff\xff\xff");
  EXPECT_THAT(load_error(), testing::AllOf(HasSubstr("tokenizer.model"), HasSubstr("not a SentencePiece model")));
  // A truncated real model.
  std::ifstream in(model_dir(true) / "tokenizer.model", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  write("tokenizer.model", bytes.substr(0, bytes.size() / 2));
  EXPECT_THAT(load_error(), HasSubstr("tokenizer.model"));
  // A folder or a FIFO under the name is refused without blocking.
  fs::remove(dir_ / "tokenizer.model");
  fs::create_directory(dir_ / "tokenizer.model");
  EXPECT_THAT(load_error(), HasSubstr("tokenizer.model"));
  fs::remove(dir_ / "tokenizer.model");
  ASSERT_EQ(::mkfifo((dir_ / "tokenizer.model").c_str(), 0600), 0);
  EXPECT_THAT(load_error(), HasSubstr("tokenizer.model"));
}

TEST_F(TokenizerFolder, TokenizerConfigSetsBos) {
  copy_model();
  write("tokenizer_config.json", R"({"add_bos_token": false, "add_eos_token": false})");
  const auto t = load_tokenizer(dir_);
  EXPECT_FALSE(t->adds_bos());
  EXPECT_EQ(t->bos_id(), 1);
  EXPECT_EQ(t->prompt_ids("Hello"), t->encode("Hello"));
  write("tokenizer_config.json", R"({"add_bos_token": "yes"})");
  EXPECT_THAT(load_error(), testing::AllOf(HasSubstr("tokenizer_config.json"), HasSubstr("add_bos_token")));
  write("tokenizer_config.json", R"({"add_bos_token": true,)");
  EXPECT_THAT(load_error(), testing::AllOf(HasSubstr("tokenizer_config.json"), HasSubstr("invalid JSON")));
}

}  // namespace
}  // namespace gptbench::text
