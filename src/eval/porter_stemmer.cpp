// NLTK's PorterStemmer (NLTK_EXTENSIONS mode), step by step as nltk/stem/porter.py.
// Rule order and the "first matching suffix decides, even when its condition fails" rule of
// NLTK's _apply_rule_list are what make the output exact, so each step keeps NLTK's order.
#include "gptbench/eval/porter_stemmer.h"  // this file's declarations

#include <cstddef>     // std::size_t
#include <functional>  // std::function
#include <utility>     // std::pair
#include <vector>      // std::vector

namespace gptbench::eval {

namespace {

bool is_vowel(char c) { return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u'; }

// A 'y' is a consonant at the start of a word or after a vowel; resolving a run of 'y's by
// parity is NLTK's iterative form of the paper's recursive definition.
bool is_consonant(std::string_view word, std::size_t i) {
  if (is_vowel(word[i])) return false;
  if (word[i] != 'y') return true;
  bool negate = false;
  while (i > 0 && word[i] == 'y') {
    negate = !negate;
    --i;
  }
  return !is_vowel(word[i]) != negate;
}

// m in [C](VC)^m[V]: the number of vowel->consonant transitions.
int measure(std::string_view stem) {
  int m = 0;
  bool prev_vowel = false;
  bool prev_consonant = false;
  for (std::size_t i = 0; i < stem.size(); ++i) {
    // Same recurrence as is_consonant, in one pass: y flips relative to the previous letter.
    bool consonant;
    if (is_vowel(stem[i]))
      consonant = false;
    else if (stem[i] == 'y')
      consonant = i == 0 ? true : !prev_consonant;
    else
      consonant = true;
    if (consonant && prev_vowel) ++m;
    prev_vowel = !consonant;
    prev_consonant = consonant;
  }
  return m;
}

bool contains_vowel(std::string_view stem) {
  for (std::size_t i = 0; i < stem.size(); ++i) {
    if (!is_consonant(stem, i)) return true;
  }
  return false;
}

bool ends_double_consonant(std::string_view word) {
  const std::size_t n = word.size();
  return n >= 2 && word[n - 1] == word[n - 2] && is_consonant(word, n - 1);
}

// *o: ends consonant-vowel-consonant, the last not w, x or y; NLTK also accepts a 2-letter
// vowel-consonant word.
bool ends_cvc(std::string_view word) {
  const std::size_t n = word.size();
  if (n >= 3 && is_consonant(word, n - 3) && !is_consonant(word, n - 2) &&
      is_consonant(word, n - 1) && word[n - 1] != 'w' && word[n - 1] != 'x' && word[n - 1] != 'y') {
    return true;
  }
  return n == 2 && !is_consonant(word, 0) && is_consonant(word, 1);
}

bool ends_with(std::string_view word, std::string_view suffix) {
  return word.size() >= suffix.size() && word.substr(word.size() - suffix.size()) == suffix;
}

std::string_view drop(std::string_view word, std::size_t n) {
  return word.substr(0, word.size() - n);
}

using Condition = std::function<bool(std::string_view stem)>;

struct Rule {
  std::string_view suffix;
  std::string_view replacement;
  Condition condition;  // empty: unconditional
};

// NLTK's _apply_rule_list without the "*d" pseudo-suffix (only step 1b uses it, inline).
std::string apply_rule_list(std::string_view word, const std::vector<Rule>& rules) {
  for (const Rule& rule : rules) {
    if (!ends_with(word, rule.suffix)) continue;
    const std::string_view stem = drop(word, rule.suffix.size());
    if (!rule.condition || rule.condition(stem)) {
      return std::string(stem) + std::string(rule.replacement);
    }
    return std::string(word);  // the first matching suffix decides
  }
  return std::string(word);
}

bool positive_measure(std::string_view stem) { return measure(stem) > 0; }
bool measure_above_one(std::string_view stem) { return measure(stem) > 1; }

std::string step1a(std::string_view word) {
  if (ends_with(word, "ies") && word.size() == 4) return std::string(drop(word, 3)) + "ie";
  return apply_rule_list(word,
                         {{"sses", "ss", {}}, {"ies", "i", {}}, {"ss", "ss", {}}, {"s", "", {}}});
}

std::string step1b(std::string_view word) {
  if (ends_with(word, "ied")) {
    return std::string(drop(word, 3)) + (word.size() == 4 ? "ie" : "i");
  }
  if (ends_with(word, "eed")) {
    const std::string_view stem = drop(word, 3);
    return measure(stem) > 0 ? std::string(stem) + "ee" : std::string(word);
  }
  std::string_view stem;
  bool removed = false;
  for (const std::string_view suffix : {std::string_view("ed"), std::string_view("ing")}) {
    if (ends_with(word, suffix) && contains_vowel(drop(word, suffix.size()))) {
      stem = drop(word, suffix.size());
      removed = true;
      break;
    }
  }
  if (!removed) return std::string(word);

  if (ends_with(stem, "at") || ends_with(stem, "bl") || ends_with(stem, "iz")) {
    return std::string(stem) + "e";
  }
  if (ends_double_consonant(stem)) {
    const char last = stem.back();
    if (last != 'l' && last != 's' && last != 'z') return std::string(drop(stem, 1));
    return std::string(stem);
  }
  if (measure(stem) == 1 && ends_cvc(stem)) return std::string(stem) + "e";
  return std::string(stem);
}

std::string step1c(std::string_view word) {
  // NLTK: y -> i only after a consonant that is not the whole stem ('happy' but not 'by').
  return apply_rule_list(word, {{"y", "i", [](std::string_view stem) {
                                   return stem.size() > 1 && is_consonant(stem, stem.size() - 1);
                                 }}});
}

std::string step2(std::string_view word) {
  // NLTK applies 'alli' -> 'al' first and feeds the result through step 2 again.
  if (ends_with(word, "alli") && positive_measure(drop(word, 4))) {
    return step2(std::string(drop(word, 4)) + "al");
  }
  static const std::vector<std::pair<std::string_view, std::string_view>> kPairs = {
      {"ational", "ate"}, {"tional", "tion"}, {"enci", "ence"},   {"anci", "ance"},
      {"izer", "ize"},    {"bli", "ble"},     {"alli", "al"},     {"entli", "ent"},
      {"eli", "e"},       {"ousli", "ous"},   {"ization", "ize"}, {"ation", "ate"},
      {"ator", "ate"},    {"alism", "al"},    {"iveness", "ive"}, {"fulness", "ful"},
      {"ousness", "ous"}, {"aliti", "al"},    {"iviti", "ive"},   {"biliti", "ble"},
      {"fulli", "ful"}};
  std::vector<Rule> rules;
  rules.reserve(kPairs.size() + 1);
  for (const auto& [suffix, replacement] : kPairs)
    rules.push_back({suffix, replacement, positive_measure});
  // The 'l' of 'logi' stays with the stem for the measure, so 'geo'+'logi' qualifies.
  rules.push_back(
      {"logi", "log", [word](std::string_view) { return positive_measure(drop(word, 3)); }});
  return apply_rule_list(word, rules);
}

std::string step3(std::string_view word) {
  return apply_rule_list(word, {{"icate", "ic", positive_measure},
                                {"ative", "", positive_measure},
                                {"alize", "al", positive_measure},
                                {"iciti", "ic", positive_measure},
                                {"ical", "ic", positive_measure},
                                {"ful", "", positive_measure},
                                {"ness", "", positive_measure}});
}

std::string step4(std::string_view word) {
  std::vector<Rule> rules;
  for (const std::string_view suffix :
       {"al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement", "ment", "ent"}) {
    rules.push_back({suffix, "", measure_above_one});
  }
  rules.push_back({"ion", "", [](std::string_view stem) {
                     return measure(stem) > 1 && (stem.back() == 's' || stem.back() == 't');
                   }});
  for (const std::string_view suffix : {"ou", "ism", "ate", "iti", "ous", "ive", "ize"}) {
    rules.push_back({suffix, "", measure_above_one});
  }
  return apply_rule_list(word, rules);
}

std::string step5a(std::string_view word) {
  // Both rules share the suffix 'e', so unlike _apply_rule_list the second is also tried.
  if (ends_with(word, "e")) {
    const std::string_view stem = drop(word, 1);
    if (measure(stem) > 1) return std::string(stem);
    if (measure(stem) == 1 && !ends_cvc(stem)) return std::string(stem);
  }
  return std::string(word);
}

std::string step5b(std::string_view word) {
  if (ends_with(word, "ll") && measure(drop(word, 1)) > 1) return std::string(drop(word, 1));
  return std::string(word);
}

// NLTK's table of irregular forms: word -> stem, bypassing the steps.
const char* irregular_stem(std::string_view word) {
  static const std::vector<std::pair<std::string_view, const char*>> kPool = {
      {"sky", "sky"},        {"skies", "sky"},        {"dying", "die"},
      {"lying", "lie"},      {"tying", "tie"},        {"news", "news"},
      {"innings", "inning"}, {"inning", "inning"},    {"outings", "outing"},
      {"outing", "outing"},  {"cannings", "canning"}, {"canning", "canning"},
      {"howe", "howe"},      {"proceed", "proceed"},  {"exceed", "exceed"},
      {"succeed", "succeed"}};
  for (const auto& [form, stem] : kPool) {
    if (form == word) return stem;
  }
  return nullptr;
}

}  // namespace

std::string porter_stem(std::string_view word) {
  std::string stem(word);
  for (char& c : stem) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  if (const char* irregular = irregular_stem(stem)) return irregular;
  if (word.size() <= 2) return stem;  // NLTK leaves 1- and 2-letter words alone
  stem = step1a(stem);
  stem = step1b(stem);
  stem = step1c(stem);
  stem = step2(stem);
  stem = step3(stem);
  stem = step4(stem);
  stem = step5a(stem);
  stem = step5b(stem);
  return stem;
}

}  // namespace gptbench::eval
