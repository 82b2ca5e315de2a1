// The end of a command that writes files: one line on stderr naming each file and the flag that
// asked for it ("wrote: r.json (--out), p.jsonl (--predictions)"), so the user finds them; stdout
// stays for the results.
#pragma once

#include <string>   // std::string
#include <utility>  // std::pair
#include <vector>   // std::vector

namespace gptbench::cli {

// (flag, path) pairs; empty paths (outputs not asked for) are left out, nothing printed when none is left.
void print_written_files(const std::vector<std::pair<std::string, std::string>>& flag_paths);

}  // namespace gptbench::cli
