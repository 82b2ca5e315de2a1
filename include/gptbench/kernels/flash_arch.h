// Which prefill kernel the flash variant asks for (--flash-arch): the sm_80 mma.sync kernel, the
// sm_90a wgmma + TMA kernel, or auto (sm_90a where the device and the build allow it). One table
// parses the flag and names the value in reports. The op carries it as an int (its schema's
// flash_arch: 0 auto, 80, 90); decode (Tq == 1) has one kernel and ignores it.
#pragma once

#include <cstdint>  // int64_t

#include "gptbench/util/enum_names.h"  // EnumName

namespace gptbench::kernels {

enum class FlashArch : int64_t { kAuto = 0, kSm80 = 80, kSm90 = 90 };

inline constexpr EnumName<FlashArch> kFlashArchNames[] = {
    {FlashArch::kAuto, "auto"},
    {FlashArch::kSm80, "sm80"},
    {FlashArch::kSm90, "sm90"},
};

}  // namespace gptbench::kernels
