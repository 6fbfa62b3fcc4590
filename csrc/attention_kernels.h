// The attention kernels of one SIMD path (see attention.cpp, which includes this file once
// per path: inside namespace tensorlite::{anon}::<path>, with TL_SIMD_BYTES set to the path's
// vector size in bytes (0: scalars) and every function compiled for the path's ISA).
// No include guard, by design; no #includes: everything it uses is declared before.
//
// Contents: Simd<T> (vector type and operations, exp2), the register-tiled GEMM, the forward
// and backward tasks (FlashAttention-2 Algorithms 1 and 2: each step's formula, as listed at
// the top of attention.cpp, heads the code doing it), and kernels<T>(), the table of entry
// points attention.cpp's drivers call through.

// Vector size in bytes for element type T on this path.
template <typename T>
constexpr int kBytes = TL_SIMD_BYTES > 0 ? TL_SIMD_BYTES : static_cast<int>(sizeof(T));

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

  // exp(x) = exp2(x log2 e).  Callers subtract the row's shift (max or lse) first, in natural
  // units as the reference does, so the product's rounding is relative to a small number.
  static TL_INLINE V exp(V x) { return exp2(x * T(kLog2e)); }

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
      for (int j = 0; j < NV; ++j) acc[i][j] += ai * bv[j];  // one FMA where the ISA has it
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

// Columns of key block j0 that query row i may see: the keys that exist (< Lk) and, if
// causal, are not after the query (j <= i).  Scores past this count are set to -inf.
template <typename T>
TL_INLINE i64 visible_cols(const Problem<T>& p, i64 i, i64 j0) {
  i64 vis = std::min(kBc, p.lk - j0);
  if (p.causal) vis = std::min(vis, i + 1 - j0);
  return std::max<i64>(vis, 0);
}

// S row += mask row, for the first `cols` keys of the block.
template <typename T, int Bytes>
TL_INLINE void add_mask_row(const Problem<T>& p, i64 b, i64 i, i64 j0, i64 cols, T* s) {
  using S = Simd<T, Bytes>;
  const T* m = p.mask.data + p.mask.offsets[b] + i * p.mask.rs + j0 * p.mask.cs;
  i64 c = 0;
  if (p.mask.cs == 1) {
    for (; c + S::L <= cols; c += S::L) S::store(s + c, S::load(s + c) + S::load(m + c));
  }
  for (; c < cols; ++c) s[c] += m[c * p.mask.cs];
}

// ------------------------------------------------------------------------------------------
// Forward
// ------------------------------------------------------------------------------------------

// Packs head b: Kt = K^T scale as one D x Bc panel per key block (zero past Lk), Vp = V
// (Lkp x Dvp, zero padded).  Panels keep the rows the GEMM reads 4 Bc bytes apart: one
// D x Lkp matrix would put them Lkp floats apart, a multiple of 4 KiB for Lk = 1024, 2048, ...,
// and such rows all fall in the same few L1 sets.
template <typename T, int Bytes>
TL_INLINE void forward_pack(const ForwardArgs<T>& a, i64 b) {
  const Problem<T>& p = a.p;
  const T* k = a.k + b * p.lk * p.d;
  const T* v = a.v + b * p.lk * p.dv;
  T* kt = a.kt + b * p.d * p.lkp;
  T* vp = a.vp + b * p.lkp * p.dvp;
  const T c = p.scale;
  std::fill(kt, kt + p.d * p.lkp, T(0));
  for (i64 j0 = 0; j0 < p.lk; j0 += kBc) {
    T* panel = kt + j0 * p.d;  // block j0 / Bc
    for (i64 j = j0; j < std::min(j0 + kBc, p.lk); ++j)
      for (i64 x = 0; x < p.d; ++x) panel[x * kBc + (j - j0)] = k[j * p.d + x] * c;
  }
  std::fill(vp, vp + p.lkp * p.dvp, T(0));
  for (i64 j = 0; j < p.lk; ++j) std::copy(v + j * p.dv, v + (j + 1) * p.dv, vp + j * p.dvp);
}

// One task: query block ib of head b (Algorithm 1).  Returns false when the workspace could
// not be allocated.
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
  T* st = qi + kBr * d;      // Br x Bc    S_ij, then P_ij
  T* o = st + kBr * kBc;     // Br x Dvp   O_i, unnormalised
  T* m = o + kBr * dvp;      // Br         running row max of S
  T* l = m + kBr;            // Br         running row sum of exp(S - m)

  const i64 i0 = ib * kBr;
  const i64 rows = std::min(kBr, p.lq - i0);
  const i64 mrows = round_up(rows, kMR);  // GEMM rows; the padding rows of Q_i are zero
  std::copy(a.q + (b * p.lq + i0) * d, a.q + (b * p.lq + i0 + rows) * d, qi);
  std::fill(qi + rows * d, qi + mrows * d, T(0));
  std::fill(o, o + mrows * dvp, T(0));                         // O = 0
  std::fill(m, m + kBr, -std::numeric_limits<T>::infinity());  // m = -inf
  std::fill(l, l + kBr, T(0));                                 // l = 0

  const T* kt = a.kt + b * d * p.lkp;
  const T* vp = a.vp + b * p.lkp * dvp;
  i64 nkb = (p.lk + kBc - 1) / kBc;
  if (p.causal) nkb = std::min(nkb, (i0 + rows - 1) / kBc + 1);  // later blocks: all keys after all queries

  for (i64 jb = 0; jb < nkb; ++jb) {  // for each key block
    const i64 j0 = jb * kBc;
    // S_ij = Q_i K_j^T scale   (the scale is in kt)
    gemm<T, Bytes, false>(mrows, kBc, d, qi, d, kt + j0 * d, kBc, st, kBc, false);
    const bool partial = j0 + kBc > p.lk || (p.causal && j0 + kBc - 1 > i0);
    for (i64 r = 0; r < mrows; ++r) {
      T* s = st + r * kBc;
      if (r >= rows) {  // padding row: P = 0, so it adds nothing to O
        std::fill(s, s + kBc, T(0));
        continue;
      }
      if (p.mask.data) add_mask_row<T, Bytes>(p, b, i0 + r, j0, std::min(kBc, p.lk - j0), s);
      if (partial) std::fill(s + visible_cols(p, i0 + r, j0), s + kBc, -std::numeric_limits<T>::infinity());
      // m_new = max(m, rowmax S_ij); an all -inf row so far is shifted by 0, not -inf
      V vmax = S::load(s);
      for (i64 c = L; c < kBc; c += L) vmax = S::vmax(S::load(s + c), vmax);
      const T m_new = std::max(m[r], S::hmax(vmax));
      const T shift = m_new == -std::numeric_limits<T>::infinity() ? T(0) : m_new;
      // P_ij = exp(S_ij - m_new), and its row sum
      const V vshift = S::splat(shift);
      V vsum = S::splat(T(0));
      for (i64 c = 0; c < kBc; c += L) {
        const V e = S::exp(S::load(s + c) - vshift);
        S::store(s + c, e);
        vsum += e;
      }
      // l = exp(m - m_new) l + rowsum P;  O_i row *= exp(m - m_new)
      const T alpha = std::exp(m[r] - shift);
      l[r] = alpha * l[r] + S::hsum(vsum);
      m[r] = m_new;
      if (alpha != T(1)) {
        T* orow = o + r * dvp;
        for (i64 c = 0; c < dvp; c += L) S::store(orow + c, S::load(orow + c) * alpha);
      }
    }
    // O_i += P_ij V_j
    gemm<T, Bytes, false>(mrows, dvp, kBc, st, kBc, vp + j0 * dvp, dvp, o, dvp, true);
  }

  // out_i = O_i / l, lse_i = m + log(l).
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
    a.lse[b * p.lq + i0 + r] = m[r] + std::log(l[r]);
  }
  return true;
}

// ------------------------------------------------------------------------------------------
// Backward
// ------------------------------------------------------------------------------------------

// Packs head b: Qp = Q (Lqp x Dp), dOp = dO (Lqp x Dvp), zero padded; D = rowsum(dO out);
// shift = lse, but +inf where lse = -inf (entirely masked row) and on padding rows, so that
// P = exp(S - shift) = 0 there.  Also zeroes this head's dQ accumulators.
template <typename T, int Bytes>
TL_INLINE void backward_pack(const BackwardArgs<T>& a, i64 b) {
  const Problem<T>& p = a.p;
  const T inf = std::numeric_limits<T>::infinity();
  T* qp = a.qp + b * p.lqp * p.dp;
  T* dop = a.dop + b * p.lqp * p.dvp;
  T* drow = a.drow + b * p.lqp;
  T* lse_shift = a.lse_shift + b * p.lqp;
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
    lse_shift[i] = lse == -inf ? inf : lse;
  }
  std::fill(drow + p.lq, drow + p.lqp, T(0));
  std::fill(lse_shift + p.lq, lse_shift + p.lqp, inf);
  for (i64 c = 0; c < a.chunks; ++c) {
    T* part = a.dq_parts + (c * p.bh + b) * p.lqp * p.dp;
    std::fill(part, part + p.lqp * p.dp, T(0));
  }
}

// One task: the key blocks jb = chunk, chunk + chunks, ... of head b (Algorithm 2).
template <typename T, int Bytes>
TL_INLINE bool backward_blocks(const BackwardArgs<T>& a, i64 b, i64 chunk) {
  using S = Simd<T, Bytes>;
  constexpr int L = S::L;
  const Problem<T>& p = a.p;
  const i64 d = p.d, dv = p.dv, dp = p.dp, dvp = p.dvp;
  T* ws = thread_workspace<T>(d * kBc + kBc * dp + dv * kBc + kBc * dp + kBc * dvp + 2 * kBr * kBc);
  if (ws == nullptr) return false;
  T* ktj = ws;               // D x Bc     K_j^T scale           (for S)
  T* kj = ktj + d * kBc;     // Bc x Dp    K_j                   (for dQ)
  T* vtj = kj + kBc * dp;    // Dv x Bc    V_j^T                 (for dP)
  T* dkj = vtj + dv * kBc;   // Bc x Dp    dK_j accumulator
  T* dvj = dkj + kBc * dp;   // Bc x Dvp   dV_j accumulator
  T* pt = dvj + kBc * dvp;   // Br x Bc    P_ij
  T* dst = pt + kBr * kBc;   // Br x Bc    dP_ij, then dS_ij

  const T* qp = a.qp + b * p.lqp * dp;
  const T* dop = a.dop + b * p.lqp * dvp;
  const T* drow = a.drow + b * p.lqp;
  const T* lse_shift = a.lse_shift + b * p.lqp;
  T* dq = a.dq_parts + (chunk * p.bh + b) * p.lqp * dp;
  const T* k = a.k + b * p.lk * d;
  const T* v = a.v + b * p.lk * dv;
  const i64 nkb = (p.lk + kBc - 1) / kBc, nqb = (p.lq + kBr - 1) / kBr;

  for (i64 jb = chunk; jb < nkb; jb += a.chunks) {  // for each key block (of this task)
    const i64 j0 = jb * kBc;
    const i64 cols = std::min(kBc, p.lk - j0);
    // load K_j, V_j (packed: transposed and zero padded), zero dK_j, dV_j
    std::fill(ktj, ktj + d * kBc, T(0));
    std::fill(kj, kj + kBc * dp, T(0));
    std::fill(vtj, vtj + dv * kBc, T(0));
    for (i64 j = 0; j < cols; ++j) {
      const T* krow = k + (j0 + j) * d;
      const T* vrow = v + (j0 + j) * dv;
      for (i64 x = 0; x < d; ++x) ktj[x * kBc + j] = krow[x] * p.scale;
      std::copy(krow, krow + d, kj + j * dp);
      for (i64 x = 0; x < dv; ++x) vtj[x * kBc + j] = vrow[x];
    }
    std::fill(dkj, dkj + kBc * dp, T(0));
    std::fill(dvj, dvj + kBc * dvp, T(0));

    // for each query block; with `causal`, those whose last row precedes key j0 see none of K_j
    for (i64 ib = p.causal ? j0 / kBr : 0; ib < nqb; ++ib) {
      const i64 i0 = ib * kBr;
      const i64 rows = std::min(kBr, p.lq - i0);
      const i64 mrows = round_up(rows, kMR);
      const T* qi = qp + i0 * dp;
      const T* doi = dop + i0 * dvp;
      // S_ij = Q_i K_j^T scale   (as in the forward, so P matches it)
      gemm<T, Bytes, false>(mrows, kBc, d, qi, dp, ktj, kBc, pt, kBc, false);
      // P_ij = exp(S_ij (+ mask) - lse_i)
      const bool partial = j0 + kBc > p.lk || (p.causal && j0 + kBc - 1 > i0);
      for (i64 r = 0; r < mrows; ++r) {
        T* s = pt + r * kBc;
        if (r >= rows) {
          std::fill(s, s + kBc, T(0));
          continue;
        }
        if (p.mask.data) add_mask_row<T, Bytes>(p, b, i0 + r, j0, cols, s);
        if (partial) std::fill(s + visible_cols(p, i0 + r, j0), s + kBc, -std::numeric_limits<T>::infinity());
        const auto shift = S::splat(lse_shift[i0 + r]);
        for (i64 c = 0; c < kBc; c += L) S::store(s + c, S::exp(S::load(s + c) - shift));
      }
      // dV_j += P_ij^T dO_i
      gemm<T, Bytes, true>(kBc, dvp, mrows, pt, kBc, doi, dvp, dvj, dvp, true);
      // dP_ij = dO_i V_j^T
      gemm<T, Bytes, false>(mrows, kBc, dv, doi, dvp, vtj, kBc, dst, kBc, false);
      // dS_ij = P_ij (dP_ij - D_i)
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
      // dQ_i += dS_ij K_j   (times scale once, at the end)
      gemm<T, Bytes, false>(mrows, dp, kBc, dst, kBc, kj, dp, dq + i0 * dp, dp, true);
      // dK_j += dS_ij^T Q_i  (times scale at the store)
      gemm<T, Bytes, true>(kBc, dp, mrows, dst, kBc, qi, dp, dkj, dp, true);
    }
    // write dK_j, dV_j
    for (i64 j = 0; j < cols; ++j) {
      T* dkrow = a.dk + (b * p.lk + j0 + j) * d;
      for (i64 x = 0; x < d; ++x) dkrow[x] = dkj[j * dp + x] * p.scale;
      std::copy(dvj + j * dvp, dvj + j * dvp + dv, a.dv + (b * p.lk + j0 + j) * dv);
    }
  }
  return true;
}

// ------------------------------------------------------------------------------------------
// Entry points of this path (not inlined: the drivers call them through PathKernels).
// ------------------------------------------------------------------------------------------
template <typename T>
void forward_pack_entry(const ForwardArgs<T>& a, i64 b) {
  forward_pack<T, kBytes<T>>(a, b);
}

template <typename T>
bool forward_block_entry(const ForwardArgs<T>& a, i64 b, i64 ib) {
  return forward_block<T, kBytes<T>>(a, b, ib);
}

template <typename T>
void backward_pack_entry(const BackwardArgs<T>& a, i64 b) {
  backward_pack<T, kBytes<T>>(a, b);
}

template <typename T>
bool backward_blocks_entry(const BackwardArgs<T>& a, i64 b, i64 chunk) {
  return backward_blocks<T, kBytes<T>>(a, b, chunk);
}

template <typename T>
PathKernels<T> kernels() {
  return {kBytes<T> / static_cast<int>(sizeof(T)), &forward_pack_entry<T>, &forward_block_entry<T>,
          &backward_pack_entry<T>, &backward_blocks_entry<T>};
}
