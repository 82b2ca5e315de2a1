// What makes two run reports different experiments, and what only says they ran elsewhere or with
// other code.
//
// Compared (a difference refuses the comparison unless --allow-config-diff): schema_version (its
// major: a minor version only adds keys, and an absent key reads as null),
// config (every flag that shapes the run), attention (but the kernel that ran), model (the shape).
// Not compared, as they say where, when or by which code a run was made: tool (version, git sha),
// env (host, GPU, driver, time), config.argv (output paths and flag spelling), config.data_dir (where
// the machine keeps the shared data; the dataset is config.dataset, data_path, split, limit, seed)
// and the index of a CUDA device (cuda:0 and cuda:3 are the same experiment). Those that differ,
// but for the time, are listed as notes, and so is attention.kernel: a code change may pick
// another kernel, which is worth seeing beside its timing. The GPU model (env.gpu) is the one env key
// that is checked, on its own: device_model.h.
#pragma once

#include <nlohmann/json.hpp>  // nlohmann::json

#include <string>  // std::string
#include <vector>  // std::vector

#include "gptbench/report/run_report.h"  // RunReport

namespace gptbench::compare {

struct ConfigDifference {
  std::string key;  // dotted path: "config.batch_size"
  nlohmann::json base, current;  // null where the key is absent too
};

std::string to_string(const ConfigDifference& difference);  // "config.batch_size: 1 vs 8"

// Differences that make the two reports different experiments.
std::vector<ConfigDifference> config_differences(const report::RunReport& base, const report::RunReport& current);

// Differences of code version and environment (tool, env but env.time_utc, attention.kernel).
std::vector<ConfigDifference> environment_differences(const report::RunReport& base,
                                                      const report::RunReport& current);

}  // namespace gptbench::compare
