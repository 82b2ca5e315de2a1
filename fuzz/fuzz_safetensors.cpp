// libFuzzer target: arbitrary bytes through SafetensorsFile::parse. Bad input must end in
// gptbench::Error; anything else (a crash, an ASan/UBSan report, another exception type
// escaping) is a finding. On success every tensor byte is read, so a range the validator
// let through outside the buffer shows up as a heap overflow.
#include <cstddef>  // size_t
#include <cstdint>  // uint8_t

#include "gptbench/io/safetensors.h"  // SafetensorsFile, copy_bytes
#include "gptbench/util/error.h"      // gptbench::Error

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const auto file = gptbench::io::SafetensorsFile::parse(gptbench::io::copy_bytes(data, size), "fuzz-input");
    unsigned sum = 0;
    for (const gptbench::io::TensorView& tensor : file.tensors()) {
      if (static_cast<size_t>(tensor.numel()) * gptbench::io::dtype_size(tensor.dtype) != tensor.nbytes) {
        __builtin_trap();  // the validator promised numel * dtype size == nbytes
      }
      for (size_t i = 0; i < tensor.nbytes; ++i) sum += static_cast<unsigned>(tensor.data[i]);
      if (file.find(tensor.name) != &tensor) __builtin_trap();
    }
    volatile unsigned sink = sum;
    (void)sink;
  } catch (const gptbench::Error&) {
    // Rejected input: the expected outcome for most of what the fuzzer generates.
  }
  return 0;
}
