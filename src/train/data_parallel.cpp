// DataParallel (gptbench/train/data_parallel.h): c10d process groups, the parameter broadcast and the bucketed
// gradient average.
#include "gptbench/train/data_parallel.h"

#include <ATen/ops/cat.h>     // at::cat
#include <ATen/ops/tensor.h>  // at::tensor
#include <c10/core/GradMode.h>  // at::NoGradGuard
#include <torch/csrc/distributed/c10d/Backend.hpp>   // c10d::Backend, AllreduceOptions, BroadcastOptions
#include <torch/csrc/distributed/c10d/FileStore.hpp> // c10d::FileStore
#include <torch/csrc/distributed/c10d/TCPStore.hpp>  // c10d::TCPStore
#ifdef GPTBENCH_HAVE_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>  // c10d::ProcessGroupGloo
#endif
#ifdef GPTBENCH_HAVE_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>  // c10d::ProcessGroupNCCL
#endif

#include <fmt/format.h>  // fmt::format

#include <chrono>   // std::chrono
#include <cstdlib>  // std::getenv, std::strtol
#include <map>      // std::map
#include <utility>  // std::pair

#include "gptbench/util/check.h"  // GPTBENCH_CHECK
#include "gptbench/util/error.h"  // Error

namespace gptbench::train {
namespace {

// An integer environment variable in [lo, hi], or `fallback` when unset; anything else is refused naming it.
int env_int(const char* name, int fallback, int lo, int hi) {
  const char* v = std::getenv(name);
  if (v == nullptr) return fallback;
  char* end = nullptr;
  const long x = std::strtol(v, &end, 10);
  GPTBENCH_CHECK(end != v && *end == '\0' && x >= lo && x <= hi, "environment variable {}={} is not an integer in [{}, {}]",
                 name, v, lo, hi);
  return static_cast<int>(x);
}

std::chrono::milliseconds timeout_of(const DistSpec& spec) {
  return std::chrono::milliseconds(static_cast<int64_t>(spec.timeout_s * 1000));
}

c10::intrusive_ptr<c10d::Store> make_store(const DistSpec& spec) {
  if (!spec.store_path.empty()) {
    auto store = c10::make_intrusive<c10d::FileStore>(spec.store_path, spec.world_size);
    store->setTimeout(timeout_of(spec));
    return store;
  }
  c10d::TCPStoreOptions o;
  o.port = static_cast<uint16_t>(spec.master_port);
  o.isServer = spec.rank == 0;
  o.numWorkers = spec.world_size;
  o.waitWorkers = true;
  o.timeout = timeout_of(spec);
  return c10::make_intrusive<c10d::TCPStore>(spec.master_addr, o);
}

c10::intrusive_ptr<c10d::Backend> make_backend(const DistSpec& spec, const c10::intrusive_ptr<c10d::Store>& store) {
  switch (spec.backend) {
    case DistBackend::kGloo: {
#ifdef GPTBENCH_HAVE_GLOO
      auto options = c10d::ProcessGroupGloo::Options::create();
      options->timeout = timeout_of(spec);
      options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
      return c10::make_intrusive<c10d::ProcessGroupGloo>(store, spec.rank, spec.world_size, options);
#else
      break;
#endif
    }
    case DistBackend::kNccl: {
#ifdef GPTBENCH_HAVE_NCCL
      auto options = c10d::ProcessGroupNCCL::Options::create();
      options->timeout = timeout_of(spec);
      return c10::make_intrusive<c10d::ProcessGroupNCCL>(store, spec.rank, spec.world_size, options);
#else
      break;
#endif
    }
  }
  throw Error(fmt::format("this gptbench was built without c10d's {} backend ({})", enum_name(kDistBackendNames, spec.backend),
                          spec.backend == DistBackend::kGloo ? "install libgloo-dev and rebuild: scripts/setup.sh"
                                                             : "it needs CUDA and the torch wheel's nccl.h"));
}

void wait(const c10::intrusive_ptr<c10d::Work>& work) {
  work->wait();
}

}  // namespace

struct DataParallel::Group {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::Backend> backend;
};

bool dist_backend_compiled(DistBackend backend) {
#ifdef GPTBENCH_HAVE_GLOO
  if (backend == DistBackend::kGloo) return true;
#endif
#ifdef GPTBENCH_HAVE_NCCL
  if (backend == DistBackend::kNccl) return true;
#endif
  (void)backend;
  return false;
}

DistSpec dist_spec_from_environment(DistBackend backend) {
  DistSpec spec;
  spec.backend = backend;
  spec.world_size = env_int("WORLD_SIZE", 1, 1, 1 << 16);
  spec.rank = env_int("RANK", 0, 0, spec.world_size - 1);
  if (const char* addr = std::getenv("MASTER_ADDR")) spec.master_addr = addr;
  spec.master_port = env_int("MASTER_PORT", spec.master_port, 1, 65535);
  return spec;
}

DataParallel::DataParallel(const DistSpec& spec) : spec_(spec), group_(std::make_unique<Group>()) {
  GPTBENCH_CHECK(spec.world_size >= 1 && spec.rank >= 0 && spec.rank < spec.world_size,
                 "data parallel: rank {} of world size {} is not a rank of the group", spec.rank, spec.world_size);
  GPTBENCH_CHECK(spec.timeout_s > 0, "data parallel: the timeout must be positive, got {} s", spec.timeout_s);
  group_->store = make_store(spec);
  group_->backend = make_backend(spec, group_->store);
}

DataParallel::~DataParallel() = default;

void DataParallel::broadcast_from_rank0(const std::vector<at::Tensor>& tensors) {
  at::NoGradGuard no_grad;
  for (const at::Tensor& t : tensors) {
    std::vector<at::Tensor> one = {t.detach()};
    c10d::BroadcastOptions o;
    o.rootRank = 0;
    wait(group_->backend->broadcast(one, o));
  }
}

double DataParallel::average_gradients(const std::vector<at::Tensor>& params, int64_t bucket_bytes) {
  const auto t0 = std::chrono::steady_clock::now();
  at::NoGradGuard no_grad;
  // Buckets of gradients that flatten together: same dtype and device, in the parameters' order.
  std::map<std::pair<int, std::string>, std::vector<at::Tensor>> open;
  auto flush = [&](std::vector<at::Tensor>& grads) {
    if (grads.empty()) return;
    std::vector<at::Tensor> flat_views;
    flat_views.reserve(grads.size());
    for (const at::Tensor& g : grads) flat_views.push_back(g.reshape({-1}));
    std::vector<at::Tensor> flat = {at::cat(flat_views)};
    c10d::AllreduceOptions o;
    o.reduceOp = c10d::ReduceOp::SUM;
    wait(group_->backend->allreduce(flat, o));
    flat[0].div_(spec_.world_size);
    int64_t at_elem = 0;
    for (const at::Tensor& g : grads) {
      g.copy_(flat[0].narrow(0, at_elem, g.numel()).view_as(g));
      at_elem += g.numel();
    }
    grads.clear();
  };
  std::map<std::pair<int, std::string>, int64_t> open_bytes;
  for (const at::Tensor& p : params) {
    const at::Tensor& g = p.grad();
    if (!g.defined()) continue;
    const std::pair<int, std::string> key{static_cast<int>(g.scalar_type()), g.device().str()};
    std::vector<at::Tensor>& bucket = open[key];
    const int64_t bytes = g.numel() * static_cast<int64_t>(g.element_size());
    if (!bucket.empty() && open_bytes[key] + bytes > bucket_bytes) {
      flush(bucket);
      open_bytes[key] = 0;
    }
    bucket.push_back(g);
    open_bytes[key] += bytes;
  }
  for (auto& [key, bucket] : open) flush(bucket);
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double DataParallel::average(double value) {
  std::vector<at::Tensor> one = {at::tensor({value}, at::kDouble)};
  if (spec_.backend == DistBackend::kNccl) one[0] = one[0].cuda();
  c10d::AllreduceOptions o;
  o.reduceOp = c10d::ReduceOp::SUM;
  wait(group_->backend->allreduce(one, o));
  return one[0].cpu().item<double>() / spec_.world_size;
}

void DataParallel::barrier() { wait(group_->backend->barrier()); }

}  // namespace gptbench::train
