// Learning rate per optimizer step: linear warm-up then cosine decay (nanoGPT's schedule).
//   step < warmup:        lr * (step + 1) / warmup
//   warmup <= step < N:   min_lr + (lr - min_lr) * 0.5 * (1 + cos(pi * (step - warmup) / (N - warmup)))
//   min_lr = lr * min_lr_ratio; step counts from 0, N = total steps.
#pragma once

#include <cstdint>  // int64_t

namespace gptbench::train {

struct LrSchedule {
  double lr = 3e-4;
  double min_lr_ratio = 0.1;
  int64_t warmup_steps = 0;
  int64_t total_steps = 1;
};

double learning_rate(const LrSchedule& schedule, int64_t step);

}  // namespace gptbench::train
