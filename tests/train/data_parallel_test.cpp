// DataParallel over c10d's Gloo backend, two ranks as two threads of this process (each its own process group
// over one file store): the broadcast makes replicas equal, the bucketed gradient average equals the gradient
// of the whole batch in one process, a scalar averages, a rank that never arrives fails the others after the
// timeout instead of hanging them, and malformed torchrun variables are refused by name.
#include <gtest/gtest.h>  // TEST, EXPECT_*

#include <ATen/ATen.h>                // at::randn, at::allclose
#include <torch/nn/modules/linear.h>  // torch::nn::Linear

#include <chrono>      // std::chrono
#include <cstdio>      // std::remove
#include <cstdlib>     // setenv, unsetenv
#include <exception>   // std::exception_ptr
#include <functional>  // std::function
#include <string>      // std::string
#include <thread>      // std::thread
#include <vector>      // std::vector

#include <unistd.h>  // getpid

#include "gptbench/train/data_parallel.h"  // DataParallel, DistSpec
#include "gptbench/util/error.h"           // Error

namespace gptbench::train {
namespace {

std::string store_path(const std::string& name) {
  const std::string p = "/tmp/gptbench_dp_" + name + "_" + std::to_string(::getpid());
  std::remove(p.c_str());
  return p;
}

// Runs body(rank) on `world` threads; rethrows the first failure.
void run_ranks(int world, const std::function<void(int)>& body) {
  std::vector<std::exception_ptr> errors(world);
  std::vector<std::thread> threads;
  for (int r = 0; r < world; ++r) {
    threads.emplace_back([&, r] {
      try {
        body(r);
      } catch (...) {
        errors[r] = std::current_exception();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

DistSpec spec_for(int rank, int world, const std::string& store) {
  DistSpec s;
  s.rank = rank;
  s.world_size = world;
  s.backend = DistBackend::kGloo;
  s.store_path = store;
  s.timeout_s = 60;
  return s;
}

#define REQUIRE_GLOO() \
  ASSERT_TRUE(dist_backend_compiled(DistBackend::kGloo)) << "built without c10d's Gloo backend: install libgloo-dev"

// A two-layer model in fp64 (so that the comparison is exact up to summation order).
struct Net {
  torch::nn::Linear a{nullptr}, b{nullptr};
  explicit Net(int seed) {
    torch::manual_seed(seed);
    a = torch::nn::Linear(8, 16);
    b = torch::nn::Linear(16, 3);
    a->to(at::kDouble);
    b->to(at::kDouble);
  }
  std::vector<at::Tensor> parameters() const {
    std::vector<at::Tensor> p = a->parameters();
    for (const at::Tensor& t : b->parameters()) p.push_back(t);
    return p;
  }
  at::Tensor loss(const at::Tensor& x) { return b->forward(at::tanh(a->forward(x))).pow(2).mean(); }
};

TEST(DataParallel, AveragedGradientsEqualTheWholeBatchInOneProcess) {
  REQUIRE_GLOO();
  torch::manual_seed(0);
  const at::Tensor x = at::randn({6, 8}, at::kDouble);
  // One process, the whole batch.
  Net whole(1);
  whole.loss(x).backward();
  std::vector<at::Tensor> expected;
  for (const at::Tensor& p : whole.parameters()) expected.push_back(p.grad().clone());

  const std::string store = store_path("grads");
  std::vector<std::vector<at::Tensor>> got(2);
  std::vector<double> seconds(2);
  run_ranks(2, [&](int rank) {
    DataParallel dp(spec_for(rank, 2, store));
    Net replica(rank == 0 ? 1 : 99);  // rank 1 starts from other weights: the broadcast must fix that
    dp.broadcast_from_rank0(replica.parameters());
    replica.loss(x.narrow(0, 3 * rank, 3)).backward();  // its half of the batch
    // 200 bytes per bucket: the four gradients (1024, 128, 384, 24 bytes) go in several buckets.
    seconds[rank] = dp.average_gradients(replica.parameters(), 200);
    for (const at::Tensor& p : replica.parameters()) got[rank].push_back(p.grad().clone());
  });
  for (int rank = 0; rank < 2; ++rank) {
    ASSERT_EQ(got[rank].size(), expected.size());
    for (size_t i = 0; i < expected.size(); ++i) {
      EXPECT_TRUE(at::allclose(got[rank][i], expected[i], 1e-12, 1e-14)) << "rank " << rank << " gradient " << i;
    }
    EXPECT_GE(seconds[rank], 0.0);
  }
  // The comparison can fail: one rank's own (half-batch) gradient is not the average.
  Net half(1);
  half.loss(x.narrow(0, 0, 3)).backward();
  EXPECT_FALSE(at::allclose(half.parameters()[0].grad(), expected[0], 1e-6, 1e-8));
}

TEST(DataParallel, AveragesAScalar) {
  REQUIRE_GLOO();
  const std::string store = store_path("scalar");
  std::vector<double> got(3);
  run_ranks(3, [&](int rank) {
    DataParallel dp(spec_for(rank, 3, store));
    got[rank] = dp.average(1.0 + rank);  // 1, 2, 3
    dp.barrier();
  });
  for (double g : got) EXPECT_DOUBLE_EQ(g, 2.0);
}

TEST(DataParallel, AMissingRankFailsAfterTheTimeoutInsteadOfHanging) {
  REQUIRE_GLOO();
  DistSpec s = spec_for(0, 2, store_path("missing"));
  s.timeout_s = 2;
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_ANY_THROW(DataParallel dp(s));  // rank 1 never joins
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 30.0);
}

TEST(DataParallel, RefusesMalformedTorchrunVariables) {
  auto refused = [](const char* name, const char* value, const char* needle) {
    ::setenv(name, value, 1);
    try {
      dist_spec_from_environment(DistBackend::kGloo);
      ADD_FAILURE() << name << "=" << value << " accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
    ::unsetenv(name);
  };
  refused("WORLD_SIZE", "0", "WORLD_SIZE");
  refused("WORLD_SIZE", "two", "WORLD_SIZE");
  ::setenv("WORLD_SIZE", "2", 1);
  refused("RANK", "2", "RANK");
  refused("MASTER_PORT", "70000", "MASTER_PORT");
  const DistSpec ok = dist_spec_from_environment(DistBackend::kNccl);
  ::unsetenv("WORLD_SIZE");
  EXPECT_EQ(ok.world_size, 2);
  EXPECT_EQ(ok.rank, 0);
  EXPECT_EQ(ok.backend, DistBackend::kNccl);
  EXPECT_EQ(dist_spec_from_environment(DistBackend::kGloo).world_size, 1);  // unset: one process
}

}  // namespace
}  // namespace gptbench::train
