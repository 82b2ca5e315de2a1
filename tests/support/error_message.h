// The message of the exception of type E that a test's call throws: the one helper the C++ tests use
// to check that an error names the flag, file or key it is about.
#pragma once

#include <string>  // std::string

namespace gptbench::test_support {

// e.what() of the E that f() throws; "<no exception>" when it returns normally (any other exception
// propagates and fails the test).
template <typename E, typename F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  return "<no exception>";
}

}  // namespace gptbench::test_support
