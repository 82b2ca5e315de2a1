// What Python's `with torch.autocast(device, dtype)` does, for the C++ tests (the trainer has its own,
// src/train/autocast_scope.h, above the model layer): enable autocast on `device` with `dtype`, and on
// exit clear the cast cache and disable it again.
#pragma once

#include <ATen/autocast_mode.h>   // at::autocast::*
#include <c10/core/DeviceType.h>  // c10::DeviceType
#include <c10/core/ScalarType.h>  // c10::ScalarType

namespace gptbench::test_support {

class Autocast {
 public:
  Autocast(c10::DeviceType device, c10::ScalarType dtype) : device_(device) {
    at::autocast::set_autocast_enabled(device_, true);
    at::autocast::set_autocast_dtype(device_, dtype);
    at::autocast::increment_nesting();
  }
  ~Autocast() {
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    at::autocast::set_autocast_enabled(device_, false);
  }
  Autocast(const Autocast&) = delete;
  Autocast& operator=(const Autocast&) = delete;

 private:
  c10::DeviceType device_;
};

}  // namespace gptbench::test_support
