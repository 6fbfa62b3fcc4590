// What every kernel translation unit of csrc/ shares: the compiler macros of the per-ISA paths,
// the index type, the OpenMP thread count, and a growable aligned scratch buffer.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <new>

#ifdef _OPENMP
#include <omp.h>
#endif

#if defined(__GNUC__)
// 32/64-byte vector arguments of the always-inline helpers never reach a call boundary.
#pragma GCC diagnostic ignored "-Wpsabi"
#define TL_INLINE inline __attribute__((always_inline))
#define TL_VECTOR_TYPES 1
#else
#define TL_INLINE inline
#define TL_VECTOR_TYPES 0
#endif

namespace tensorlite {
namespace {

using i64 = std::int64_t;

inline int max_threads() {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

// A float buffer, 64-byte aligned, grown on demand and kept (its contents are scratch).
struct Buffer {
  float* ptr = nullptr;
  i64 size = 0;
  Buffer() = default;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  ~Buffer() { std::free(ptr); }
  float* get(i64 count) {
    count = std::max<i64>(count, 1);
    if (count > size) {
      std::free(ptr);
      // + 16 floats of slack: a vector load of a run's or panel's last element never leaves the block
      const std::size_t bytes = static_cast<std::size_t>((count + 16) * 4 + 63) / 64 * 64;
      ptr = static_cast<float*>(std::aligned_alloc(64, bytes));
      if (ptr == nullptr) {
        size = 0;
        throw std::bad_alloc();
      }
      size = count;
    }
    return ptr;
  }
  void release() {
    std::free(ptr);
    ptr = nullptr;
    size = 0;
  }
};

}  // namespace
}  // namespace tensorlite
