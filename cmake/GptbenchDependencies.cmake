# Third-party dependencies. LibTorch comes from the torch==2.11.0 wheel; its CMake
# prefix is passed in CMAKE_PREFIX_PATH by scripts/setup.sh. The rest are Debian packages.
# Torch's CMake config resets CMAKE_CUDA_ARCHITECTURES to OFF in the caller's scope and
# autodetects TORCH_CUDA_ARCH_LIST; keep our architectures and give torch the same list.
set(GPTBENCH_CUDA_ARCHITECTURES "${CMAKE_CUDA_ARCHITECTURES}")
if(NOT DEFINED ENV{TORCH_CUDA_ARCH_LIST})
  set(ENV{TORCH_CUDA_ARCH_LIST} "8.0;9.0a")
endif()
find_package(Torch 2.11 REQUIRED)
if(GPTBENCH_HAVE_CUDA)
  set(CMAKE_CUDA_ARCHITECTURES "${GPTBENCH_CUDA_ARCHITECTURES}")
  # It also appends -gencode flags for its own TORCH_CUDA_ARCH_LIST to CMAKE_CUDA_FLAGS: drop them
  # so every kernel builds for CMAKE_CUDA_ARCHITECTURES only (each extra architecture doubles the
  # compile time of every instantiation).
  string(REGEX REPLACE "-gencode[ ;]+arch=compute_[0-9a-z]+,code=[a-z_0-9]+" "" CMAKE_CUDA_FLAGS "${CMAKE_CUDA_FLAGS}")
endif()
find_package(nlohmann_json 3.10 REQUIRED)
find_package(CLI11 REQUIRED)
find_package(fmt REQUIRED)

# SentencePiece (tokenizer.model): Debian's libsentencepiece-dev, or a copy with include/ and lib/ that
# GPTBENCH_SENTENCEPIECE_ROOT (CMake variable or environment) names, as the GPU machine's .carry/sentencepiece.
set(GPTBENCH_SENTENCEPIECE_ROOT "$ENV{GPTBENCH_SENTENCEPIECE_ROOT}" CACHE PATH "Folder with include/ and lib/ of SentencePiece")
find_path(SENTENCEPIECE_INCLUDE_DIR sentencepiece_processor.h HINTS "${GPTBENCH_SENTENCEPIECE_ROOT}/include")
find_library(SENTENCEPIECE_LIBRARY sentencepiece HINTS "${GPTBENCH_SENTENCEPIECE_ROOT}/lib")
find_library(SENTENCEPIECE_TRAIN_LIBRARY sentencepiece_train HINTS "${GPTBENCH_SENTENCEPIECE_ROOT}/lib")
if(NOT SENTENCEPIECE_INCLUDE_DIR OR NOT SENTENCEPIECE_LIBRARY OR NOT SENTENCEPIECE_TRAIN_LIBRARY)
  message(FATAL_ERROR "SentencePiece not found (header ${SENTENCEPIECE_INCLUDE_DIR}, libraries ${SENTENCEPIECE_LIBRARY} "
                      "${SENTENCEPIECE_TRAIN_LIBRARY}): install libsentencepiece-dev (scripts/setup.sh does) or set "
                      "GPTBENCH_SENTENCEPIECE_ROOT to a folder with include/ and lib/")
endif()
foreach(_spm sentencepiece sentencepiece_train)
  string(TOUPPER "${_spm}" _spm_var)
  add_library(SentencePiece::${_spm} UNKNOWN IMPORTED)
  set_target_properties(SentencePiece::${_spm} PROPERTIES IMPORTED_LOCATION "${${_spm_var}_LIBRARY}"
                        INTERFACE_INCLUDE_DIRECTORIES "${SENTENCEPIECE_INCLUDE_DIR}")
endforeach()
message(STATUS "gptbench: SentencePiece ${SENTENCEPIECE_LIBRARY}")

# Torch's libraries on one INTERFACE target with its compile flags (the C++11 ABI macro).
add_library(gptbench_torch INTERFACE)
target_link_libraries(gptbench_torch INTERFACE ${TORCH_LIBRARIES})
target_include_directories(gptbench_torch SYSTEM INTERFACE ${TORCH_INCLUDE_DIRS})
separate_arguments(_torch_cxx_flags UNIX_COMMAND "${TORCH_CXX_FLAGS}")
target_compile_options(gptbench_torch INTERFACE $<$<COMPILE_LANGUAGE:CXX>:${_torch_cxx_flags}>)

# c10d (torch's distributed engine, in libtorch): its Gloo backend needs gloo's headers (Debian's libgloo-dev;
# torch's wheel ships the compiled gloo, not the headers) and its NCCL backend nccl.h (the wheel's nvidia/nccl
# beside torch/). Each backend is compiled in where its headers are found; `gptbench train --nproc` refuses a
# backend this build lacks, naming it.
find_path(GLOO_INCLUDE_DIR gloo/context.h HINTS "$ENV{GPTBENCH_GLOO_ROOT}/include")
find_path(NCCL_INCLUDE_DIR nccl.h HINTS "${TORCH_INSTALL_PREFIX}/../nvidia/nccl/include")
add_library(gptbench_c10d INTERFACE)
if(GLOO_INCLUDE_DIR)
  target_include_directories(gptbench_c10d SYSTEM INTERFACE "${GLOO_INCLUDE_DIR}")
  target_compile_definitions(gptbench_c10d INTERFACE USE_C10D_GLOO GPTBENCH_HAVE_GLOO)
endif()
if(NCCL_INCLUDE_DIR AND GPTBENCH_HAVE_CUDA)
  target_include_directories(gptbench_c10d SYSTEM INTERFACE "${NCCL_INCLUDE_DIR}")
  target_compile_definitions(gptbench_c10d INTERFACE USE_C10D_NCCL GPTBENCH_HAVE_NCCL)
endif()
message(STATUS "gptbench: c10d backends: gloo ${GLOO_INCLUDE_DIR}, nccl ${NCCL_INCLUDE_DIR}")

# fmt is used header-only so that the binary does not depend on the libfmt soname
# of the machine it was built on (the GPU machine ships only fmt's headers).
if(TARGET fmt::fmt-header-only)
  set(GPTBENCH_FMT fmt::fmt-header-only)
else()
  set(GPTBENCH_FMT fmt::fmt)
endif()

if(GPTBENCH_BUILD_TESTS OR NOT DEFINED GPTBENCH_BUILD_TESTS)
  find_package(GTest QUIET)
  if(NOT GTest_FOUND)
    # Ubuntu/Debian ship GoogleTest's sources; build them in-tree when no package config exists.
    if(EXISTS /usr/src/googletest/CMakeLists.txt)
      set(INSTALL_GTEST OFF CACHE BOOL "" FORCE)
      add_subdirectory(/usr/src/googletest ${CMAKE_BINARY_DIR}/_googletest EXCLUDE_FROM_ALL)
      add_library(GTest::gtest ALIAS gtest)
      add_library(GTest::gtest_main ALIAS gtest_main)
    else()
      message(FATAL_ERROR "GoogleTest not found: install libgtest-dev (scripts/setup.sh does)")
    endif()
  endif()
endif()
