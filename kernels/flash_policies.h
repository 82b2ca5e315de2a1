// The flash kernel set, stated once: the mask policies (with the names kernels are reported
// under), the head dims and the element types the CUDA kernels are compiled for. Read by the
// selection function (select_kernel.cpp), the dispatcher (flash_dispatch.cu), the kernel names
// and kernels/CMakeLists.txt, which generates one instantiation per (stage, element type, head
// dim, policy) from the three tables below: it reads their lines, so keep one entry per line in
// the form written here (the configure step fails when a table reads empty, and the dispatcher
// static_asserts that CMake counted the same number of instantiations as this header).
// Plain C++: the torch op (g++) and the kernels (nvcc) both include it.
#pragma once

#include <cstddef>      // size_t
#include <iterator>     // std::size
#include <type_traits>  // std::integral_constant
#include <utility>      // std::index_sequence, std::make_index_sequence

#include "attention_params.h"  // MaskPolicy, ElementType

namespace gptbench::kernels {

struct FlashPolicy {
  MaskPolicy policy;
  const char* name;  // in kernel names: flash_prefill_fp16_d64_bm128_bn128_<name>
};
inline constexpr FlashPolicy kFlashPolicies[] = {
    {MaskPolicy::kCausal, "causal"},
    {MaskPolicy::kAlibi, "alibi"},
    {MaskPolicy::kWindow, "window"},
    {MaskPolicy::kAlibiWindow, "alibi_window"},
};

struct FlashElementType {
  ElementType type;
  const char* name;  // in kernel names and messages: fp16, bf16
};
inline constexpr FlashElementType kFlashElementTypes[] = {
    {ElementType::kFp16, "fp16"},
    {ElementType::kBf16, "bf16"},
};

inline constexpr int kFlashHeadDims[] = {64, 128};

inline constexpr size_t kFlashInstancesPerStage =
    std::size(kFlashPolicies) * std::size(kFlashElementTypes) * std::size(kFlashHeadDims);

constexpr const char* policy_name(MaskPolicy policy) {
  for (const FlashPolicy& p : kFlashPolicies)
    if (p.policy == policy) return p.name;
  return "unknown";
}

constexpr const char* element_type_name(ElementType type) {
  for (const FlashElementType& e : kFlashElementTypes)
    if (e.type == type) return e.name;
  return "unknown";
}

constexpr bool is_flash_element_type(ElementType type) {
  for (const FlashElementType& e : kFlashElementTypes)
    if (e.type == type) return true;
  return false;
}

constexpr bool is_flash_head_dim(int head_dim) {
  for (int d : kFlashHeadDims)
    if (d == head_dim) return true;
  return false;
}

// Compile-time values handed to a visitor, one per runtime value found in a table.
template <MaskPolicy P>
using PolicyTag = std::integral_constant<MaskPolicy, P>;
template <int D>
using HeadDimTag = std::integral_constant<int, D>;
template <ElementType E>
using ElementTag = std::integral_constant<ElementType, E>;

namespace detail {

template <typename R, typename F, size_t... I>
R visit_policy(MaskPolicy policy, R miss, F& f, std::index_sequence<I...>) {
  R result = miss;
  (void)((policy == kFlashPolicies[I].policy ? (result = f(PolicyTag<kFlashPolicies[I].policy>{}), true) : false) ||
         ...);
  return result;
}

template <typename R, typename F, size_t... I>
R visit_head_dim(int head_dim, R miss, F& f, std::index_sequence<I...>) {
  R result = miss;
  (void)((head_dim == kFlashHeadDims[I] ? (result = f(HeadDimTag<kFlashHeadDims[I]>{}), true) : false) || ...);
  return result;
}

template <typename R, typename F, size_t... I>
R visit_element_type(ElementType type, R miss, F& f, std::index_sequence<I...>) {
  R result = miss;
  (void)((type == kFlashElementTypes[I].type ? (result = f(ElementTag<kFlashElementTypes[I].type>{}), true)
                                             : false) ||
         ...);
  return result;
}

}  // namespace detail

// Calls f(HeadDimTag<D>{}, PolicyTag<P>{}) for the compiled (D, P) equal to the runtime values;
// returns `miss` when the tables have no such entry.
template <typename R, typename F>
R visit_head_dim_and_policy(int head_dim, MaskPolicy policy, R miss, F&& f) {
  auto by_dim = [&](auto dim) {
    auto with_policy = [&](auto pol) { return f(dim, pol); };
    return detail::visit_policy(policy, miss, with_policy, std::make_index_sequence<std::size(kFlashPolicies)>{});
  };
  return detail::visit_head_dim(head_dim, miss, by_dim, std::make_index_sequence<std::size(kFlashHeadDims)>{});
}

// Calls f(ElementTag<E>{}, HeadDimTag<D>{}, PolicyTag<P>{}) for the compiled instantiation of the
// runtime values; `miss` when there is none.
template <typename R, typename F>
R visit_flash_instance(ElementType type, int head_dim, MaskPolicy policy, R miss, F&& f) {
  auto by_type = [&](auto element) {
    return visit_head_dim_and_policy(head_dim, policy, miss, [&](auto dim, auto pol) { return f(element, dim, pol); });
  };
  return detail::visit_element_type(type, miss, by_type, std::make_index_sequence<std::size(kFlashElementTypes)>{});
}

}  // namespace gptbench::kernels
