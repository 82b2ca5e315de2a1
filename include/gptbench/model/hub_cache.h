// `--model owner/name`: a Hugging Face hub id resolved from the local hub cache, never the network.
// The cache is huggingface_hub's: HF_HUB_CACHE, else HF_HOME/hub, else XDG_CACHE_HOME/huggingface/hub,
// else ~/.cache/huggingface/hub; a model lives in models--owner--name/snapshots/<revision>/, the
// revision named by refs/main (the one snapshot folder when refs/main is missing).
#pragma once

#include <filesystem>  // std::filesystem::path
#include <string>      // std::string

namespace gptbench::model {

// Whether `value` reads as a hub id: owner/name, each of letters, digits and "._-", starting with a
// letter or digit (so "./x", "/abs" and "a/../b" are paths, never ids).
bool looks_like_hub_id(const std::string& value);

// The hub cache folder the environment names (see above).
std::filesystem::path hub_cache_dir();

// `value` itself when it exists or is not a hub id; else the snapshot folder of the cached model.
// Throws gptbench::Error naming `flag`, the folder looked in and the `hf download` command that
// fetches it, when the id is not cached (or only partly: no config.json).
std::string resolve_model_dir(const std::string& value, const std::string& flag);

}  // namespace gptbench::model
