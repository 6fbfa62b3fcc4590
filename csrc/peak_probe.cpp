// Peak-throughput probe: how many arithmetic operations per second this machine's SIMD units
// retire when nothing else limits them, so benchmarks can report "% of peak".
//
// Each kind runs, on every OpenMP thread at once, a loop of kAcc independent
// multiply-accumulate instructions on registers only (no loads or stores; kAcc exceeds
// latency x throughput of every current core, so dependency chains never stall it):
//
//   vnni512    vpdpbusd zmm       64 u8*s8 MACs = 128 int8 ops / instruction   (avx512 path)
//   avx2_int8  vpmaddwd + vpaddd  16 int16 MACs = 32 ops / pair               (avx2 path's inner step)
//   fma512     vfmadd231ps zmm    16 float32 FMAs = 32 flops / instruction
//   fma256     vfmadd231ps ymm     8 float32 FMAs = 16 flops / instruction
//
// Result: operations per second / 1e9 (GOP/s, or GFLOP/s for the fma kinds), summed over
// the OpenMP threads, each timing its own loop in thread CPU time (so other work on the
// machine does not lower it; it assumes one core per thread, as OpenMP's default count
// is); the best of `repeats` runs of about `seconds` each.

#include <pybind11/pybind11.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdint>
#include <string>
#include <vector>

#include "cpu_features.h"

#if TL_HAVE_SIMD_PATHS
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13
// GCC 12's AVX-512 intrinsics use self-initialised "undefined" vectors and then warn about
// them wherever they are inlined (GCC bug 105593, fixed in 13).
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>
#endif
#ifdef _OPENMP
#include <omp.h>
#endif

namespace py = pybind11;

namespace tensorlite {
namespace {

constexpr int kAcc = 12;  // independent accumulators per thread

#if TL_HAVE_SIMD_PATHS
// Twelve named accumulators (an array would be kept in memory because of the asm below).
// The empty asm with "+v" operands tells the compiler the registers changed in a way it
// cannot see, so it neither folds the loop away nor merges accumulators.
#define TL_ACC_LIST(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)
#define TL_OPAQUE_ALL()                                                                              \
  __asm__ volatile(""                                                                                \
                   : "+v"(r0), "+v"(r1), "+v"(r2), "+v"(r3), "+v"(r4), "+v"(r5), "+v"(r6), "+v"(r7), \
                     "+v"(r8), "+v"(r9), "+v"(r10), "+v"(r11))
// One probe loop: T the vector type, INIT(i) the start value, STEP(r) one instruction
// updating r, ADD(x, y) to combine them, FIRST(v) one lane as int64.
#define TL_PROBE_LOOP(T, INIT, STEP, ADD, FIRST)          \
  T TL_ACC_LIST(TL_DECL_ACC_##T) dummy_ = INIT(0);        \
  (void)dummy_;                                           \
  for (std::int64_t it = 0; it < iters; ++it) {           \
    TL_ACC_LIST(STEP)                                     \
    TL_OPAQUE_ALL();                                      \
  }                                                       \
  T s = r0;                                               \
  s = ADD(s, r1); s = ADD(s, r2); s = ADD(s, r3);         \
  s = ADD(s, r4); s = ADD(s, r5); s = ADD(s, r6);         \
  s = ADD(s, r7); s = ADD(s, r8); s = ADD(s, r9);         \
  s = ADD(s, r10); s = ADD(s, r11);                       \
  return FIRST(s)

#define TL_DECL_ACC___m512i(i) r##i = _mm512_set1_epi32(i),
#define TL_DECL_ACC___m256i(i) r##i = _mm256_set1_epi32(i),
#define TL_DECL_ACC___m512(i) r##i = _mm512_set1_ps(float(i)),
#define TL_DECL_ACC___m256(i) r##i = _mm256_set1_ps(float(i)),

TL_TARGET_AVX512 std::int64_t loop_vnni512(std::int64_t iters) {
  __m512i a = _mm512_set1_epi32(0x01010101), b = _mm512_set1_epi32(0x02020202);
  __asm__ volatile("" : "+v"(a), "+v"(b));
#define STEP(i) r##i = _mm512_dpbusd_epi32(r##i, a, b);
#define FIRST(v) _mm_cvtsi128_si32(_mm512_castsi512_si128(v))
  TL_PROBE_LOOP(__m512i, _mm512_set1_epi32, STEP, _mm512_add_epi32, FIRST);
#undef STEP
#undef FIRST
}

TL_TARGET_AVX2 std::int64_t loop_avx2_int8(std::int64_t iters) {
  __m256i b = _mm256_set1_epi16(5);
  __asm__ volatile("" : "+v"(b));
// madd reads the accumulator (as int16 pairs) so it cannot be hoisted out of the loop as a
// constant; the values wrap, which does not matter here.
#define STEP(i) r##i = _mm256_add_epi32(r##i, _mm256_madd_epi16(r##i, b));
#define FIRST(v) _mm_cvtsi128_si32(_mm256_castsi256_si128(v))
  TL_PROBE_LOOP(__m256i, _mm256_set1_epi32, STEP, _mm256_add_epi32, FIRST);
#undef STEP
#undef FIRST
}

TL_TARGET_AVX512 std::int64_t loop_fma512(std::int64_t iters) {
  __m512 a = _mm512_set1_ps(1.0f), b = _mm512_set1_ps(1e-7f);
  __asm__ volatile("" : "+v"(a), "+v"(b));
#define STEP(i) r##i = _mm512_fmadd_ps(a, b, r##i);
#define FIRST(v) static_cast<std::int64_t>(_mm_cvtss_f32(_mm512_castps512_ps128(v)))
  TL_PROBE_LOOP(__m512, _mm512_set1_ps, STEP, _mm512_add_ps, FIRST);
#undef STEP
#undef FIRST
}

TL_TARGET_AVX2 std::int64_t loop_fma256(std::int64_t iters) {
  __m256 a = _mm256_set1_ps(1.0f), b = _mm256_set1_ps(1e-7f);
  __asm__ volatile("" : "+v"(a), "+v"(b));
#define STEP(i) r##i = _mm256_fmadd_ps(a, b, r##i);
#define FIRST(v) static_cast<std::int64_t>(_mm_cvtss_f32(_mm256_castps256_ps128(v)))
  TL_PROBE_LOOP(__m256, _mm256_set1_ps, STEP, _mm256_add_ps, FIRST);
#undef STEP
#undef FIRST
}
#endif

using Loop = std::int64_t (*)(std::int64_t);

struct Kind {
  const char* name;
  Loop loop;
  double ops_per_iteration;  // per thread: kAcc instructions x ops each
  CpuPath needs;
};

// CPU time of the calling thread where POSIX offers it, else wall-clock time.  CPU time
// keeps the probe honest on a machine shared with other work: a thread descheduled for a
// while is not charged for the time it did not run.
double thread_seconds() {
#if defined(CLOCK_THREAD_CPUTIME_ID)
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
#else
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
#endif
}

// Sum over the OpenMP threads of each thread's own rate (iterations per CPU-second).
double parallel_rate(Loop loop, std::int64_t iters, int threads) {
  std::vector<double> rates(static_cast<std::size_t>(threads), 0.0);
  volatile std::int64_t sink = 0;
#pragma omp parallel num_threads(threads)
  {
    int me = 0;
#ifdef _OPENMP
    me = omp_get_thread_num();
#endif
    const double start = thread_seconds();
    const std::int64_t r = loop(iters);
    rates[static_cast<std::size_t>(me)] = static_cast<double>(iters) / (thread_seconds() - start);
    sink = sink + r;
  }
  (void)sink;
  double total = 0.0;
  for (double r : rates) total += r;
  return total;
}

double peak_gops(const std::string& kind_name, double seconds, int repeats) {
#if TL_HAVE_SIMD_PATHS
  static const Kind kinds[] = {
      {"vnni512", loop_vnni512, kAcc * 128.0, CpuPath::avx512},
      {"avx2_int8", loop_avx2_int8, kAcc * 32.0, CpuPath::avx2},
      {"fma512", loop_fma512, kAcc * 32.0, CpuPath::avx512},
      {"fma256", loop_fma256, kAcc * 16.0, CpuPath::avx2},
  };
  const Kind* kind = nullptr;
  for (const Kind& k : kinds) {
    if (kind_name == k.name) kind = &k;
  }
  if (kind == nullptr) {
    throw py::value_error("peak_gops: unknown kind '" + kind_name + "'; expected vnni512, avx2_int8, fma512 or fma256");
  }
  if (static_cast<int>(best_cpu_path()) < static_cast<int>(kind->needs)) {
    throw std::runtime_error(std::string("peak_gops: '") + kind->name + "' needs the " + cpu_path_name(kind->needs) +
                             " path, but this CPU supports only " + cpu_path_name(best_cpu_path()));
  }
  if (!(seconds > 0.0) || repeats < 1) throw py::value_error("peak_gops: seconds must be > 0 and repeats >= 1");
  py::gil_scoped_release release;
  int threads = 1;
#ifdef _OPENMP
  threads = omp_get_max_threads();
#endif
  // Calibrate on this thread: grow the iteration count until a run takes 10 ms, then scale
  // it to `seconds`.
  std::int64_t iters = 1 << 10;
  double t = 0.0;
  for (;;) {
    const double start = thread_seconds();
    kind->loop(iters);
    t = thread_seconds() - start;
    if (t >= 1e-2) break;
    iters *= 2;
  }
  iters = std::max<std::int64_t>(1, static_cast<std::int64_t>(static_cast<double>(iters) * seconds / t));
  double best = 0.0;
  for (int r = 0; r < repeats; ++r) {
    best = std::max(best, kind->ops_per_iteration * parallel_rate(kind->loop, iters, threads) / 1e9);
  }
  return best;
#else
  (void)seconds;
  (void)repeats;
  throw std::runtime_error("peak_gops: '" + kind_name + "' needs x86-64 SIMD; this build has only the portable path");
#endif
}

}  // namespace

void register_peak_probe(py::module_& m) {
  m.def("peak_gops", &peak_gops, py::arg("kind"), py::arg("seconds") = 0.1, py::arg("repeats") = 3,
        "Measured peak GOP/s of a register-only SIMD loop on all OpenMP threads: 'vnni512' (int8 ops, "
        "vpdpbusd zmm), 'avx2_int8' (vpmaddwd+vpaddd), 'fma512' / 'fma256' (float32 flops). "
        "Best of `repeats` runs of about `seconds` each. RuntimeError if the CPU lacks the instructions.");
}

}  // namespace tensorlite
