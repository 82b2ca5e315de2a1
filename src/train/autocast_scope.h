// RAII autocast region, what Python's `with torch.autocast(device, dtype)` does: enable, set the
// dtype, count the nesting, and on exit clear the cache of casted weights (stale after an
// optimizer step) and restore the previous state. fp32 makes it a no-op.
#pragma once

#include <ATen/autocast_mode.h>  // at::autocast::*
#include <c10/core/Device.h>     // c10::Device

#include "gptbench/train/train_config.h"  // Precision

namespace gptbench::train {

class AutocastScope {
 public:
  AutocastScope(c10::Device device, Precision precision) : enabled_(precision != Precision::kFp32), type_(device.type()) {
    if (!enabled_) return;
    previous_enabled_ = at::autocast::is_autocast_enabled(type_);
    previous_dtype_ = at::autocast::get_autocast_dtype(type_);
    at::autocast::set_autocast_enabled(type_, true);
    at::autocast::set_autocast_dtype(type_, precision == Precision::kBf16 ? at::kBFloat16 : at::kHalf);
    at::autocast::increment_nesting();
  }
  ~AutocastScope() {
    if (!enabled_) return;
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    at::autocast::set_autocast_enabled(type_, previous_enabled_);
    at::autocast::set_autocast_dtype(type_, previous_dtype_);
  }
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool enabled_;
  c10::DeviceType type_;
  bool previous_enabled_ = false;
  at::ScalarType previous_dtype_ = at::kFloat;
};

}  // namespace gptbench::train
