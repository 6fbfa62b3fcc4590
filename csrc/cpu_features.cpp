// CPU-feature detection (CPUID + XGETBV) and the per-kernel path registry; see cpu_features.h.

#include "cpu_features.h"

#include <atomic>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <stdexcept>

#if TL_X86_64
#if defined(_MSC_VER)
#include <intrin.h>
#else
#include <cpuid.h>
#endif
#endif

namespace py = pybind11;

namespace tensorlite {
namespace {

#if TL_X86_64
struct Regs {
  std::uint32_t eax = 0, ebx = 0, ecx = 0, edx = 0;
};

Regs cpuid(std::uint32_t leaf, std::uint32_t subleaf) {
  Regs r;
#if defined(_MSC_VER)
  int out[4];
  __cpuidex(out, static_cast<int>(leaf), static_cast<int>(subleaf));
  r.eax = out[0], r.ebx = out[1], r.ecx = out[2], r.edx = out[3];
#else
  __cpuid_count(leaf, subleaf, r.eax, r.ebx, r.ecx, r.edx);
#endif
  return r;
}

// XCR0: which register states the OS saves.  Only valid when CPUID.1:ECX.OSXSAVE is set.
std::uint64_t xgetbv0() {
#if defined(_MSC_VER)
  return _xgetbv(0);
#else
  std::uint32_t lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (static_cast<std::uint64_t>(hi) << 32) | lo;
#endif
}

bool bit(std::uint32_t reg, int i) { return (reg >> i) & 1u; }
#endif

CpuFeatures detect() {
  CpuFeatures f;
#if TL_X86_64
  const Regs r0 = cpuid(0, 0);
  char vendor[13] = {};
  std::memcpy(vendor + 0, &r0.ebx, 4);
  std::memcpy(vendor + 4, &r0.edx, 4);
  std::memcpy(vendor + 8, &r0.ecx, 4);
  f.vendor = vendor;
  const std::uint32_t max_leaf = r0.eax;

  const Regs r1 = cpuid(1, 0);
  const bool osxsave = bit(r1.ecx, 27);
  f.sse42 = bit(r1.ecx, 20);
  if (osxsave) {
    const std::uint64_t xcr0 = xgetbv0();
    f.os_ymm = (xcr0 & 0x6) == 0x6;     // bit 1 SSE, bit 2 AVX (upper YMM halves)
    f.os_zmm = (xcr0 & 0xE6) == 0xE6;  // + bit 5 opmask, 6 ZMM_Hi256, 7 Hi16_ZMM
  }
  f.avx = bit(r1.ecx, 28) && f.os_ymm;
  f.fma = bit(r1.ecx, 12) && f.os_ymm;

  if (max_leaf >= 7) {
    const Regs r7 = cpuid(7, 0);
    f.avx2 = bit(r7.ebx, 5) && f.os_ymm;
    f.avx512f = bit(r7.ebx, 16) && f.os_zmm;
    f.avx512dq = bit(r7.ebx, 17) && f.os_zmm;
    f.avx512bw = bit(r7.ebx, 30) && f.os_zmm;
    f.avx512vl = bit(r7.ebx, 31) && f.os_zmm;
    f.avx512_vnni = bit(r7.ecx, 11) && f.os_zmm;
    if (r7.eax >= 1) {  // subleaf 1 exists
      const Regs r71 = cpuid(7, 1);
      f.avx_vnni = bit(r71.eax, 4) && f.os_ymm;
      f.avx512_bf16 = bit(r71.eax, 5) && f.os_zmm;
    }
  }
#else
  f.vendor = "non-x86";
#endif
  return f;
}

CpuPath detect_best() {
#if TL_HAVE_SIMD_PATHS
  const CpuFeatures& f = cpu_features();
  if (f.avx512f && f.avx512bw && f.avx512vl && f.avx512dq && f.avx512_vnni && f.avx2 && f.fma) return CpuPath::avx512;
  if (f.avx2 && f.fma) return CpuPath::avx2;
#endif
  return CpuPath::portable;
}

int parse_path(const std::string& name) {
  std::string s;
  for (char c : name) s += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (s == "portable") return static_cast<int>(CpuPath::portable);
  if (s == "avx2") return static_cast<int>(CpuPath::avx2);
  if (s == "avx512") return static_cast<int>(CpuPath::avx512);
  return -2;  // invalid
}

int env_request() {
  const char* value = std::getenv("TENSORLITE_CPU_PATH");
  if (value == nullptr || *value == '\0') return -1;
  const int p = parse_path(value);
  // An unknown value must not make a kernel fail at import; it is reported by
  // _C.cpu_path()["env_error"] and otherwise ignored.
  return p == -2 ? -1 : p;
}

// -1: no in-process override (use the environment's request); else a CpuPath value.
std::atomic<int> g_override{-1};

std::mutex g_kernels_mutex;
std::map<std::string, unsigned>& kernel_table() {
  static std::map<std::string, unsigned> table;
  return table;
}

}  // namespace

const CpuFeatures& cpu_features() {
  static const CpuFeatures features = detect();
  return features;
}

CpuPath best_cpu_path() {
  static const CpuPath best = detect_best();
  return best;
}

int requested_cpu_path() {
  static const int from_env = env_request();
  const int forced = g_override.load(std::memory_order_relaxed);
  return forced >= 0 ? forced : from_env;
}

CpuPath active_cpu_path() {
  const int want = requested_cpu_path();
  const int best = static_cast<int>(best_cpu_path());
  return static_cast<CpuPath>(want < 0 ? best : (want < best ? want : best));
}

void set_cpu_path_override(int path) { g_override.store(path, std::memory_order_relaxed); }

const char* cpu_path_name(CpuPath path) {
  switch (path) {
    case CpuPath::avx512:
      return "avx512";
    case CpuPath::avx2:
      return "avx2";
    default:
      return "portable";
  }
}

void declare_kernel_paths(const std::string& kernel, unsigned path_bits) {
  std::lock_guard<std::mutex> lock(g_kernels_mutex);
  kernel_table()[kernel] = path_bits;
}

CpuPath kernel_path(unsigned path_bits) {
  for (int p = static_cast<int>(active_cpu_path()); p > 0; --p) {
    if (path_bits & (1u << p)) return static_cast<CpuPath>(p);
  }
  return CpuPath::portable;
}

void register_cpu_features(py::module_& m) {
  m.def(
      "cpu_features",
      []() {
        const CpuFeatures& f = cpu_features();
        py::dict d;
        d["vendor"] = f.vendor;
        d["x86_64"] = bool(TL_X86_64);
        d["os_ymm"] = f.os_ymm;
        d["os_zmm"] = f.os_zmm;
        d["sse4_2"] = f.sse42;
        d["avx"] = f.avx;
        d["fma"] = f.fma;
        d["avx2"] = f.avx2;
        d["avx_vnni"] = f.avx_vnni;
        d["avx512f"] = f.avx512f;
        d["avx512bw"] = f.avx512bw;
        d["avx512vl"] = f.avx512vl;
        d["avx512dq"] = f.avx512dq;
        d["avx512_vnni"] = f.avx512_vnni;
        d["avx512_bf16"] = f.avx512_bf16;
        return d;
      },
      "CPU features detected with CPUID, masked by the OS-enabled register state (XGETBV).");
  m.def(
      "kernel_paths",
      []() {
        std::lock_guard<std::mutex> lock(g_kernels_mutex);
        py::dict d;
        for (const auto& [name, bits] : kernel_table()) d[py::str(name)] = cpu_path_name(kernel_path(bits));
        return d;
      },
      "{kernel: code path it takes now} ('avx512', 'avx2' or 'portable').");
  m.def(
      "cpu_path",
      []() {
        py::dict d;
        d["active"] = cpu_path_name(active_cpu_path());
        d["best"] = cpu_path_name(best_cpu_path());
        const int want = requested_cpu_path();
        d["requested"] = want < 0 ? py::object(py::none()) : py::object(py::str(cpu_path_name(static_cast<CpuPath>(want))));
        const char* env = std::getenv("TENSORLITE_CPU_PATH");
        d["env"] = env ? py::object(py::str(env)) : py::object(py::none());
        d["env_error"] = (env && *env && parse_path(env) == -2)
                             ? py::object(py::str(std::string("unknown TENSORLITE_CPU_PATH value '") + env +
                                                  "'; expected portable, avx2 or avx512 (ignored)"))
                             : py::object(py::none());
        return d;
      },
      "{'active', 'best', 'requested', 'env', 'env_error'}: the SIMD path kernels take and why.");
  m.def(
      "set_cpu_path",
      [](py::object name) {
        if (name.is_none()) {
          set_cpu_path_override(-1);
          return;
        }
        const int p = parse_path(py::cast<std::string>(name));
        if (p == -2) {
          throw py::value_error("set_cpu_path: expected 'portable', 'avx2', 'avx512' or None, got '" +
                                py::cast<std::string>(name) + "'");
        }
        set_cpu_path_override(p);
      },
      py::arg("name"),
      "Force the SIMD path of every native kernel in this process ('portable', 'avx2', 'avx512'; "
      "clamped to what the CPU supports); None restores TENSORLITE_CPU_PATH / automatic.");
}

}  // namespace tensorlite
