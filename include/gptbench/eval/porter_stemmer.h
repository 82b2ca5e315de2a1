// The Porter stemmer exactly as NLTK 3.10's PorterStemmer() in its default NLTK_EXTENSIONS
// mode, which is what rouge-score's use_stemmer=True runs. NLTK's extensions (the irregular
// forms table, 'ies'/'ied' on 4-letter words, the 'alli' and 'logi' rules, the y->i rule) make
// it differ from Martin Porter's reference C code, so the C++ follows NLTK, not the paper.
#pragma once

#include <string>       // std::string
#include <string_view>  // std::string_view

namespace gptbench::eval {

// Stems one word. The word is lowercased first (ASCII only: rouge-score only ever passes
// [a-z0-9]+ tokens); other bytes pass through and count as consonants.
std::string porter_stem(std::string_view word);

}  // namespace gptbench::eval
