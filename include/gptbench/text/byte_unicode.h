// GPT-2's reversible byte <-> Unicode character table (bytes_to_unicode in OpenAI's encoder.py).
// vocab.json and merges.txt spell every token in these characters: printable Latin-1 bytes stand
// for themselves and the other 68 bytes (controls, space, 0x7F..0xA0, 0xAD) become U+0100.. in
// byte order, so that no token contains whitespace or a control character.
#pragma once

#include <cstdint>  // uint8_t, int32_t

namespace gptbench::text {

char32_t byte_to_unicode(uint8_t byte);

// The byte a table character stands for, or -1 when cp is not one of the 256.
int32_t unicode_to_byte(char32_t cp);

}  // namespace gptbench::text
