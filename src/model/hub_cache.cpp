// Hub ids from the local Hugging Face cache (hub_cache.h).
#include "gptbench/model/hub_cache.h"  // this file's declarations

#include <dirent.h>       // opendir, readdir, closedir
#include <fmt/format.h>  // fmt::format

#include <cstdlib>       // std::getenv
#include <system_error>  // std::error_code
#include <vector>        // std::vector

#include "gptbench/io/atomic_file.h"  // read_file
#include "gptbench/util/error.h"      // Error

namespace gptbench::model {
namespace {

namespace fs = std::filesystem;

bool id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == '-';
}

bool id_part(const std::string& part) {
  if (part.empty() || !id_char(part[0]) || part[0] == '.' || part[0] == '_' || part[0] == '-') return false;
  for (char c : part)
    if (!id_char(c)) return false;
  return true;
}

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

std::string download_hint(const std::string& id) {
  return fmt::format("download it with `hf download {} config.json model.safetensors vocab.json merges.txt` "
                     "(pip install -U huggingface_hub), or give a checkpoint folder",
                     id);
}

// The snapshot refs/main names, else the only snapshot; empty when neither exists.
fs::path snapshot_of(const fs::path& repo) {
  std::error_code ec;
  if (fs::is_regular_file(repo / "refs" / "main", ec)) {
    std::string revision = io::read_file(repo / "refs" / "main");
    while (!revision.empty() && (revision.back() == '\n' || revision.back() == '\r' || revision.back() == ' '))
      revision.pop_back();
    if (id_part(revision) && fs::is_directory(repo / "snapshots" / revision, ec)) return repo / "snapshots" / revision;
  }
  // POSIX, not fs::directory_iterator: libtorch.so exports its own std::filesystem copies (tests/support/temp_dir.h).
  std::vector<fs::path> snapshots;
  if (DIR* dir = ::opendir((repo / "snapshots").c_str())) {
    while (const dirent* entry = ::readdir(dir)) {
      const std::string name = entry->d_name;
      if (name != "." && name != ".." && fs::is_directory(repo / "snapshots" / name, ec))
        snapshots.push_back(repo / "snapshots" / name);
    }
    ::closedir(dir);
  }
  return snapshots.size() == 1 ? snapshots.front() : fs::path();
}

}  // namespace

bool looks_like_hub_id(const std::string& value) {
  const size_t slash = value.find('/');
  if (slash == std::string::npos || value.find('/', slash + 1) != std::string::npos) return false;
  return id_part(value.substr(0, slash)) && id_part(value.substr(slash + 1));
}

fs::path hub_cache_dir() {
  if (const std::string cache = env("HF_HUB_CACHE"); !cache.empty()) return cache;
  if (const std::string home = env("HF_HOME"); !home.empty()) return fs::path(home) / "hub";
  if (const std::string xdg = env("XDG_CACHE_HOME"); !xdg.empty()) return fs::path(xdg) / "huggingface" / "hub";
  return fs::path(env("HOME")) / ".cache" / "huggingface" / "hub";
}

std::string resolve_model_dir(const std::string& value, const std::string& flag) {
  std::error_code ec;
  if (!looks_like_hub_id(value) || fs::exists(value, ec)) return value;
  const std::string slash_free = value.substr(0, value.find('/')) + "--" + value.substr(value.find('/') + 1);
  const fs::path repo = hub_cache_dir() / ("models--" + slash_free);
  if (!fs::is_directory(repo, ec))
    throw Error(fmt::format("{} {}: no such folder, and not in the Hugging Face cache ({} does not exist; "
                            "HF_HUB_CACHE or HF_HOME say where the cache is): {}",
                            flag, value, repo.string(), download_hint(value)));
  const fs::path snapshot = snapshot_of(repo);
  if (snapshot.empty())
    throw Error(fmt::format("{} {}: the Hugging Face cache folder {} has no snapshot that refs/main names: {}", flag,
                            value, repo.string(), download_hint(value)));
  if (!fs::is_regular_file(snapshot / "config.json", ec))
    throw Error(fmt::format("{} {}: the cached snapshot {} has no config.json (a partial download): {}", flag, value,
                            snapshot.string(), download_hint(value)));
  return snapshot.string();
}

}  // namespace gptbench::model
