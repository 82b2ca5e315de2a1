// SafetensorsCheckpoint: a folder with model.safetensors or an index plus shards.
#include <algorithm>     // std::sort
#include <functional>    // std::less, pointer ordering
#include <map>           // std::map
#include <set>           // std::set
#include <system_error>  // std::error_code
#include <utility>       // std::move

#include <nlohmann/json.hpp>  // nlohmann::json

#include "gptbench/io/atomic_file.h"   // read_file
#include "gptbench/io/json_input.h"    // parse_json_strict
#include "gptbench/io/message_text.h"  // in_quotes
#include "gptbench/io/safetensors.h"   // SafetensorsCheckpoint
#include "gptbench/util/error.h"       // gptbench::Error

namespace gptbench::io {
namespace {

namespace fs = std::filesystem;

// Hugging Face file names (transformers' SAFE_WEIGHTS_NAME and SAFE_WEIGHTS_INDEX_NAME).
constexpr const char* kSingleFileName = "model.safetensors";
constexpr const char* kIndexFileName = "model.safetensors.index.json";

bool exists_no_throw(const fs::path& path) {
  std::error_code ignored;
  return fs::exists(path, ignored);
}

// A shard named by the index must stay inside the checkpoint folder. The check is lexical:
// no absolute path and no ".." component. Symlinks are allowed on purpose, because the
// Hugging Face cache stores every snapshot file as a symlink into ../../blobs.
void check_shard_name(const std::string& shard, const std::string& tensor, const fs::path& index) {
  const fs::path relative(shard);
  bool escapes = shard.empty() || relative.is_absolute() || relative.has_root_path();
  for (const auto& part : relative) escapes = escapes || part == "..";
  if (escapes) {
    throw Error(index.string() + ": tensor " + in_quotes(tensor) + " points to shard " + in_quotes(shard) +
                ", which is not a file name inside the checkpoint folder");
  }
}

// weight_map of the index: tensor name -> shard file name.
std::map<std::string, std::string> read_weight_map(const fs::path& index_path) {
  const nlohmann::json index = parse_json_strict(read_file(index_path), index_path.string());
  if (!index.is_object()) throw Error(index_path.string() + ": the index is not a JSON object");
  const auto metadata = index.find("metadata");
  if (metadata != index.end() && !metadata->is_object() && !metadata->is_null()) {
    throw Error(index_path.string() + ": \"metadata\" is not an object");
  }
  const auto weight_map = index.find("weight_map");
  if (weight_map == index.end() || !weight_map->is_object()) {
    throw Error(index_path.string() + ": missing \"weight_map\" object {tensor: shard file}");
  }
  if (weight_map->empty()) throw Error(index_path.string() + ": \"weight_map\" lists no tensors");
  std::map<std::string, std::string> result;
  for (const auto& [tensor, shard] : weight_map->items()) {
    if (!shard.is_string()) {
      throw Error(index_path.string() + ": the shard of tensor " + in_quotes(tensor) + " is not a file name string");
    }
    check_shard_name(shard.get<std::string>(), tensor, index_path);
    result.emplace(tensor, shard.get<std::string>());
  }
  return result;
}

}  // namespace

SafetensorsCheckpoint SafetensorsCheckpoint::open_dir(const fs::path& dir) {
  std::error_code error;
  if (!fs::exists(dir, error)) throw Error("checkpoint folder " + dir.string() + " does not exist");
  if (!fs::is_directory(dir, error)) throw Error("checkpoint path " + dir.string() + " is not a folder");

  SafetensorsCheckpoint checkpoint;
  // transformers prefers the single file when both are present; so do we.
  if (exists_no_throw(dir / kSingleFileName)) {
    checkpoint.files_.push_back(SafetensorsFile::open(dir / kSingleFileName));
    return checkpoint;
  }
  const fs::path index_path = dir / kIndexFileName;
  if (!exists_no_throw(index_path)) {
    throw Error("checkpoint folder " + dir.string() + " has neither " + kSingleFileName + " nor " + kIndexFileName);
  }

  const std::map<std::string, std::string> weight_map = read_weight_map(index_path);
  std::map<std::string, std::string> shard_of_tensor;  // where each tensor was actually found
  std::set<std::string> shards;  // sorted, each opened once
  for (const auto& [tensor, shard] : weight_map) shards.insert(shard);
  for (const std::string& shard : shards) {
    SafetensorsFile file = SafetensorsFile::open(dir / shard);
    for (const TensorView& tensor : file.tensors()) {
      const auto [seen, inserted] = shard_of_tensor.emplace(tensor.name, shard);
      if (!inserted) {
        throw Error("tensor " + in_quotes(tensor.name) + " is in two shards, " + (dir / seen->second).string() +
                    " and " + file.source());
      }
      const auto listed = weight_map.find(tensor.name);
      if (listed == weight_map.end()) {
        throw Error("tensor " + in_quotes(tensor.name) + " of " + file.source() + " is not listed in " +
                    index_path.string());
      }
      if (listed->second != shard) {
        throw Error("tensor " + in_quotes(tensor.name) + " is in " + file.source() + " but " + index_path.string() +
                    " maps it to " + in_quotes(listed->second));
      }
    }
    checkpoint.files_.push_back(std::move(file));
  }
  for (const auto& [tensor, shard] : weight_map) {
    if (shard_of_tensor.find(tensor) == shard_of_tensor.end()) {
      throw Error("tensor " + in_quotes(tensor) + " listed in " + index_path.string() + " is missing from its shard " +
                  (dir / shard).string());
    }
  }
  return checkpoint;
}

std::vector<const TensorView*> SafetensorsCheckpoint::tensors() const {
  std::vector<const TensorView*> all;
  for (const SafetensorsFile& file : files_) {
    for (const TensorView& tensor : file.tensors()) all.push_back(&tensor);
  }
  std::sort(all.begin(), all.end(), [](const TensorView* a, const TensorView* b) { return a->name < b->name; });
  return all;
}

const TensorView* SafetensorsCheckpoint::find(std::string_view name) const {
  for (const SafetensorsFile& file : files_) {
    if (const TensorView* tensor = file.find(name)) return tensor;
  }
  return nullptr;
}

const std::string& SafetensorsCheckpoint::source_of(const TensorView& tensor) const {
  const std::less<const TensorView*> before;
  for (const SafetensorsFile& file : files_) {
    const auto& views = file.tensors();
    if (!views.empty() && !before(&tensor, views.data()) && before(&tensor, views.data() + views.size())) {
      return file.source();
    }
  }
  throw Error("tensor " + in_quotes(tensor.name) + " does not belong to this checkpoint");
}

}  // namespace gptbench::io
