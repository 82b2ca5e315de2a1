// DataParallel over c10d's NCCL backend on the GPUs present: every visible GPU a rank (threads of this process,
// one process group each over one file store); on a one-GPU machine a group of one, where the average must leave
// the gradients as they are. Skips (saying so) without CUDA.
#include <gtest/gtest.h>  // TEST, EXPECT_*, GTEST_SKIP

#include <ATen/ATen.h>                  // at::randn, at::equal
#include <c10/cuda/CUDAGuard.h>         // c10::cuda::CUDAGuard
#include <torch/cuda.h>                 // torch::cuda::is_available, device_count

#include <cstdio>     // std::remove, std::printf
#include <exception>  // std::exception_ptr
#include <string>     // std::string
#include <thread>     // std::thread
#include <vector>     // std::vector

#include <unistd.h>  // getpid

#include "gptbench/train/data_parallel.h"  // DataParallel, DistSpec

namespace gptbench::train {
namespace {

TEST(DataParallelGpu, NcclAveragesGradientsOverTheGpusPresent) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device: NCCL data parallelism not tested here";
  ASSERT_TRUE(dist_backend_compiled(DistBackend::kNccl)) << "built without c10d's NCCL backend (nccl.h not found)";
  const int world = static_cast<int>(torch::cuda::device_count());
  const std::string store = "/tmp/gptbench_dp_nccl_" + std::to_string(::getpid());
  std::remove(store.c_str());
  std::vector<at::Tensor> grads(world);
  std::vector<double> means(world);
  std::vector<std::exception_ptr> errors(world);
  std::vector<std::thread> threads;
  for (int rank = 0; rank < world; ++rank) {
    threads.emplace_back([&, rank] {
      try {
        const c10::cuda::CUDAGuard guard(static_cast<c10::DeviceIndex>(rank));
        DistSpec s;
        s.rank = rank;
        s.world_size = world;
        s.backend = DistBackend::kNccl;
        s.store_path = store;
        s.timeout_s = 60;
        DataParallel dp(s);
        const auto opt = at::TensorOptions().device(at::kCUDA, rank);
        at::Tensor w = at::zeros({1000}, opt).requires_grad_(true);
        (w * (rank + 1)).sum().backward();  // gradient rank + 1 everywhere
        dp.average_gradients({w}, 1024);
        grads[rank] = w.grad().cpu();
        means[rank] = dp.average(rank + 1.0);
      } catch (...) {
        errors[rank] = std::current_exception();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
  const double expected = (world + 1) / 2.0;  // mean of 1..world
  for (int rank = 0; rank < world; ++rank) {
    EXPECT_TRUE(at::equal(grads[rank], at::full({1000}, expected))) << "rank " << rank;
    EXPECT_DOUBLE_EQ(means[rank], expected) << "rank " << rank;
  }
  std::printf("[ nccl ] %d rank(s): gradients averaged to %g\n", world, expected);
}

}  // namespace
}  // namespace gptbench::train
