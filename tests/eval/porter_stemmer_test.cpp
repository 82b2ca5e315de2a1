// The Porter stemmer against NLTK's PorterStemmer (live, via oracle_fixture.py) and against
// the worked examples of Porter's paper as NLTK's extensions change them.
#include <gtest/gtest.h>  // TEST, EXPECT_*

#include <string>  // std::string

#include "gptbench/eval/porter_stemmer.h"  // porter_stem
#include "python_fixture.h"                // run_oracle_fixture

namespace gptbench::eval {
namespace {

TEST(PorterStemmer, MatchesNltkOnWordList) {
  const nlohmann::json fixture = testing::run_oracle_fixture("porter");
  ASSERT_TRUE(fixture.is_object());
  const auto& words = fixture["words"];
  const auto& stems = fixture["stems"];
  ASSERT_EQ(words.size(), stems.size());
  ASSERT_GT(words.size(), 20000u);  // real and synthetic words both made it
  std::size_t mismatches = 0;
  for (std::size_t i = 0; i < words.size(); ++i) {
    const std::string word = words[i].get<std::string>();
    const std::string got = porter_stem(word);
    if (got != stems[i].get<std::string>()) {
      if (++mismatches <= 20) {
        ADD_FAILURE() << "stem(\"" << word << "\") = \"" << got << "\", NLTK says \""
                      << stems[i].get<std::string>() << "\"";
      }
    }
  }
  EXPECT_EQ(mismatches, 0u) << "of " << words.size() << " words";
}

// Examples from Porter (1980) and NLTK's docstrings, with NLTK_EXTENSIONS outcomes.
TEST(PorterStemmer, PaperExamples) {
  const std::pair<const char*, const char*> cases[] = {
      {"caresses", "caress"},
      {"ponies", "poni"},
      {"ties", "tie"},  // 'ties': NLTK 4-letter rule
      {"cats", "cat"},
      {"feed", "feed"},
      {"agreed", "agre"},
      {"plastered", "plaster"},
      {"motoring", "motor"},
      {"sing", "sing"},
      {"hopping", "hop"},
      {"falling", "fall"},
      {"filing", "file"},
      {"happy", "happi"},
      {"sky", "sky"},
      {"relational", "relat"},
      {"generalizations", "gener"},
      {"dying", "die"},
      {"spied", "spi"},
      {"died", "die"},
      {"enjoy", "enjoy"},
      {"controll", "control"},
      {"roll", "roll"},
      {"geology", "geolog"},
      {"RUNNING", "run"},
      {"a", "a"},
      {"yy", "yy"},
  };
  for (const auto& [word, stem] : cases) EXPECT_EQ(porter_stem(word), stem) << word;
}

}  // namespace
}  // namespace gptbench::eval
