// Runtime CPU-feature detection and the choice of code path for each native kernel.
//
// The extension is compiled for the baseline of its platform (x86-64: SSE2; no
// -march=native), so one binary runs on every machine of that platform.  Kernels that
// have faster SIMD versions compile them with per-function target attributes
// (TL_TARGET_AVX2 / TL_TARGET_AVX512 below) and pick one at call time with
// active_cpu_path(): the best path this CPU and OS support, or a lower one forced by
//
//   * the environment variable TENSORLITE_CPU_PATH=portable|avx2|avx512 (read once, at
//     first use), or
//   * set_cpu_path_override() (exposed as _C.set_cpu_path(name | None), for tests).
//
// A forced path above what the machine supports is clamped to the best supported one
// (requested_cpu_path() keeps what was asked, so tests and `tensorlite info` can tell).
//
// Paths, lowest first:
//   portable  plain C++ (the compiler may still vectorise it with the baseline ISA)
//   avx2      AVX2 + FMA (Haswell / Zen 1 and later)
//   avx512    AVX-512 F/BW/VL + VNNI (Ice Lake / Zen 4 and later).  AVX-512 without VNNI
//             (Skylake-X) takes the avx2 path: the int8 kernels gain little there.
//
// On non-x86 targets only the portable path exists; detection reports no features.

#pragma once

#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>

#if defined(__x86_64__) || defined(_M_X64)
#define TL_X86_64 1
#else
#define TL_X86_64 0
#endif

#if TL_X86_64 && (defined(__GNUC__) || defined(__clang__))
// GCC/Clang: compile one function for a richer ISA than the rest of the translation unit.
// Everything such a function inlines must also be visible (templates, inline functions).
#define TL_TARGET_AVX2 __attribute__((target("avx2,fma")))
#define TL_TARGET_AVX512 __attribute__((target("avx2,fma,avx512f,avx512bw,avx512vl,avx512dq,avx512vnni")))
#define TL_HAVE_SIMD_PATHS 1
#elif TL_X86_64 && defined(_MSC_VER)
// MSVC lets any function use any intrinsic; the runtime check is what keeps it safe.
#define TL_TARGET_AVX2
#define TL_TARGET_AVX512
#define TL_HAVE_SIMD_PATHS 1
#else
#define TL_HAVE_SIMD_PATHS 0
#endif

// Force inlining where a helper takes register-resident arrays by reference (otherwise the
// compiler keeps them in memory).
#if defined(__GNUC__) || defined(__clang__)
#define TL_ALWAYS_INLINE __attribute__((always_inline)) inline
#elif defined(_MSC_VER)
#define TL_ALWAYS_INLINE __forceinline
#else
#define TL_ALWAYS_INLINE inline
#endif

namespace tensorlite {

enum class CpuPath : int { portable = 0, avx2 = 1, avx512 = 2 };

// What CPUID reports, masked by what the OS saves on a context switch (XGETBV): a CPU
// with AVX-512 under an OS that does not save the ZMM registers reports avx512f = false.
struct CpuFeatures {
  std::string vendor;
  bool os_ymm = false;  // XCR0: SSE + AVX state enabled
  bool os_zmm = false;  // XCR0: opmask + ZMM_Hi256 + Hi16_ZMM state enabled
  bool sse42 = false;
  bool avx = false;
  bool fma = false;
  bool avx2 = false;
  bool avx_vnni = false;  // VEX-encoded vpdpbusd on ymm (Alder Lake, Zen 5); reported, not used yet
  bool avx512f = false;
  bool avx512bw = false;
  bool avx512vl = false;
  bool avx512dq = false;
  bool avx512_vnni = false;
  bool avx512_bf16 = false;
};

// Detected once, cached.
const CpuFeatures& cpu_features();

// The best path this machine supports.
CpuPath best_cpu_path();

// The path kernels take now: min(best, forced).  Cheap (an atomic load after first use).
CpuPath active_cpu_path();

// What was asked for by set_cpu_path_override or TENSORLITE_CPU_PATH (-1: nothing).
int requested_cpu_path();

// Force a path (clamped to best_cpu_path() when used); -1 restores the environment's choice.
void set_cpu_path_override(int path);

const char* cpu_path_name(CpuPath path);

// Bit i set: the kernel has an implementation of CpuPath(i).
constexpr unsigned kPathBit(CpuPath p) { return 1u << static_cast<int>(p); }
constexpr unsigned kAllPaths = kPathBit(CpuPath::portable) | kPathBit(CpuPath::avx2) | kPathBit(CpuPath::avx512);

// Each native kernel declares the paths it has, so _C.kernel_paths() can say which one
// it takes here: the highest declared path not above active_cpu_path().
void declare_kernel_paths(const std::string& kernel, unsigned path_bits);

// The path `kernel` runs on now, given the paths it declared.
CpuPath kernel_path(unsigned path_bits);

// Registers cpu_features(), kernel_paths(), cpu_path(), set_cpu_path() on the module.
void register_cpu_features(pybind11::module_& m);

}  // namespace tensorlite
