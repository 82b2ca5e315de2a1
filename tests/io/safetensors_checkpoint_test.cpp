// SafetensorsCheckpoint::open_dir: single file, sharded index, and every inconsistency
// between an index and its shards.
#include <gtest/gtest.h>  // TEST, EXPECT_*

#include <string>  // std::string
#include <vector>  // std::vector

#include "gptbench/io/safetensors.h"  // SafetensorsCheckpoint
#include "io_test_support.h"          // ScratchDir, safetensors_bytes, write_raw, error_message

namespace gptbench::io {
namespace {

using testing::error_message;
using testing::f32_bytes;
using testing::safetensors_bytes;
using testing::write_raw;

// A shard holding F32 tensors of two values each, named in order, filled with `fill`.
std::string shard_bytes(const std::vector<std::string>& names, float fill) {
  std::string header = "{";
  std::string data;
  for (size_t i = 0; i < names.size(); ++i) {
    header += (i ? "," : "") + std::string("\"") + names[i] + "\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[" +
              std::to_string(8 * i) + "," + std::to_string(8 * i + 8) + "]}";
    data += f32_bytes({fill, fill + static_cast<float>(i)});
  }
  return safetensors_bytes(header + "}", data);
}

const char* kIndexName = "model.safetensors.index.json";

// A good two-shard checkpoint that each test then breaks in one way.
class ShardedCheckpoint : public ::testing::Test {
 protected:
  void SetUp() override {
    write_raw(dir / "model-00001-of-00002.safetensors", shard_bytes({"a", "b"}, 1.0f));
    write_raw(dir / "model-00002-of-00002.safetensors", shard_bytes({"c"}, 5.0f));
    write_index(R"({"a":"model-00001-of-00002.safetensors","b":"model-00001-of-00002.safetensors",)"
                R"("c":"model-00002-of-00002.safetensors"})");
  }
  void write_index(const std::string& weight_map) {
    write_raw(dir / kIndexName, R"({"metadata":{"total_size":24},"weight_map":)" + weight_map + "}");
  }
  std::string open_error() {
    return error_message([&] { SafetensorsCheckpoint::open_dir(dir.path()); });
  }
  testing::ScratchDir dir;
};

TEST_F(ShardedCheckpoint, OpensAllShardsSortedByName) {
  const auto checkpoint = SafetensorsCheckpoint::open_dir(dir.path());
  const auto tensors = checkpoint.tensors();
  ASSERT_EQ(tensors.size(), 3u);
  EXPECT_EQ(tensors[0]->name, "a");
  EXPECT_EQ(tensors[1]->name, "b");
  EXPECT_EQ(tensors[2]->name, "c");
  const TensorView* c = checkpoint.find("c");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(c->data), c->nbytes), f32_bytes({5.0f, 5.0f}));
  EXPECT_EQ(checkpoint.source_of(*c), (dir / "model-00002-of-00002.safetensors").string());
  EXPECT_EQ(checkpoint.source_of(*checkpoint.find("b")), (dir / "model-00001-of-00002.safetensors").string());
  EXPECT_EQ(checkpoint.find("d"), nullptr);
  const TensorView stranger{"x", DType::kF32, {}, nullptr, 0};
  EXPECT_NE(error_message([&] { checkpoint.source_of(stranger); }).find("does not belong"), std::string::npos);
}

TEST_F(ShardedCheckpoint, SingleFileWinsOverIndexLikeTransformers) {
  write_raw(dir / "model.safetensors", shard_bytes({"only"}, 3.0f));
  const auto checkpoint = SafetensorsCheckpoint::open_dir(dir.path());
  ASSERT_EQ(checkpoint.tensors().size(), 1u);
  EXPECT_EQ(checkpoint.source_of(*checkpoint.find("only")), (dir / "model.safetensors").string());
}

TEST_F(ShardedCheckpoint, TensorListedButMissingFromShard) {
  write_index(R"({"a":"model-00001-of-00002.safetensors","b":"model-00001-of-00002.safetensors",)"
              R"("c":"model-00002-of-00002.safetensors","d":"model-00002-of-00002.safetensors"})");
  const std::string message = open_error();
  EXPECT_NE(message.find("tensor 'd' listed in"), std::string::npos) << message;
  EXPECT_NE(message.find("missing from its shard " + (dir / "model-00002-of-00002.safetensors").string()),
            std::string::npos)
      << message;
}

TEST_F(ShardedCheckpoint, TensorInTwoShards) {
  write_raw(dir / "model-00002-of-00002.safetensors", shard_bytes({"a", "c"}, 5.0f));
  const std::string message = open_error();
  EXPECT_NE(message.find("tensor 'a' is in two shards"), std::string::npos) << message;
}

TEST_F(ShardedCheckpoint, TensorInShardButNotInIndex) {
  write_raw(dir / "model-00002-of-00002.safetensors", shard_bytes({"c", "extra"}, 5.0f));
  const std::string message = open_error();
  EXPECT_NE(message.find("tensor 'extra' of " + (dir / "model-00002-of-00002.safetensors").string() +
                         " is not listed in " + (dir / kIndexName).string()),
            std::string::npos)
      << message;
}

TEST_F(ShardedCheckpoint, IndexMapsTensorToTheWrongShard) {
  write_index(R"({"a":"model-00001-of-00002.safetensors","b":"model-00002-of-00002.safetensors",)"
              R"("c":"model-00002-of-00002.safetensors"})");
  const std::string message = open_error();
  EXPECT_NE(message.find("tensor 'b' is in " + (dir / "model-00001-of-00002.safetensors").string()),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("maps it to 'model-00002-of-00002.safetensors'"), std::string::npos) << message;
}

TEST_F(ShardedCheckpoint, ShardFileMissing) {
  std::filesystem::remove(dir / "model-00002-of-00002.safetensors");
  const std::string message = open_error();
  EXPECT_NE(message.find("cannot open " + (dir / "model-00002-of-00002.safetensors").string()), std::string::npos)
      << message;
}

TEST_F(ShardedCheckpoint, CorruptShardNamesTheShard) {
  write_raw(dir / "model-00002-of-00002.safetensors", safetensors_bytes("{\"c\":", ""));
  const std::string message = open_error();
  EXPECT_NE(message.find((dir / "model-00002-of-00002.safetensors").string()), std::string::npos) << message;
  EXPECT_NE(message.find("invalid JSON"), std::string::npos) << message;
}

TEST_F(ShardedCheckpoint, ShardPathsMustStayInsideTheFolder) {
  for (const std::string& shard :
       std::vector<std::string>{"../model-00001-of-00002.safetensors", "/etc/passwd", "sub/../../x.safetensors", ""}) {
    write_index(R"({"a":")" + shard + R"(","b":"model-00001-of-00002.safetensors"})");
    const std::string message = open_error();
    EXPECT_NE(message.find("tensor 'a' points to shard '" + shard + "'"), std::string::npos) << message;
    EXPECT_NE(message.find("not a file name inside the checkpoint folder"), std::string::npos) << message;
  }
}

TEST_F(ShardedCheckpoint, MalformedIndexes) {
  const std::string index_path = (dir / kIndexName).string();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{\"weight_map\":", "invalid JSON"},
      {"[]", "not a JSON object"},
      {R"({"metadata":{}})", "missing \"weight_map\""},
      {R"({"weight_map":[]})", "missing \"weight_map\""},
      {R"({"weight_map":{}})", "lists no tensors"},
      {R"({"metadata":3,"weight_map":{"a":"x"}})", "\"metadata\" is not an object"},
      {R"({"weight_map":{"a":7}})", "the shard of tensor 'a' is not a file name string"},
      {R"({"weight_map":{"a":"x","a":"y"}})", "duplicate key 'a' inside 'weight_map'"},
  };
  for (const auto& [text, expected] : cases) {
    write_raw(dir / kIndexName, text);
    const std::string message = open_error();
    EXPECT_NE(message.find(index_path), std::string::npos) << message;
    EXPECT_NE(message.find(expected), std::string::npos) << text << " -> " << message;
  }
}

TEST(CheckpointFolder, MissingFolderAndMissingFiles) {
  testing::ScratchDir dir;
  const auto absent = dir / "nope";
  EXPECT_EQ(error_message([&] { SafetensorsCheckpoint::open_dir(absent); }),
            "checkpoint folder " + absent.string() + " does not exist");

  write_raw(dir / "file", "x");
  EXPECT_EQ(error_message([&] { SafetensorsCheckpoint::open_dir(dir / "file"); }),
            "checkpoint path " + (dir / "file").string() + " is not a folder");

  std::filesystem::create_directory(dir / "empty");
  EXPECT_EQ(error_message([&] { SafetensorsCheckpoint::open_dir(dir / "empty"); }),
            "checkpoint folder " + (dir / "empty").string() +
                " has neither model.safetensors nor model.safetensors.index.json");
}

TEST(CheckpointFolder, SingleFileCorruptionNamesTheFile) {
  testing::ScratchDir dir;
  write_raw(dir / "model.safetensors", safetensors_bytes(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})",
                                                         std::string(8, '\0')));
  const std::string message = error_message([&] { SafetensorsCheckpoint::open_dir(dir.path()); });
  EXPECT_NE(message.find((dir / "model.safetensors").string()), std::string::npos) << message;
  EXPECT_NE(message.find("tensor 'w'"), std::string::npos) << message;
}

}  // namespace
}  // namespace gptbench::io
