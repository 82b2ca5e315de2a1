// Worker processes, one per device, and the merge of their parts.
#include "gptbench/sweep/sweep_workers.h"

#include <fmt/format.h>  // fmt::format
#include <spawn.h>       // posix_spawn
#include <sys/wait.h>    // waitpid, WIFEXITED, WEXITSTATUS, WIFSIGNALED, WTERMSIG
#include <unistd.h>      // readlink

#include <cerrno>   // errno, EINTR
#include <cstring>  // std::strerror

#include "gptbench/io/atomic_file.h"    // write_file_atomic
#include "gptbench/sweep/sweep_file.h"  // read_sweep_file, check_definition, write_sweep_file, file_exists, SweepLock
#include "gptbench/util/error.h"        // Error, UsageError

extern char** environ;  // the environment the workers inherit

namespace gptbench::sweep {
namespace {

std::filesystem::path beside(const std::filesystem::path& out, const std::string& suffix) {
  std::filesystem::path stem = out;
  if (stem.extension() == ".jsonl") stem.replace_extension();
  return stem.string() + suffix;
}

// This binary's path (readlink, not std::filesystem::read_symlink: see file_exists).
std::string self_path() {
  std::string buf(4096, '\0');
  const ssize_t n = ::readlink("/proc/self/exe", buf.data(), buf.size() - 1);
  if (n <= 0) throw Error(fmt::format("cannot find this gptbench binary (/proc/self/exe): {}", std::strerror(errno)));
  buf.resize(static_cast<size_t>(n));
  return buf;
}

pid_t spawn(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, args[0].c_str(), nullptr, nullptr, argv.data(), environ);
  if (rc != 0) throw Error(fmt::format("cannot start a sweep worker ({}): {}", args[0], std::strerror(rc)));
  return pid;
}

// "" when the worker exited 0, else what happened to it.
std::string wait_for(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return fmt::format("waitpid failed: {}", std::strerror(errno));
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status) == 0 ? "" : fmt::format("exited with status {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return fmt::format("was killed by signal {}", WTERMSIG(status));
  return "ended abnormally";
}

}  // namespace

std::vector<std::string> parse_devices(const std::string& what, const std::string& text) {
  std::vector<std::string> devices;
  size_t start = 0;
  while (true) {
    const size_t comma = text.find(',', start);
    std::string d = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!d.empty() && d.find_first_not_of("0123456789") == std::string::npos) d = "cuda:" + d;
    if (d != "cpu" && d.rfind("cuda", 0) != 0)
      throw UsageError(fmt::format("{} \"{}\": \"{}\" is not a device (N for cuda:N, cuda:N, cpu)", what, text, d));
    if (!devices.empty() && (d == "cpu") != (devices.front() == "cpu"))
      throw UsageError(fmt::format("{} \"{}\": mixes the CPU and CUDA devices (one sweep runs on one device type)", what, text));
    devices.push_back(d);
    if (comma == std::string::npos) return devices;
    start = comma + 1;
  }
}

std::filesystem::path part_path(const std::filesystem::path& out, const Shard& shard) {
  return beside(out, fmt::format(".part-{}-of-{}.jsonl", shard.index, shard.count));
}

ParallelOutcome run_parallel_sweep(const SweepSpec& spec, const ParallelSweepOptions& options) {
  const bool resume = options.existing == ExistingFile::kResume;
  const SweepLock lock = SweepLock::acquire(options.out);  // held until the merged file is written
  // Refuse a foreign output file before any worker starts.
  if (resume && file_exists(options.out))
    check_definition(read_sweep_file(options.out), definition_json(spec),
                     "use --force-new to start it again, or another --out");
  const std::filesystem::path plan = beside(options.out, ".workers.json");
  io::write_file_atomic(plan, spec_to_config(spec).dump(2) + "\n");
  const std::string self = self_path();
  const int64_t n = static_cast<int64_t>(options.devices.size());
  std::vector<pid_t> pids;
  for (int64_t k = 0; k < n; ++k) {
    std::vector<std::string> args = {self,      "sweep",   "--config", plan.string(), "--shard",
                                      fmt::format("{}/{}", k, n), "--device", options.devices[k],
                                      "--out",   part_path(options.out, {k, n}).string(), "--no-summary"};
    if (options.failed == FailedCells::kRetry) args.push_back("--retry-failed");
    if (!resume) args.push_back("--force-new");
    pids.push_back(spawn(args));
  }
  ParallelOutcome outcome;
  for (int64_t k = 0; k < n; ++k) {
    const std::string what = wait_for(pids[k]);
    if (!what.empty())
      outcome.worker_failures.push_back(fmt::format("worker {}/{} on {} {}", k, n, options.devices[k], what));
  }
  std::vector<std::filesystem::path> inputs;
  if (resume && file_exists(options.out)) inputs.push_back(options.out);
  // A part of another sweep (its worker refused it and failed, reported below) is left out.
  const std::string id = definition_id(definition_json(spec));
  for (int64_t k = 0; k < n; ++k) {
    const auto part = part_path(options.out, {k, n});
    if (file_exists(part) && read_sweep_file(part).header.at("definition_id") == id) inputs.push_back(part);
  }
  if (inputs.empty()) throw Error(fmt::format("no worker wrote a part of {}: {}", options.out.string(),
                                              outcome.worker_failures.empty() ? "" : outcome.worker_failures.front()));
  outcome.merged = merge_sweep_files(inputs);
  write_sweep_file(options.out, outcome.merged.header, outcome.merged.cells);
  return outcome;
}

}  // namespace gptbench::sweep
