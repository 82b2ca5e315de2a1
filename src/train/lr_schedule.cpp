// Warm-up + cosine learning rate (lr_schedule.h).
#include "gptbench/train/lr_schedule.h"

#include <algorithm>  // std::clamp
#include <cmath>      // std::cos

namespace gptbench::train {

double learning_rate(const LrSchedule& s, int64_t step) {
  if (step < s.warmup_steps) return s.lr * static_cast<double>(step + 1) / static_cast<double>(s.warmup_steps);
  const double min_lr = s.lr * s.min_lr_ratio;
  const int64_t decay_steps = std::max<int64_t>(1, s.total_steps - s.warmup_steps);
  const double progress = std::clamp(static_cast<double>(step - s.warmup_steps) / static_cast<double>(decay_steps), 0.0, 1.0);
  constexpr double kPi = 3.14159265358979323846;
  return min_lr + (s.lr - min_lr) * 0.5 * (1.0 + std::cos(kPi * progress));
}

}  // namespace gptbench::train
