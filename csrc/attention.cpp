// Fused scaled-dot-product attention on the CPU: the FlashAttention-2 forward and backward.
//
// The contract (shapes, masks, entirely masked rows, the reference formulas) is in
// kernels/attention.py; kernels/attention_native.py flattens the batch dims, makes the
// inputs C-contiguous, turns a bool mask into an additive 0/-inf one and describes how the
// (possibly broadcast) mask is addressed.  Here, for each of the BH = prod(batch) heads:
//
//   q (Lq, D), k (Lk, D), v (Lk, Dv);  S = scale q k^T + mask (and -inf where `causal` hides
//   key j from query i: j > i);  P = softmax_rows(S);  out = P v;  lse = logsumexp_rows(S)
//
// Forward (FlashAttention-2, Algorithm 1).  One task per (head, block Q_i of Br query rows),
// run in parallel.  The task streams over key/value blocks K_j, V_j of Bc rows:
//   S_ij = Q_i K_j^T scale (+ mask)            a Br x Bc tile, never the Lq x Lk matrix
//   m_new = max(m, rowmax S_ij)                online softmax: running max m, running sum l
//   P_ij = exp(S_ij - m_new)
//   l = exp(m - m_new) l + rowsum P_ij
//   O_i = exp(m - m_new) O_i + P_ij V_j
// and ends with out_i = O_i / l, lse_i = m + log l.  With `causal`, blocks whose every key
// lies after every query of the block are skipped (never computed).
//
// Backward (FlashAttention-2, Algorithm 2).  One task per (head, key block K_j, V_j), so dK_j
// and dV_j are accumulated by a single task, without races; it streams over query blocks:
//   P_ij  = exp(S_ij - lse_i)                  recomputed from the saved logsumexp
//   dV_j += P_ij^T dO_i
//   dP_ij = dO_i V_j^T
//   dS_ij = P_ij * (dP_ij - D_i)               D_i = rowsum(dO_i * O_i), computed once per row
//   dK_j += dS_ij^T Q_i scale
//   dQ_i += dS_ij K_j scale                    (dQ_i is shared by all key blocks: see below)
// When there are at least as many heads as threads, a task owns a whole head and adds into
// that head's dQ directly; otherwise each head's key blocks are dealt round-robin to `chunks`
// tasks, each with its own dQ accumulator (O(Lq D) each), summed in a fixed order at the end.
// Either way the result does not depend on the thread schedule: runs are bitwise repeatable.
//
// Scores are kept in base 2, S2 = S log2(e), so each exponential is one exp2 (the scale and
// log2(e) are folded into the packed K^T); lse is converted back to the natural log.
//
// Memory: O((Lq + Lk) (D + Dv)) per head -- packed copies of the operands (zero-padded to the
// block and vector sizes, so the inner loops have no remainders) and per-thread tile
// workspaces (reused across calls).  The only Lq x Lk buffer is dS for the gradient of a float
// mask, written only when the caller asks for it (need_dmask).
//
// SIMD: the small GEMMs and the softmax loops are written once with GCC/Clang vector types
// (Simd<T, Bytes> below) and compiled three times via cpu_features.h: AVX-512 (64-byte
// vectors), AVX2+FMA (32) and portable (16 bytes: SSE2 on x86-64; plain scalars elsewhere
// or with other compilers).  The path is chosen per call by kernel_path().

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <string>
#include <type_traits>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "cpu_features.h"

namespace py = pybind11;

#if defined(__GNUC__)
// 32/64-byte vector arguments of the always-inline helpers below never reach a call boundary.
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

// Block sizes (rows of Q_i and of K_j/V_j).  Bc must be a multiple of every vector length
// (16 floats); Br and Bc must be multiples of the register tile's rows (kMR).
constexpr i64 kBr = 64;
constexpr i64 kBc = 64;
constexpr i64 kMR = 4;  // rows of the GEMM register tile

constexpr double kLog2e = 1.4426950408889634074;
constexpr double kLn2 = 0.69314718055994530942;

constexpr i64 round_up(i64 x, i64 m) { return (x + m - 1) / m * m; }

// ------------------------------------------------------------------------------------------
// Simd<T, Bytes>: a vector of Bytes / sizeof(T) lanes of T, and the few operations the
// kernels need.  With Bytes == sizeof(T) (compilers without vector types) V is T itself.
// ------------------------------------------------------------------------------------------
template <typename T, int Bytes>
struct Simd {
  static constexpr int L = Bytes / static_cast<int>(sizeof(T));
  using I = std::conditional_t<sizeof(T) == 4, std::int32_t, std::int64_t>;
#if TL_VECTOR_TYPES
  typedef T V __attribute__((vector_size(Bytes)));
  typedef I VI __attribute__((vector_size(Bytes)));
#else
  static_assert(Bytes == sizeof(T), "without vector types only scalar 'vectors' exist");
  using V = T;
  using VI = I;
#endif

  static TL_INLINE V load(const T* p) {
    V v;
    std::memcpy(&v, p, sizeof(V));  // an unaligned vector load
    return v;
  }
  static TL_INLINE void store(T* p, V v) { std::memcpy(p, &v, sizeof(V)); }
  // x - 0 is x exactly (even for x = -0), so this folds to one broadcast; 0 + x would not
  // (0 + -0 = +0), and a lane-by-lane fill compiles to one masked insert per lane.
  static TL_INLINE V splat(T x) { return x - V{}; }
  static TL_INLINE V vmax(V a, V b) { return a > b ? a : b; }  // NaN in a is ignored
  static TL_INLINE T hmax(V v) {
    T lanes[L];
    std::memcpy(lanes, &v, sizeof(V));
    T m = lanes[0];
    for (int i = 1; i < L; ++i) m = lanes[i] > m ? lanes[i] : m;
    return m;
  }
  static TL_INLINE T hsum(V v) {
    T lanes[L];
    std::memcpy(lanes, &v, sizeof(V));
    T s = lanes[0];
    for (int i = 1; i < L; ++i) s += lanes[i];
    return s;
  }
  static TL_INLINE VI bits(V v) {
    VI r;
    std::memcpy(&r, &v, sizeof(V));
    return r;
  }
  static TL_INLINE V from_bits(VI b) {
    V r;
    std::memcpy(&r, &b, sizeof(V));
    return r;
  }

  // exp2(x) for x <= 0 (larger x is clamped to the largest finite power): 2^x = 2^n 2^f with
  // n = round(x), f = x - n in [-1/2, 1/2].  Adding 1.5 * 2^mantissa_bits rounds x to an
  // integer and leaves n in the low mantissa bits of the sum, whence 2^n by building the
  // exponent field.  2^f = exp(f ln 2) by its Taylor polynomial: degree 7 for float (error
  // 5e-9 relative), 13 for double (6e-18).  Results below the smallest normal number are 0
  // (exp2(-inf) = 0); NaN stays NaN.
  static TL_INLINE V exp2(V x) {
    constexpr bool f32 = sizeof(T) == 4;
    constexpr int kDeg = f32 ? 7 : 13;
    const T magic = f32 ? T(12582912.0) : T(6755399441055744.0);  // 1.5 * 2^23, 1.5 * 2^52
    const T max_x = f32 ? T(127) : T(1023);
    const T min_x = f32 ? T(-126) : T(-1022);
    const I bias = f32 ? 127 : 1023;
    const int mantissa = f32 ? 23 : 52;
    x = x > splat(max_x) ? splat(max_x) : x;  // keeps NaN: the comparison is false
    const V t = x + magic;
    const V n = t - magic;
    const V f = x - n;
    // Horner on c_k = ln2^k / k!, highest degree first.
    V p = splat(taylor_coefficient(kDeg));
    for (int k = kDeg - 1; k >= 0; --k) p = p * f + taylor_coefficient(k);
    const VI e = (bits(t) - bits(splat(magic)) + bias) << mantissa;
    const V r = p * from_bits(e);
    return x < splat(min_x) ? splat(T(0)) : r;
  }

  static constexpr T taylor_coefficient(int k) {
    double c = 1.0;
    for (int i = 1; i <= k; ++i) c = c * kLn2 / i;
    return static_cast<T>(c);
  }
};

// Register tile shapes: kMR rows x NV vectors of accumulators (16 of the 32 zmm registers,
// 12 of the 16 ymm/xmm ones), leaving room for the B vectors and the broadcast A value.
template <int Bytes>
constexpr int max_vectors_per_tile() {
  return Bytes >= 64 ? 4 : 3;
}

// ------------------------------------------------------------------------------------------
// The small GEMMs: C (M x N) (+)= A (M x K) B (K x N), B row-major with N a multiple of the
// vector length, M a multiple of kMR.  A(m, k) = a[m lda + k], or a[k lda + m] when ATrans
// (the transposed operands of dV += P^T dO and dK += dS^T Q).
// ------------------------------------------------------------------------------------------
template <typename T, int Bytes, int NV, bool ATrans>
TL_INLINE void gemm_tile(i64 K, const T* a, i64 lda, const T* b, i64 ldb, T* c, i64 ldc, bool accumulate) {
  using S = Simd<T, Bytes>;
  using V = typename S::V;
  constexpr int L = S::L;
  V acc[kMR][NV];
  for (int i = 0; i < kMR; ++i)
    for (int j = 0; j < NV; ++j) acc[i][j] = accumulate ? S::load(c + i * ldc + j * L) : S::splat(T(0));
  for (i64 k = 0; k < K; ++k) {
    const T* bk = b + k * ldb;
    V bv[NV];
    for (int j = 0; j < NV; ++j) bv[j] = S::load(bk + j * L);
    for (int i = 0; i < kMR; ++i) {
      const V ai = S::splat(ATrans ? a[k * lda + i] : a[i * lda + k]);
      for (int j = 0; j < NV; ++j) acc[i][j] += ai * bv[j];  // contracted to an FMA where the ISA has one
    }
  }
  for (int i = 0; i < kMR; ++i)
    for (int j = 0; j < NV; ++j) S::store(c + i * ldc + j * L, acc[i][j]);
}

template <typename T, int Bytes, bool ATrans>
TL_INLINE void gemm(i64 M, i64 N, i64 K, const T* a, i64 lda, const T* b, i64 ldb, T* c, i64 ldc,
                    bool accumulate) {
  constexpr int L = Simd<T, Bytes>::L;
  constexpr int kNV = max_vectors_per_tile<Bytes>();
  // Column strips outermost: the strip of B (K x kNV L) stays in L1 while A's rows stream by.
  for (i64 n0 = 0; n0 < N; n0 += kNV * L) {
    const i64 nv = std::min<i64>(kNV, (N - n0) / L);
    for (i64 m0 = 0; m0 < M; m0 += kMR) {
      const T* am = ATrans ? a + m0 : a + m0 * lda;
      T* cm = c + m0 * ldc + n0;
      switch (nv) {
        case 4:
          if constexpr (kNV >= 4) gemm_tile<T, Bytes, 4, ATrans>(K, am, lda, b + n0, ldb, cm, ldc, accumulate);
          break;
        case 3:
          gemm_tile<T, Bytes, 3, ATrans>(K, am, lda, b + n0, ldb, cm, ldc, accumulate);
          break;
        case 2:
          gemm_tile<T, Bytes, 2, ATrans>(K, am, lda, b + n0, ldb, cm, ldc, accumulate);
          break;
        default:
          gemm_tile<T, Bytes, 1, ATrans>(K, am, lda, b + n0, ldb, cm, ldc, accumulate);
          break;
      }
    }
  }
}

// ------------------------------------------------------------------------------------------
// Problem description, shared by the three paths.
// ------------------------------------------------------------------------------------------

// The additive mask (never materialised at full size): element (b, i, j) of the mask broadcast
// to (BH, Lq, Lk) is data[offsets[b] + i rs + j cs] (rs, cs in elements; 0 for broadcast dims).
template <typename T>
struct MaskRef {
  const T* data = nullptr;
  const i64* offsets = nullptr;
  i64 rs = 0, cs = 0;
};

template <typename T>
struct Problem {
  i64 bh = 0, lq = 0, lk = 0, d = 0, dv = 0;
  T scale = 1;
  bool causal = false;
  MaskRef<T> mask;
  // Padded sizes of the path that runs (multiples of Br / Bc rows and of its vector length).
  i64 lqp = 0, lkp = 0, dp = 0, dvp = 0;
};

template <typename T>
struct ForwardArgs {
  Problem<T> p;
  const T *q = nullptr, *k = nullptr, *v = nullptr;  // (BH, Lq, D), (BH, Lk, D), (BH, Lk, Dv)
  T *out = nullptr, *lse = nullptr;                  // (BH, Lq, Dv), (BH, Lq)
  T *kt = nullptr, *vp = nullptr;                    // packed per head: (D, Lkp) K^T scale log2e; (Lkp, Dvp) V
};

template <typename T>
struct BackwardArgs {
  Problem<T> p;
  const T *dout = nullptr, *q = nullptr, *k = nullptr, *v = nullptr, *out = nullptr, *lse = nullptr;
  T *dq = nullptr, *dk = nullptr, *dv = nullptr;
  T* dmask = nullptr;  // dense (BH, Lq, Lk) dS, or nullptr
  // packed per head: Q (Lqp, Dp), dO (Lqp, Dvp), D = rowsum(dO out) (Lqp), lse log2e (Lqp)
  T *qp = nullptr, *dop = nullptr, *drow = nullptr, *lse2 = nullptr;
  T* dq_parts = nullptr;  // chunks x BH x (Lqp, Dp) dQ accumulators
  i64 chunks = 1;
};

// Per-thread tile workspace, grown on demand and kept for the next call.
template <typename T>
T* thread_workspace(i64 count) {
  struct Buffer {
    T* ptr = nullptr;
    i64 size = 0;
    ~Buffer() { std::free(ptr); }
  };
  thread_local Buffer buffer;
  if (buffer.size < count) {
    std::free(buffer.ptr);
    buffer.ptr = static_cast<T*>(std::aligned_alloc(64, static_cast<std::size_t>(round_up(count * sizeof(T), 64))));
    buffer.size = buffer.ptr ? count : 0;
  }
  return buffer.ptr;
}

// Columns of key block j0 that query row i may see: the keys that exist (< Lk) and, if
// causal, are not after the query (j <= i).  Scores past this count are set to -inf.
template <typename T>
TL_INLINE i64 visible_cols(const Problem<T>& p, i64 i, i64 j0) {
  i64 vis = std::min(kBc, p.lk - j0);
  if (p.causal) vis = std::min(vis, i + 1 - j0);
  return std::max<i64>(vis, 0);
}

// S2 row += mask row * log2(e), for the first `cols` keys of the block.
template <typename T, int Bytes>
TL_INLINE void add_mask_row(const Problem<T>& p, i64 b, i64 i, i64 j0, i64 cols, T* s) {
  using S = Simd<T, Bytes>;
  const T* m = p.mask.data + p.mask.offsets[b] + i * p.mask.rs + j0 * p.mask.cs;
  const T log2e = T(kLog2e);
  i64 c = 0;
  if (p.mask.cs == 1) {
    for (; c + S::L <= cols; c += S::L) S::store(s + c, S::load(s + c) + S::load(m + c) * log2e);
  }
  for (; c < cols; ++c) s[c] += m[c * p.mask.cs] * log2e;
}

// ------------------------------------------------------------------------------------------
// Forward
// ------------------------------------------------------------------------------------------

// Packs head b: Kt = K^T scale log2(e) (D x Lkp, zero past Lk), Vp = V (Lkp x Dvp, zero padded).
template <typename T, int Bytes>
TL_INLINE void forward_pack(const ForwardArgs<T>& a, i64 b) {
  const Problem<T>& p = a.p;
  const T* k = a.k + b * p.lk * p.d;
  const T* v = a.v + b * p.lk * p.dv;
  T* kt = a.kt + b * p.d * p.lkp;
  T* vp = a.vp + b * p.lkp * p.dvp;
  const T c = p.scale * T(kLog2e);
  std::fill(kt, kt + p.d * p.lkp, T(0));
  for (i64 j = 0; j < p.lk; ++j)
    for (i64 x = 0; x < p.d; ++x) kt[x * p.lkp + j] = k[j * p.d + x] * c;
  std::fill(vp, vp + p.lkp * p.dvp, T(0));
  for (i64 j = 0; j < p.lk; ++j) std::copy(v + j * p.dv, v + (j + 1) * p.dv, vp + j * p.dvp);
}

// One task: query block ib of head b (Algorithm 1, lines 4-15).  Returns false when the
// workspace could not be allocated.
template <typename T, int Bytes>
TL_INLINE bool forward_block(const ForwardArgs<T>& a, i64 b, i64 ib) {
  using S = Simd<T, Bytes>;
  using V = typename S::V;
  constexpr int L = S::L;
  const Problem<T>& p = a.p;
  const i64 d = p.d, dv = p.dv, dvp = p.dvp;
  T* ws = thread_workspace<T>(kBr * d + kBr * kBc + kBr * dvp + 2 * kBr);
  if (ws == nullptr) return false;
  T* qi = ws;                // Br x D     Q_i
  T* st = qi + kBr * d;      // Br x Bc    S2_ij, then P_ij
  T* o = st + kBr * kBc;     // Br x Dvp   O_i, unnormalised
  T* m = o + kBr * dvp;      // Br         running row max of S2
  T* l = m + kBr;            // Br         running row sum of exp2(S2 - m)

  const i64 i0 = ib * kBr;
  const i64 rows = std::min(kBr, p.lq - i0);
  const i64 mrows = round_up(rows, kMR);  // GEMM rows; the padding rows of Q_i are zero
  std::copy(a.q + (b * p.lq + i0) * d, a.q + (b * p.lq + i0 + rows) * d, qi);
  std::fill(qi + rows * d, qi + mrows * d, T(0));
  std::fill(o, o + mrows * dvp, T(0));                                   // line 6: O = 0
  std::fill(m, m + kBr, -std::numeric_limits<T>::infinity());            //         m = -inf
  std::fill(l, l + kBr, T(0));                                           //         l = 0

  const T* kt = a.kt + b * d * p.lkp;
  const T* vp = a.vp + b * p.lkp * dvp;
  i64 nkb = (p.lk + kBc - 1) / kBc;
  if (p.causal) nkb = std::min(nkb, (i0 + rows - 1) / kBc + 1);  // later blocks: all keys after all queries

  for (i64 jb = 0; jb < nkb; ++jb) {  // line 7: for each key block
    const i64 j0 = jb * kBc;
    // line 9: S2_ij = Q_i K_j^T scale log2(e)   (the factor is in kt)
    gemm<T, Bytes, false>(mrows, kBc, d, qi, d, kt + j0, p.lkp, st, kBc, false);
    const bool partial = j0 + kBc > p.lk || (p.causal && j0 + kBc - 1 > i0);
    for (i64 r = 0; r < mrows; ++r) {
      T* s = st + r * kBc;
      if (r >= rows) {  // padding row: P = 0, so it adds nothing to O
        std::fill(s, s + kBc, T(0));
        continue;
      }
      if (p.mask.data) add_mask_row<T, Bytes>(p, b, i0 + r, j0, std::min(kBc, p.lk - j0), s);
      if (partial) std::fill(s + visible_cols(p, i0 + r, j0), s + kBc, -std::numeric_limits<T>::infinity());
      // line 10: m_new = max(m, rowmax S2_ij); an all -inf row so far is shifted by 0, not -inf
      V vmax = S::load(s);
      for (i64 c = L; c < kBc; c += L) vmax = S::vmax(S::load(s + c), vmax);
      const T m_new = std::max(m[r], S::hmax(vmax));
      const T shift = m_new == -std::numeric_limits<T>::infinity() ? T(0) : m_new;
      // P_ij = exp2(S2_ij - m_new), and its row sum
      const V vshift = S::splat(shift);
      V vsum = S::splat(T(0));
      for (i64 c = 0; c < kBc; c += L) {
        const V e = S::exp2(S::load(s + c) - vshift);
        S::store(s + c, e);
        vsum += e;
      }
      // l = exp2(m - m_new) l + rowsum P;  O_i row *= exp2(m - m_new)
      const T alpha = std::exp2(m[r] - shift);
      l[r] = alpha * l[r] + S::hsum(vsum);
      m[r] = m_new;
      if (alpha != T(1)) {
        T* orow = o + r * dvp;
        for (i64 c = 0; c < dvp; c += L) S::store(orow + c, S::load(orow + c) * alpha);
      }
    }
    // line 10 (end): O_i += P_ij V_j
    gemm<T, Bytes, false>(mrows, dvp, kBc, st, kBc, vp + j0 * dvp, dvp, o, dvp, true);
  }

  // lines 12-13: out_i = O_i / l, lse_i = m + log(l) (natural log: (m + log2 l) ln 2).
  // A row with l = 0 saw no key at all: out 0, lse -inf (the contract's entirely masked row).
  for (i64 r = 0; r < rows; ++r) {
    T* out = a.out + (b * p.lq + i0 + r) * dv;
    const T* orow = o + r * dvp;
    if (l[r] == T(0)) {
      std::fill(out, out + dv, T(0));
      a.lse[b * p.lq + i0 + r] = -std::numeric_limits<T>::infinity();
      continue;
    }
    const T inv = T(1) / l[r];
    for (i64 c = 0; c < dv; ++c) out[c] = orow[c] * inv;
    a.lse[b * p.lq + i0 + r] = (m[r] + std::log2(l[r])) * T(kLn2);
  }
  return true;
}

// ------------------------------------------------------------------------------------------
// Backward
// ------------------------------------------------------------------------------------------

// Packs head b: Qp = Q (Lqp x Dp), dOp = dO (Lqp x Dvp), zero padded; D = rowsum(dO out);
// lse2 = lse log2(e), +inf where lse = -inf (entirely masked row) and on padding rows, so
// that exp2(S2 - lse2) = 0 there.  Also zeroes this head's dQ accumulators.
template <typename T, int Bytes>
TL_INLINE void backward_pack(const BackwardArgs<T>& a, i64 b) {
  const Problem<T>& p = a.p;
  const T inf = std::numeric_limits<T>::infinity();
  T* qp = a.qp + b * p.lqp * p.dp;
  T* dop = a.dop + b * p.lqp * p.dvp;
  T* drow = a.drow + b * p.lqp;
  T* lse2 = a.lse2 + b * p.lqp;
  std::fill(qp, qp + p.lqp * p.dp, T(0));
  std::fill(dop, dop + p.lqp * p.dvp, T(0));
  for (i64 i = 0; i < p.lq; ++i) {
    const T* qrow = a.q + (b * p.lq + i) * p.d;
    const T* grow = a.dout + (b * p.lq + i) * p.dv;
    const T* orow = a.out + (b * p.lq + i) * p.dv;
    std::copy(qrow, qrow + p.d, qp + i * p.dp);
    std::copy(grow, grow + p.dv, dop + i * p.dvp);
    T dsum = 0;
    for (i64 c = 0; c < p.dv; ++c) dsum += grow[c] * orow[c];
    drow[i] = dsum;
    const T lse = a.lse[b * p.lq + i];
    lse2[i] = lse == -inf ? inf : lse * T(kLog2e);
  }
  std::fill(drow + p.lq, drow + p.lqp, T(0));
  std::fill(lse2 + p.lq, lse2 + p.lqp, inf);
  for (i64 c = 0; c < a.chunks; ++c) {
    T* part = a.dq_parts + (c * p.bh + b) * p.lqp * p.dp;
    std::fill(part, part + p.lqp * p.dp, T(0));
  }
}

// One task: the key blocks jb = chunk, chunk + chunks, ... of head b (Algorithm 2, lines 5-21).
template <typename T, int Bytes>
TL_INLINE bool backward_blocks(const BackwardArgs<T>& a, i64 b, i64 chunk) {
  using S = Simd<T, Bytes>;
  constexpr int L = S::L;
  const Problem<T>& p = a.p;
  const i64 d = p.d, dv = p.dv, dp = p.dp, dvp = p.dvp;
  T* ws = thread_workspace<T>(d * kBc + kBc * dp + dv * kBc + kBc * dp + kBc * dvp + 2 * kBr * kBc);
  if (ws == nullptr) return false;
  T* ktj = ws;               // D x Bc     K_j^T scale log2(e)   (for S2)
  T* kj = ktj + d * kBc;     // Bc x Dp    K_j                   (for dQ)
  T* vtj = kj + kBc * dp;    // Dv x Bc    V_j^T                 (for dP)
  T* dkj = vtj + dv * kBc;   // Bc x Dp    dK_j accumulator
  T* dvj = dkj + kBc * dp;   // Bc x Dvp   dV_j accumulator
  T* pt = dvj + kBc * dvp;   // Br x Bc    P_ij
  T* dst = pt + kBr * kBc;   // Br x Bc    dP_ij, then dS_ij

  const T* qp = a.qp + b * p.lqp * dp;
  const T* dop = a.dop + b * p.lqp * dvp;
  const T* drow = a.drow + b * p.lqp;
  const T* lse2 = a.lse2 + b * p.lqp;
  T* dq = a.dq_parts + (chunk * p.bh + b) * p.lqp * dp;
  const T* k = a.k + b * p.lk * d;
  const T* v = a.v + b * p.lk * dv;
  const T c_s = p.scale * T(kLog2e);
  const i64 nkb = (p.lk + kBc - 1) / kBc, nqb = (p.lq + kBr - 1) / kBr;

  for (i64 jb = chunk; jb < nkb; jb += a.chunks) {  // line 5: for each key block (of this task)
    const i64 j0 = jb * kBc;
    const i64 cols = std::min(kBc, p.lk - j0);
    // line 6: load K_j, V_j (packed: transposed and zero padded), zero dK_j, dV_j
    std::fill(ktj, ktj + d * kBc, T(0));
    std::fill(kj, kj + kBc * dp, T(0));
    std::fill(vtj, vtj + dv * kBc, T(0));
    for (i64 j = 0; j < cols; ++j) {
      const T* krow = k + (j0 + j) * d;
      const T* vrow = v + (j0 + j) * dv;
      for (i64 x = 0; x < d; ++x) ktj[x * kBc + j] = krow[x] * c_s;
      std::copy(krow, krow + d, kj + j * dp);
      for (i64 x = 0; x < dv; ++x) vtj[x * kBc + j] = vrow[x];
    }
    std::fill(dkj, dkj + kBc * dp, T(0));
    std::fill(dvj, dvj + kBc * dvp, T(0));

    // line 7: for each query block; with `causal`, those whose last row precedes key j0 see none of K_j
    for (i64 ib = p.causal ? j0 / kBr : 0; ib < nqb; ++ib) {
      const i64 i0 = ib * kBr;
      const i64 rows = std::min(kBr, p.lq - i0);
      const i64 mrows = round_up(rows, kMR);
      const T* qi = qp + i0 * dp;
      const T* doi = dop + i0 * dvp;
      // line 9: S2_ij = Q_i K_j^T scale log2(e)
      gemm<T, Bytes, false>(mrows, kBc, d, qi, dp, ktj, kBc, pt, kBc, false);
      // line 10: P_ij = exp2(S2_ij (+ mask) - lse2_i)
      const bool partial = j0 + kBc > p.lk || (p.causal && j0 + kBc - 1 > i0);
      for (i64 r = 0; r < mrows; ++r) {
        T* s = pt + r * kBc;
        if (r >= rows) {
          std::fill(s, s + kBc, T(0));
          continue;
        }
        if (p.mask.data) add_mask_row<T, Bytes>(p, b, i0 + r, j0, cols, s);
        if (partial) std::fill(s + visible_cols(p, i0 + r, j0), s + kBc, -std::numeric_limits<T>::infinity());
        const auto shift = S::splat(lse2[i0 + r]);
        for (i64 c = 0; c < kBc; c += L) S::store(s + c, S::exp2(S::load(s + c) - shift));
      }
      // line 11: dV_j += P_ij^T dO_i
      gemm<T, Bytes, true>(kBc, dvp, mrows, pt, kBc, doi, dvp, dvj, dvp, true);
      // line 12: dP_ij = dO_i V_j^T
      gemm<T, Bytes, false>(mrows, kBc, dv, doi, dvp, vtj, kBc, dst, kBc, false);
      // line 13: dS_ij = P_ij (dP_ij - D_i)
      for (i64 r = 0; r < mrows; ++r) {
        const auto dr = S::splat(drow[i0 + r]);
        T* ds = dst + r * kBc;
        const T* pr = pt + r * kBc;
        for (i64 c = 0; c < kBc; c += L) S::store(ds + c, S::load(pr + c) * (S::load(ds + c) - dr));
      }
      if (a.dmask != nullptr) {  // the float mask's gradient is dS itself
        for (i64 r = 0; r < rows; ++r)
          std::copy(dst + r * kBc, dst + r * kBc + cols, a.dmask + (b * p.lq + i0 + r) * p.lk + j0);
      }
      // line 14: dQ_i += dS_ij K_j   (times scale once, at the end)
      gemm<T, Bytes, false>(mrows, dp, kBc, dst, kBc, kj, dp, dq + i0 * dp, dp, true);
      // line 15: dK_j += dS_ij^T Q_i  (times scale at the store)
      gemm<T, Bytes, true>(kBc, dp, mrows, dst, kBc, qi, dp, dkj, dp, true);
    }
    // line 18: write dK_j, dV_j
    for (i64 j = 0; j < cols; ++j) {
      T* dkrow = a.dk + (b * p.lk + j0 + j) * d;
      for (i64 x = 0; x < d; ++x) dkrow[x] = dkj[j * dp + x] * p.scale;
      std::copy(dvj + j * dvp, dvj + j * dvp + dv, a.dv + (b * p.lk + j0 + j) * dv);
    }
  }
  return true;
}

// ------------------------------------------------------------------------------------------
// The three compiled paths.  Each entry point is one function compiled for its ISA; the
// helpers above are always_inline, so they are generated inside it with that ISA.
// ------------------------------------------------------------------------------------------
template <typename T>
struct PathKernels {
  int lanes;
  void (*forward_pack)(const ForwardArgs<T>&, i64);
  bool (*forward_block)(const ForwardArgs<T>&, i64, i64);
  void (*backward_pack)(const BackwardArgs<T>&, i64);
  bool (*backward_blocks)(const BackwardArgs<T>&, i64, i64);
};

#define TL_ATTENTION_PATH(NAME, TARGET, BYTES)                                                            \
  template <typename T>                                                                                   \
  TARGET void NAME##_forward_pack(const ForwardArgs<T>& a, i64 b) {                                       \
    forward_pack<T, BYTES>(a, b);                                                                         \
  }                                                                                                       \
  template <typename T>                                                                                   \
  TARGET bool NAME##_forward_block(const ForwardArgs<T>& a, i64 b, i64 ib) {                              \
    return forward_block<T, BYTES>(a, b, ib);                                                             \
  }                                                                                                       \
  template <typename T>                                                                                   \
  TARGET void NAME##_backward_pack(const BackwardArgs<T>& a, i64 b) {                                     \
    backward_pack<T, BYTES>(a, b);                                                                        \
  }                                                                                                       \
  template <typename T>                                                                                   \
  TARGET bool NAME##_backward_blocks(const BackwardArgs<T>& a, i64 b, i64 chunk) {                        \
    return backward_blocks<T, BYTES>(a, b, chunk);                                                        \
  }                                                                                                       \
  template <typename T>                                                                                   \
  PathKernels<T> NAME##_kernels() {                                                                       \
    return {BYTES / static_cast<int>(sizeof(T)), &NAME##_forward_pack<T>, &NAME##_forward_block<T>,       \
            &NAME##_backward_pack<T>, &NAME##_backward_blocks<T>};                                        \
  }

#if TL_VECTOR_TYPES
TL_ATTENTION_PATH(portable, , 16)
#else
TL_ATTENTION_PATH(portable, , sizeof(T))
#endif
#if TL_HAVE_SIMD_PATHS && TL_VECTOR_TYPES
TL_ATTENTION_PATH(avx2, TL_TARGET_AVX2, 32)
TL_ATTENTION_PATH(avx512, TL_TARGET_AVX512, 64)
constexpr unsigned kAttentionPaths = kAllPaths;
#else
constexpr unsigned kAttentionPaths = kPathBit(CpuPath::portable);
#endif

template <typename T>
PathKernels<T> select_kernels() {
#if TL_HAVE_SIMD_PATHS && TL_VECTOR_TYPES
  switch (kernel_path(kAttentionPaths)) {
    case CpuPath::avx512:
      return avx512_kernels<T>();
    case CpuPath::avx2:
      return avx2_kernels<T>();
    default:
      break;
  }
#endif
  return portable_kernels<T>();
}

// ------------------------------------------------------------------------------------------
// Drivers: allocate the packed operands, run the tasks in parallel.
// ------------------------------------------------------------------------------------------
template <typename T>
struct AlignedArray {
  T* ptr = nullptr;
  explicit AlignedArray(i64 count) {
    if (count > 0) {
      ptr = static_cast<T*>(std::aligned_alloc(64, static_cast<std::size_t>(round_up(count * sizeof(T), 64))));
      if (ptr == nullptr) throw std::bad_alloc();
    }
  }
  ~AlignedArray() { std::free(ptr); }
  AlignedArray(const AlignedArray&) = delete;
  AlignedArray& operator=(const AlignedArray&) = delete;
};

int max_threads() {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

template <typename T>
void pad_sizes(Problem<T>& p, int lanes) {
  p.lqp = round_up(p.lq, kBr);
  p.lkp = round_up(p.lk, kBc);
  p.dp = round_up(p.d, lanes);
  p.dvp = round_up(p.dv, lanes);
}

template <typename T>
void run_forward(ForwardArgs<T>& a) {
  const PathKernels<T> kern = select_kernels<T>();
  pad_sizes(a.p, kern.lanes);
  const Problem<T>& p = a.p;
  AlignedArray<T> kt(p.bh * p.d * p.lkp), vp(p.bh * p.lkp * p.dvp);
  a.kt = kt.ptr;
  a.vp = vp.ptr;
  const i64 nqb = (p.lq + kBr - 1) / kBr;
  const i64 tasks = p.bh * nqb;
  std::atomic<bool> out_of_memory{false};
  const ForwardArgs<T>& args = a;
#pragma omp parallel
  {
#pragma omp for schedule(static)
    for (i64 b = 0; b < p.bh; ++b) kern.forward_pack(args, b);
    // Largest causal blocks (last query blocks) first, so the dynamic schedule ends balanced.
#pragma omp for schedule(dynamic, 1)
    for (i64 t = 0; t < tasks; ++t) {
      if (!kern.forward_block(args, t / nqb, nqb - 1 - t % nqb)) out_of_memory = true;
    }
  }
  if (out_of_memory) throw std::bad_alloc();
}

template <typename T>
void run_backward(BackwardArgs<T>& a) {
  const PathKernels<T> kern = select_kernels<T>();
  pad_sizes(a.p, kern.lanes);
  const Problem<T>& p = a.p;
  const i64 nkb = (p.lk + kBc - 1) / kBc;
  const i64 threads = max_threads();
  // One task per head when the heads keep every thread busy; else split each head's key
  // blocks over `threads` tasks, each with its own dQ accumulator.
  a.chunks = (p.bh % threads == 0 || p.bh >= 4 * threads) ? 1 : std::min<i64>(threads, nkb);
  AlignedArray<T> qp(p.bh * p.lqp * p.dp), dop(p.bh * p.lqp * p.dvp), drow(p.bh * p.lqp), lse2(p.bh * p.lqp),
      parts(a.chunks * p.bh * p.lqp * p.dp);
  a.qp = qp.ptr;
  a.dop = dop.ptr;
  a.drow = drow.ptr;
  a.lse2 = lse2.ptr;
  a.dq_parts = parts.ptr;
  const i64 tasks = p.bh * a.chunks;
  std::atomic<bool> out_of_memory{false};
  const BackwardArgs<T>& args = a;
#pragma omp parallel
  {
#pragma omp for schedule(static)
    for (i64 b = 0; b < p.bh; ++b) kern.backward_pack(args, b);
#pragma omp for schedule(dynamic, 1)
    for (i64 t = 0; t < tasks; ++t) {
      if (!kern.backward_blocks(args, t / args.chunks, t % args.chunks)) out_of_memory = true;
    }
    // dQ = scale * (sum of the chunks' accumulators, in chunk order)
#pragma omp for schedule(static)
    for (i64 row = 0; row < p.bh * p.lq; ++row) {
      const i64 b = row / p.lq, i = row % p.lq;
      T* dq = args.dq + row * p.d;
      for (i64 x = 0; x < p.d; ++x) {
        T sum = 0;
        for (i64 c = 0; c < args.chunks; ++c) sum += args.dq_parts[((c * p.bh + b) * p.lqp + i) * p.dp + x];
        dq[x] = sum * p.scale;
      }
    }
  }
  if (out_of_memory) throw std::bad_alloc();
}

// ------------------------------------------------------------------------------------------
// Python bindings (called by kernels/attention_native.py, which validates and lays out).
// ------------------------------------------------------------------------------------------
std::string shape_of(const py::array& x) {
  std::string s = "(";
  for (py::ssize_t i = 0; i < x.ndim(); ++i) s += (i ? ", " : "") + std::to_string(x.shape(i));
  return s + (x.ndim() == 1 ? ",)" : ")");
}

template <typename T>
using CArray = py::array_t<T, py::array::c_style | py::array::forcecast>;

template <typename T>
CArray<T> c_array(const py::array& x, const char* kernel, const char* name, int ndim) {
  if (x.ndim() != ndim) {
    throw py::value_error(std::string(kernel) + " (native): expected " + name + " with " + std::to_string(ndim) +
                          " dims, got shape " + shape_of(x));
  }
  auto c = CArray<T>::ensure(x);
  if (!c) throw py::error_already_set();
  return c;
}

template <typename T>
MaskRef<T> mask_ref(const py::object& mask, const py::object& offsets, i64 rs, i64 cs, i64 bh, const char* kernel,
                    py::array_t<i64, py::array::c_style | py::array::forcecast>& offsets_keep) {
  MaskRef<T> m;
  if (mask.is_none()) return m;
  auto arr = py::cast<py::array>(mask);
  if (!py::isinstance<py::array_t<T>>(arr)) {
    throw py::type_error(std::string(kernel) + " (native): the mask must have the inputs' dtype " +
                         std::string(py::str(py::dtype::of<T>())) + ", got " + std::string(py::str(arr.dtype())));
  }
  offsets_keep = py::array_t<i64, py::array::c_style | py::array::forcecast>::ensure(offsets);
  if (!offsets_keep || offsets_keep.ndim() != 1 || offsets_keep.shape(0) != bh) {
    throw py::value_error(std::string(kernel) + " (native): mask_offsets must be an int64 array of " +
                          std::to_string(bh) + " offsets (one per batch element)");
  }
  m.data = static_cast<const T*>(arr.data());
  m.offsets = offsets_keep.data();
  m.rs = rs;
  m.cs = cs;
  return m;
}

template <typename T>
py::tuple forward_typed(const py::array& q_in, const py::array& k_in, const py::array& v_in, const py::object& mask,
                        const py::object& mask_offsets, i64 mask_rs, i64 mask_cs, bool causal, double scale) {
  const char* kernel = "attention_forward";
  auto q = c_array<T>(q_in, kernel, "q", 3), k = c_array<T>(k_in, kernel, "k", 3), v = c_array<T>(v_in, kernel, "v", 3);
  ForwardArgs<T> a;
  Problem<T>& p = a.p;
  p.bh = q.shape(0), p.lq = q.shape(1), p.d = q.shape(2), p.lk = k.shape(1), p.dv = v.shape(2);
  if (k.shape(0) != p.bh || v.shape(0) != p.bh || k.shape(2) != p.d || v.shape(1) != p.lk) {
    throw py::value_error(std::string(kernel) + " (native): shapes q " + shape_of(q) + ", k " + shape_of(k) + ", v " +
                          shape_of(v) + " do not fit (BH, Lq, D), (BH, Lk, D), (BH, Lk, Dv)");
  }
  p.scale = static_cast<T>(scale);
  p.causal = causal;
  py::array_t<i64, py::array::c_style | py::array::forcecast> offsets_keep;
  p.mask = mask_ref<T>(mask, mask_offsets, mask_rs, mask_cs, p.bh, kernel, offsets_keep);
  py::array_t<T> out({p.bh, p.lq, p.dv});
  py::array_t<T> lse({p.bh, p.lq});
  a.q = q.data(), a.k = k.data(), a.v = v.data();
  a.out = out.mutable_data();
  a.lse = lse.mutable_data();
  if (p.bh * p.lq > 0) {
    if (p.lk == 0 || p.d == 0 || p.dv == 0) {
      throw py::value_error(std::string(kernel) + " (native): zero-size Lk, D or Dv is the reference's job");
    }
    py::gil_scoped_release release;
    run_forward(a);
  }
  return py::make_tuple(out, lse);
}

template <typename T>
py::tuple backward_typed(const py::array& dout_in, const py::array& q_in, const py::array& k_in, const py::array& v_in,
                         const py::array& out_in, const py::array& lse_in, const py::object& mask,
                         const py::object& mask_offsets, i64 mask_rs, i64 mask_cs, bool causal, double scale,
                         bool need_dmask) {
  const char* kernel = "attention_backward";
  auto q = c_array<T>(q_in, kernel, "q", 3), k = c_array<T>(k_in, kernel, "k", 3), v = c_array<T>(v_in, kernel, "v", 3);
  auto dout = c_array<T>(dout_in, kernel, "grad_out", 3), out = c_array<T>(out_in, kernel, "out", 3);
  auto lse = c_array<T>(lse_in, kernel, "lse", 2);
  BackwardArgs<T> a;
  Problem<T>& p = a.p;
  p.bh = q.shape(0), p.lq = q.shape(1), p.d = q.shape(2), p.lk = k.shape(1), p.dv = v.shape(2);
  const bool fits = k.shape(0) == p.bh && v.shape(0) == p.bh && k.shape(2) == p.d && v.shape(1) == p.lk &&
                    dout.shape(0) == p.bh && dout.shape(1) == p.lq && dout.shape(2) == p.dv &&
                    out.shape(0) == p.bh && out.shape(1) == p.lq && out.shape(2) == p.dv && lse.shape(0) == p.bh &&
                    lse.shape(1) == p.lq;
  if (!fits) {
    throw py::value_error(std::string(kernel) + " (native): shapes grad_out " + shape_of(dout) + ", q " + shape_of(q) +
                          ", k " + shape_of(k) + ", v " + shape_of(v) + ", out " + shape_of(out) + ", lse " +
                          shape_of(lse) + " do not fit (BH, Lq, Dv), (BH, Lq, D), (BH, Lk, D), (BH, Lk, Dv), "
                          "(BH, Lq, Dv), (BH, Lq)");
  }
  p.scale = static_cast<T>(scale);
  p.causal = causal;
  py::array_t<i64, py::array::c_style | py::array::forcecast> offsets_keep;
  p.mask = mask_ref<T>(mask, mask_offsets, mask_rs, mask_cs, p.bh, kernel, offsets_keep);
  py::array_t<T> dq({p.bh, p.lq, p.d}), dk({p.bh, p.lk, p.d}), dv({p.bh, p.lk, p.dv});
  py::object dmask = py::none();
  if (need_dmask) {
    py::array_t<T> dm({p.bh, p.lq, p.lk});
    std::fill(dm.mutable_data(), dm.mutable_data() + dm.size(), T(0));  // blocks skipped by `causal` stay 0
    a.dmask = dm.mutable_data();
    dmask = dm;
  }
  a.dout = dout.data(), a.q = q.data(), a.k = k.data(), a.v = v.data(), a.out = out.data(), a.lse = lse.data();
  a.dq = dq.mutable_data(), a.dk = dk.mutable_data(), a.dv = dv.mutable_data();
  if (p.bh > 0) {
    if (p.lq == 0 || p.lk == 0 || p.d == 0 || p.dv == 0) {
      throw py::value_error(std::string(kernel) + " (native): zero-size Lq, Lk, D or Dv is the reference's job");
    }
    py::gil_scoped_release release;
    run_backward(a);
  }
  return py::make_tuple(dq, dk, dv, dmask);
}

py::tuple attention_forward(const py::array& q, const py::array& k, const py::array& v, const py::object& mask,
                            const py::object& mask_offsets, i64 mask_rs, i64 mask_cs, bool causal, double scale) {
  if (py::isinstance<py::array_t<float>>(q)) return forward_typed<float>(q, k, v, mask, mask_offsets, mask_rs, mask_cs, causal, scale);
  if (py::isinstance<py::array_t<double>>(q)) return forward_typed<double>(q, k, v, mask, mask_offsets, mask_rs, mask_cs, causal, scale);
  throw py::type_error("attention_forward (native): expected float32 or float64 q, k, v, got dtype " +
                       std::string(py::str(q.dtype())));
}

py::tuple attention_backward(const py::array& dout, const py::array& q, const py::array& k, const py::array& v,
                             const py::array& out, const py::array& lse, const py::object& mask,
                             const py::object& mask_offsets, i64 mask_rs, i64 mask_cs, bool causal, double scale,
                             bool need_dmask) {
  if (py::isinstance<py::array_t<float>>(q))
    return backward_typed<float>(dout, q, k, v, out, lse, mask, mask_offsets, mask_rs, mask_cs, causal, scale, need_dmask);
  if (py::isinstance<py::array_t<double>>(q))
    return backward_typed<double>(dout, q, k, v, out, lse, mask, mask_offsets, mask_rs, mask_cs, causal, scale, need_dmask);
  throw py::type_error("attention_backward (native): expected float32 or float64 q, k, v, got dtype " +
                       std::string(py::str(q.dtype())));
}

}  // namespace

void register_attention(py::module_& m) {
  declare_kernel_paths("attention", kAttentionPaths);
  m.def("attention_forward", &attention_forward, py::arg("q"), py::arg("k"), py::arg("v"), py::arg("mask") = py::none(),
        py::arg("mask_offsets") = py::none(), py::arg("mask_rs") = 0, py::arg("mask_cs") = 0,
        py::arg("causal") = false, py::arg("scale") = 1.0,
        "Fused attention forward (FlashAttention-2) on C-contiguous (BH, Lq, D), (BH, Lk, D), (BH, Lk, Dv)\n"
        "float32/float64 arrays -> (out (BH, Lq, Dv), lse (BH, Lq)).  mask: an additive array of the same\n"
        "dtype, element (b, i, j) at mask[mask_offsets[b] + i*mask_rs + j*mask_cs] (element strides).");
  m.def("attention_backward", &attention_backward, py::arg("grad_out"), py::arg("q"), py::arg("k"), py::arg("v"),
        py::arg("out"), py::arg("lse"), py::arg("mask") = py::none(), py::arg("mask_offsets") = py::none(),
        py::arg("mask_rs") = 0, py::arg("mask_cs") = 0, py::arg("causal") = false, py::arg("scale") = 1.0,
        py::arg("need_dmask") = false,
        "Fused attention backward (FlashAttention-2) -> (dq, dk, dv, dS (BH, Lq, Lk) if need_dmask else None).\n"
        "Arguments as attention_forward, plus grad_out (BH, Lq, Dv), out and lse of the forward.");
}

}  // namespace tensorlite
