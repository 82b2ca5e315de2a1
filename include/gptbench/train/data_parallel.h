// Data-parallel training's communication, on torch's own distributed engine (c10d, inside libtorch): a
// process group (NCCL between GPUs, Gloo between CPU processes) over a rendezvous store, the parameters
// broadcast from rank 0, and the gradients averaged in buckets. Nothing here moves bytes itself.
#pragma once

#include <ATen/core/Tensor.h>  // at::Tensor

#include <cstdint>  // int64_t
#include <memory>   // std::unique_ptr
#include <string>   // std::string
#include <vector>   // std::vector

#include "gptbench/util/enum_names.h"  // EnumName

namespace gptbench::train {

enum class DistBackend { kGloo, kNccl };
inline constexpr EnumName<DistBackend> kDistBackendNames[] = {{DistBackend::kGloo, "gloo"},
                                                              {DistBackend::kNccl, "nccl"}};

// Whether this build compiled c10d's backend in (Gloo: gloo's headers, libgloo-dev; NCCL: nccl.h and CUDA).
bool dist_backend_compiled(DistBackend backend);

// Who this process is and where the group meets. The rendezvous is a file (store_path, every rank on one
// host: what `--nproc` uses) or, when store_path is empty, a TCP store at master_addr:master_port that
// rank 0 serves (torchrun's MASTER_ADDR / MASTER_PORT).
struct DistSpec {
  int rank = 0;
  int world_size = 1;
  DistBackend backend = DistBackend::kGloo;
  std::string store_path;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  double timeout_s = 300;  // a rank that does not arrive (or a collective that hangs) fails after this
};

// torchrun's environment (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT), with `backend`; std::nullopt-like
// world_size 1 when WORLD_SIZE is unset. A malformed variable is refused naming it.
DistSpec dist_spec_from_environment(DistBackend backend);

// One process's membership of the group. Collectives are synchronous (they return when done) and run on
// the tensors' device (CUDA tensors for NCCL, CPU for Gloo).
class DataParallel {
 public:
  // Joins the group (blocks until all world_size ranks have joined, or throws after timeout_s).
  explicit DataParallel(const DistSpec& spec);
  ~DataParallel();
  DataParallel(const DataParallel&) = delete;
  DataParallel& operator=(const DataParallel&) = delete;

  int rank() const { return spec_.rank; }
  int world_size() const { return spec_.world_size; }
  DistBackend backend() const { return spec_.backend; }

  // Every tensor := rank 0's (the parameters before the first step, so all replicas start equal).
  void broadcast_from_rank0(const std::vector<at::Tensor>& tensors);

  // Each defined gradient := the mean over the ranks, in buckets of at most bucket_bytes (gradients of one
  // dtype and device flattened together, one all-reduce per bucket). Returns the seconds spent.
  double average_gradients(const std::vector<at::Tensor>& params, int64_t bucket_bytes = kDefaultBucketBytes);
  static constexpr int64_t kDefaultBucketBytes = 25ll << 20;  // torch DDP's default bucket

  // The mean over the ranks of one scalar (a loss for the report).
  double average(double value);

  void barrier();

 private:
  struct Group;
  DistSpec spec_;
  std::unique_ptr<Group> group_;
};

}  // namespace gptbench::train
