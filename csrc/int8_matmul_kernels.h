// Micro-kernels of the int8 GEMM: the register tiles of the avx512 (VNNI), avx2 and
// portable paths, and the epilogue they share.  Read the design (the u8 x s8 trick, the
// packed layout, the blocking) at the top of csrc/int8_matmul.cpp, which includes this file
// and drives these kernels.

#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

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

namespace tensorlite {
namespace int8 {

// The packed-B layout ("k4n64u8", see csrc/int8_matmul.cpp):
constexpr int kNR = 64;                    // columns per packed B panel
constexpr int kKG = 4;                     // k per group (the 4 products of one vpdpbusd lane)
constexpr int kGroupBytes = kNR * kKG;     // bytes of one (panel, k-group): 256

inline std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }
inline std::int64_t round_up(std::int64_t a, std::int64_t b) { return ceil_div(a, b) * b; }

inline std::int32_t load_i32(const void* p) {
  std::int32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// Wrapping int32 arithmetic without signed-overflow UB.
inline std::int32_t wrap_mul(std::int32_t a, std::int32_t b) {
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(a) * static_cast<std::uint32_t>(b));
}
inline std::int32_t wrap_sub(std::int32_t a, std::int32_t b) {
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(a) - static_cast<std::uint32_t>(b));
}

// ---------------------------------------------------------------------------------------
// Problem description shared by every path.

struct Epilogue {
  std::int64_t K = 0;
  bool float_out = false;
  std::int32_t* c_i32 = nullptr;  // int8_matmul output, row-major M x N
  float* c_f32 = nullptr;         // int8_linear output, row-major M x N
  std::int64_t ldc = 0;
  // int8_linear only.  Per row (length M):
  const float* a_scale = nullptr;
  const std::int32_t* a_zp = nullptr;  // null: no activation zero point
  // Per column, padded with zeros to whole 64-column panels:
  const float* w_scale = nullptr;
  const float* bias = nullptr;          // null: no bias
  const std::int32_t* col_a = nullptr;  // 128 + zw[j]            (null: no zero points at all)
  const std::int32_t* col_b = nullptr;  // colsum_B[j] - K zw[j]
  bool relu = false;
};

// One micro-tile call: where its rows/columns are, and what to do after the K loop.
struct Tile {
  std::int64_t row = 0;               // global index of the tile's first row
  std::int64_t col = 0;               // global index of the tile's first column
  int ncols = 0;                      // valid columns from col (may be fewer than the tile width)
  const std::int32_t* row_sum = nullptr;  // sum_k A[row + i, k], i < rows of the tile
  bool first = true;                  // first K block: accumulators start at zero
  bool last = true;                   // last K block: run the epilogue
  std::int32_t* partial = nullptr;    // partial sums at (row, col), leading dimension ldp
  std::int64_t ldp = 0;
  const Epilogue* ep = nullptr;
};

// Scalar epilogue of one value (portable path, and the reference for the SIMD ones).
inline void epilogue_scalar(std::int32_t acc, std::int64_t i, std::int64_t j, std::int32_t row_sum,
                            const Epilogue& ep) {
  if (!ep.float_out) {
    ep.c_i32[i * ep.ldc + j] = wrap_sub(acc, wrap_mul(row_sum, 128));
    return;
  }
  std::int32_t v;
  if (ep.col_a != nullptr) {
    v = wrap_sub(acc, wrap_mul(row_sum, ep.col_a[j]));
    if (ep.a_zp != nullptr) v = wrap_sub(v, wrap_mul(ep.a_zp[i], ep.col_b[j]));
  } else {
    v = wrap_sub(acc, wrap_mul(row_sum, 128));
  }
  // One fused multiply-add, as the SIMD epilogues do, so every path gives the same bits.
  const float scale = ep.a_scale[i] * ep.w_scale[j];
  float y = ep.bias != nullptr ? std::fma(static_cast<float>(v), scale, ep.bias[j]) : static_cast<float>(v) * scale;
  if (ep.relu && y < 0.0f) y = 0.0f;  // y < 0 is false for NaN: relu(NaN) = NaN, as in PyTorch
  ep.c_f32[i * ep.ldc + j] = y;
}

// ---------------------------------------------------------------------------------------
// Portable path: MR rows x 64 columns, plain C++ (unsigned arithmetic wraps like vpdpbusd).

struct PortablePath {
  static constexpr int MR = 4;
  static constexpr int MC = 128;
  static constexpr bool kPacksA = false;

  // a: the tile's first row at its K block (row stride lda).
  template <int R>
  static void micro(std::int64_t k4, const std::int8_t* a, std::int64_t lda, const std::uint8_t* pb, const Tile& t) {
    std::uint32_t acc[R][kNR];
#pragma GCC unroll 8
    for (int i = 0; i < R; ++i) {
      for (int c = 0; c < kNR; ++c) {
        acc[i][c] = t.first ? 0u : static_cast<std::uint32_t>(t.partial[i * t.ldp + c]);
      }
    }
    for (std::int64_t g = 0; g < k4; ++g) {
      const std::uint8_t* bg = pb + g * kGroupBytes;
#pragma GCC unroll 8
      for (int i = 0; i < R; ++i) {
        const std::int8_t* ag = a + i * lda + g * kKG;
        const std::int32_t a0 = ag[0], a1 = ag[1], a2 = ag[2], a3 = ag[3];
        for (int c = 0; c < kNR; ++c) {
          const std::uint8_t* bc = bg + c * kKG;
          acc[i][c] += static_cast<std::uint32_t>(a0 * bc[0] + a1 * bc[1] + a2 * bc[2] + a3 * bc[3]);
        }
      }
    }
#pragma GCC unroll 8
    for (int i = 0; i < R; ++i) {
      for (int c = 0; c < kNR; ++c) {
        const auto v = static_cast<std::int32_t>(acc[i][c]);
        if (!t.last) {
          t.partial[i * t.ldp + c] = v;
        } else if (c < t.ncols) {
          epilogue_scalar(v, t.row + i, t.col + c, t.row_sum[i], *t.ep);
        }
      }
    }
  }

  // `rows` (<= MR) rows of A against one B panel (64 columns).
  static void panel(int rows, std::int64_t k4, const std::int8_t* a, std::int64_t lda, const std::uint8_t* pb,
                    const Tile& t) {
    switch (rows) {
      case 1: micro<1>(k4, a, lda, pb, t); break;
      case 2: micro<2>(k4, a, lda, pb, t); break;
      case 3: micro<3>(k4, a, lda, pb, t); break;
      default: micro<4>(k4, a, lda, pb, t); break;
    }
  }
};

#if TL_HAVE_SIMD_PATHS
// ---------------------------------------------------------------------------------------
// avx512 path: AVX-512 VNNI.  Tile MR x 64: 24 zmm accumulators acc[row][vector], the 4 B
// vectors of the current k-group, and the broadcast A word folded into vpdpbusd's memory
// operand ({1to16}).

struct Avx512Path {
  static constexpr int MR = 6;
  static constexpr int MC = 192;
  static constexpr int NV = kNR / 16;  // zmm vectors per tile row
  static constexpr bool kPacksA = false;

  template <int R>
  TL_TARGET_AVX512 static void micro(std::int64_t k4, const std::int8_t* a, std::int64_t lda, const std::uint8_t* pb,
                                     const Tile& t) {
    __m512i acc[R][NV];
#pragma GCC unroll 8
    for (int i = 0; i < R; ++i) {
#pragma GCC unroll 8
      for (int v = 0; v < NV; ++v) {
        acc[i][v] = t.first ? _mm512_setzero_si512() : _mm512_loadu_si512(t.partial + i * t.ldp + 16 * v);
      }
    }
    for (std::int64_t g = 0; g < k4; ++g) {
      const std::uint8_t* bg = pb + g * kGroupBytes;
      __m512i b[NV];
#pragma GCC unroll 8
      for (int v = 0; v < NV; ++v) b[v] = _mm512_loadu_si512(bg + 64 * v);
      const std::int8_t* ag = a + g * kKG;
#pragma GCC unroll 8
      for (int i = 0; i < R; ++i) {
        const __m512i ai = _mm512_set1_epi32(load_i32(ag + i * lda));  // A[i, 4g..4g+3] in every lane
#pragma GCC unroll 8
        for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_dpbusd_epi32(acc[i][v], b[v], ai);
      }
    }
    if (!t.last) {
#pragma GCC unroll 8
      for (int i = 0; i < R; ++i) {
#pragma GCC unroll 8
        for (int v = 0; v < NV; ++v) _mm512_storeu_si512(t.partial + i * t.ldp + 16 * v, acc[i][v]);
      }
      return;
    }
    epilogue<R>(acc, t);
  }

  // Inlined into micro(): passed by reference to a real call, acc would live in memory.
  template <int R>
  TL_TARGET_AVX512 TL_ALWAYS_INLINE static void epilogue(__m512i (&acc)[R][NV], const Tile& t) {
    const Epilogue& ep = *t.ep;
    __mmask16 mask[NV];
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) {
      const int left = t.ncols - 16 * v;
      mask[v] = left >= 16 ? __mmask16(0xFFFF) : left <= 0 ? __mmask16(0) : __mmask16((1u << left) - 1u);
    }
#pragma GCC unroll 8
    for (int i = 0; i < R; ++i) {
      const std::int64_t row = t.row + i;
      const __m512i row_sum = _mm512_set1_epi32(t.row_sum[i]);
      if (!ep.float_out) {
        std::int32_t* out = ep.c_i32 + row * ep.ldc + t.col;
        const __m512i corr = _mm512_slli_epi32(row_sum, 7);  // 128 * rowsum_A (wraps)
#pragma GCC unroll 8
        for (int v = 0; v < NV; ++v) _mm512_mask_storeu_epi32(out + 16 * v, mask[v], _mm512_sub_epi32(acc[i][v], corr));
        continue;
      }
      float* out = ep.c_f32 + row * ep.ldc + t.col;
      const __m512 a_scale = _mm512_set1_ps(ep.a_scale[row]);
      const __m512i a_zp = _mm512_set1_epi32(ep.a_zp != nullptr ? ep.a_zp[row] : 0);
#pragma GCC unroll 8
      for (int v = 0; v < NV; ++v) {
        const std::int64_t j = t.col + 16 * v;  // the per-column arrays are padded: no mask needed
        __m512i x;
        if (ep.col_a != nullptr) {
          x = _mm512_sub_epi32(acc[i][v], _mm512_mullo_epi32(row_sum, _mm512_loadu_si512(ep.col_a + j)));
          if (ep.a_zp != nullptr) x = _mm512_sub_epi32(x, _mm512_mullo_epi32(a_zp, _mm512_loadu_si512(ep.col_b + j)));
        } else {
          x = _mm512_sub_epi32(acc[i][v], _mm512_slli_epi32(row_sum, 7));
        }
        const __m512 scale = _mm512_mul_ps(a_scale, _mm512_loadu_ps(ep.w_scale + j));
        __m512 y = ep.bias != nullptr ? _mm512_fmadd_ps(_mm512_cvtepi32_ps(x), scale, _mm512_loadu_ps(ep.bias + j))
                                      : _mm512_mul_ps(_mm512_cvtepi32_ps(x), scale);
        if (ep.relu) y = _mm512_max_ps(_mm512_setzero_ps(), y);  // max(0, NaN) = NaN (2nd operand)
        _mm512_mask_storeu_ps(out + 16 * v, mask[v], y);
      }
    }
  }

  static void panel(int rows, std::int64_t k4, const std::int8_t* a, std::int64_t lda, const std::uint8_t* pb,
                    const Tile& t) {
    switch (rows) {
      case 1: micro<1>(k4, a, lda, pb, t); break;
      case 2: micro<2>(k4, a, lda, pb, t); break;
      case 3: micro<3>(k4, a, lda, pb, t); break;
      case 4: micro<4>(k4, a, lda, pb, t); break;
      case 5: micro<5>(k4, a, lda, pb, t); break;
      default: micro<6>(k4, a, lda, pb, t); break;
    }
  }
};

// ---------------------------------------------------------------------------------------
// avx2 path.  Per k-group, 16 bytes of a B panel = 4 columns x 4 k are widened to int16
// (vpmovzxbw: Bu in [0, 255]) and multiplied by A's 4 k as int16, broadcast:
//     vpmaddwd -> int32 lanes [c0:k0k1, c0:k2k3, c1:k0k1, c1:k2k3, c2.., c3..]
// Each lane sums two products |A Bu| <= 128 * 255, so nothing saturates (vpmaddubsw, the
// u8 x s8 -> int16 instruction, would saturate at 2 * 127 * 255).  The pairs are added at the
// end (vphaddd).  Tile MR x 8 columns: 12 ymm accumulators, 2 B vectors, 1 broadcast A.
// A is packed as int16 for this path.

struct Avx2Path {
  static constexpr int MR = 6;
  static constexpr int MC = 192;
  static constexpr int NC8 = 8;  // columns per micro-tile
  static constexpr bool kPacksA = true;

  template <int R>
  TL_TARGET_AVX2 static void micro(std::int64_t k4, const std::int16_t* pa, const std::uint8_t* pb, const Tile& t) {
    __m256i acc[R][2];
#pragma GCC unroll 8
    for (int i = 0; i < R; ++i) acc[i][0] = acc[i][1] = _mm256_setzero_si256();
#pragma GCC unroll 2
    for (std::int64_t g = 0; g < k4; ++g) {
      const std::uint8_t* bg = pb + g * kGroupBytes;
      const __m256i b0 = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(bg)));
      const __m256i b1 = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(bg + 16)));
      const std::int16_t* ag = pa + g * MR * kKG;
#pragma GCC unroll 8
      for (int i = 0; i < R; ++i) {
        std::int64_t a4;
        std::memcpy(&a4, ag + i * kKG, 8);
        const __m256i a = _mm256_set1_epi64x(a4);  // A[i, 4g..4g+3] as int16, in every 64-bit lane
        acc[i][0] = _mm256_add_epi32(acc[i][0], _mm256_madd_epi16(b0, a));
        acc[i][1] = _mm256_add_epi32(acc[i][1], _mm256_madd_epi16(b1, a));
      }
    }
    const Epilogue& ep = *t.ep;
    // Lanes of mask: columns 0..ncols-1 of the 8 (vpmaskmovd stores where the sign bit is set).
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(t.ncols), lane);
#pragma GCC unroll 8
    for (int i = 0; i < R; ++i) {
      // hadd: [c0 c1 c4 c5 | c2 c3 c6 c7]; the 64-bit permute puts the columns in order.
      __m256i x = _mm256_permute4x64_epi64(_mm256_hadd_epi32(acc[i][0], acc[i][1]), 0xD8);
      if (!t.first) x = _mm256_add_epi32(x, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(t.partial + i * t.ldp)));
      if (!t.last) {
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(t.partial + i * t.ldp), x);
        continue;
      }
      const std::int64_t row = t.row + i;
      const __m256i row_sum = _mm256_set1_epi32(t.row_sum[i]);
      if (!ep.float_out) {
        x = _mm256_sub_epi32(x, _mm256_slli_epi32(row_sum, 7));
        _mm256_maskstore_epi32(ep.c_i32 + row * ep.ldc + t.col, mask, x);
        continue;
      }
      const std::int64_t j = t.col;
      if (ep.col_a != nullptr) {
        x = _mm256_sub_epi32(x, _mm256_mullo_epi32(row_sum, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ep.col_a + j))));
        if (ep.a_zp != nullptr) {
          const __m256i col_b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ep.col_b + j));
          x = _mm256_sub_epi32(x, _mm256_mullo_epi32(_mm256_set1_epi32(ep.a_zp[row]), col_b));
        }
      } else {
        x = _mm256_sub_epi32(x, _mm256_slli_epi32(row_sum, 7));
      }
      const __m256 scale = _mm256_mul_ps(_mm256_set1_ps(ep.a_scale[row]), _mm256_loadu_ps(ep.w_scale + j));
      __m256 y = ep.bias != nullptr ? _mm256_fmadd_ps(_mm256_cvtepi32_ps(x), scale, _mm256_loadu_ps(ep.bias + j))
                                    : _mm256_mul_ps(_mm256_cvtepi32_ps(x), scale);
      if (ep.relu) y = _mm256_max_ps(_mm256_setzero_ps(), y);
      _mm256_maskstore_ps(ep.c_f32 + row * ep.ldc + j, mask, y);
    }
  }

  // pa: the rows' int16 micro-panel (pack_a_int16).
  static void panel(int rows, std::int64_t k4, const std::int16_t* pa, const std::uint8_t* pb, const Tile& t) {
    // Eight 8-column micro-tiles cover the 64-column panel.
    for (int s = 0; s < kNR / NC8 && s * NC8 < t.ncols; ++s) {
      Tile sub = t;
      sub.col = t.col + s * NC8;
      sub.ncols = t.ncols - s * NC8;
      sub.partial = t.partial + s * NC8;
      const std::uint8_t* ps = pb + s * NC8 * kKG;
      switch (rows) {
        case 1: micro<1>(k4, pa, ps, sub); break;
        case 2: micro<2>(k4, pa, ps, sub); break;
        case 3: micro<3>(k4, pa, ps, sub); break;
        case 4: micro<4>(k4, pa, ps, sub); break;
        case 5: micro<5>(k4, pa, ps, sub); break;
        default: micro<6>(k4, pa, ps, sub); break;
      }
    }
  }
};
#endif  // TL_HAVE_SIMD_PATHS

}  // namespace int8
}  // namespace tensorlite
