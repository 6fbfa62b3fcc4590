// Packed single-precision GEMM of one SIMD path: vector helpers, the register-tiled
// micro-kernel, transposes for packing, and the blocked, OpenMP-parallel driver.
//
// Included once per path (no include guard, by design) inside namespace
// tensorlite::{anon}::<path> by csrc/conv.cpp, with TL_SIMD_BYTES set to the path's vector
// size (64: AVX-512, 32: AVX2+FMA, 16: the SSE2/NEON baseline, 0: scalars) and every
// function compiled for the path's ISA (#pragma GCC target), as attention.cpp does with
// attention_kernels.h.  Declared before the include: i64, TL_INLINE, Buffer,
// ThreadScratch, thread_scratch(), shared_buffer(), max_threads(), GemmSplit, and
// <immintrin.h> on x86-64.
//
// The GEMM, C (M x N) = A (M x K) B (K x N), is blocked as in Goto & van de Geijn / BLIS:
//
//   A is packed once, up front, into kMR-row panels ([block][panel][kk][kMR])
//   for each column block jc of <= kNC columns of a task's chunk of C       (GemmSplit)
//     for each reduction block pc of <= kKC                   (so the packed B block fits in L2)
//       ops.pack_b: B[pc, jc] -> kNR-column panels            ([panel][kk][kNR]; im2col happens here)
//       for each kMR-row panel of A                           (kKC x kMR: stays in L1)
//         for each kNR-column panel of the B block            (streams from L2)
//           tile = A panel . B panel                          (kMR x kNR accumulators in registers)
//           ops.write(tile, ...)                              (C = / += tile, in the caller's layout)
//
// The micro-kernel broadcasts one element of A per row and multiplies it into kNR / kLanes
// vectors of B: kMR x kNV vector accumulators.  Tiles measured on this project's Zen 4 box
// (one thread, CPU time, packed operands hot in cache; FMA peak ~116 GFLOP/s per core):
// 8x32 112, 16x16 112, 6x64 110, 12x32 108, 14x32 103 GFLOP/s.  8x32 is as fast as any and
// its 8 rows divide the usual channel counts, so zero-padded row panels waste nothing.  AVX2
// (16 ymm registers): 6x16, the classic shape (12 accumulators + 2 B vectors + a broadcast).
// (Both panel loop orders, A panel outer or B panel outer, measured within 2% of each other.)
// Measurements here are in thread CPU time: the machine is shared, wall time is not reliable.
//
// A tile always goes through a small buffer (kMR x kNR floats, in L1) to ops.write rather
// than straight into C: the writers map tile columns to NCHW positions, add bias or scatter
// (col2im), and the extra copy costs < 2% (one tile store per kKC rank-1 updates).
//
// Determinism: each C element is the sum over pc blocks in order, each block summed over kk
// in order, by one task, whatever the thread count or schedule; when the reduction is cut
// into chunks (GemmSplit::k_cut, chosen from the shapes only) the caller adds the partial
// sums in chunk order.  So results are bitwise repeatable and independent of OMP_NUM_THREADS
// (they do depend on the path: FMA or mul + add).

constexpr int kLanes = TL_SIMD_BYTES > 0 ? TL_SIMD_BYTES / 4 : 1;
#if TL_SIMD_BYTES == 64
constexpr int kMR = 8, kNV = 2;
#elif TL_SIMD_BYTES == 32
constexpr int kMR = 6, kNV = 2;
#elif TL_SIMD_BYTES == 16
constexpr int kMR = 6, kNV = 2;
#else
constexpr int kMR = 4, kNV = 4;
#endif
constexpr int kNR = kNV * kLanes;
// Blocking: the A panel (kKC x kMR = 12 KB with AVX-512) stays in L1, the packed B block
// (kKC x kNC = 576 KB) in L2 (1 MB per core on Zen 4).  Measured on the ResNet layers, one
// thread: 384 x 384 is 2-3% faster than 256 x 512 (fewer C tile updates, one per kKC).
#ifndef TL_GEMM_KC  // (overridable at compile time, for tuning)
#define TL_GEMM_KC 384
#define TL_GEMM_NC 384
#endif
constexpr i64 kKC = TL_GEMM_KC;  // reduction block
constexpr i64 kNC = TL_GEMM_NC;  // columns per packed B block (a multiple of kNR on every path)

#if TL_SIMD_BYTES > 0
typedef float vfloat __attribute__((vector_size(TL_SIMD_BYTES)));
#else
using vfloat = float;
#endif

TL_INLINE vfloat vload(const float* p) {
  vfloat v;
  std::memcpy(&v, p, sizeof(vfloat));  // an unaligned vector load
  return v;
}
TL_INLINE void vstore(float* p, vfloat v) { std::memcpy(p, &v, sizeof(vfloat)); }
// x - 0 is x exactly (also for -0), so this folds to one broadcast (into the FMA's memory operand).
TL_INLINE vfloat vsplat(float x) { return x - vfloat{}; }

// acc (kMR x kNV vectors) = sum_{kk < kc} a[kk][0:kMR] (outer) b[kk][0:kNR]: the register tile.
// a: one packed A panel (kc x kMR), b: one packed B panel (kc x kNR).  GCC contracts the
// multiply-add into an FMA on the paths that have one (C++ defaults to -ffp-contract=fast).
// Always inlined, so acc lives in registers in its callers.
TL_INLINE void accumulate_tile(i64 kc, const float* __restrict a, const float* __restrict b,
                                vfloat (&acc)[kMR][kNV]) {
  for (int i = 0; i < kMR; ++i)
    for (int v = 0; v < kNV; ++v) acc[i][v] = vfloat{};
  for (i64 kk = 0; kk < kc; ++kk) {
    vfloat bv[kNV];
    for (int v = 0; v < kNV; ++v) bv[v] = vload(b + kk * kNR + v * kLanes);
    for (int i = 0; i < kMR; ++i) {
      const vfloat ai = vsplat(a[kk * kMR + i]);
      for (int v = 0; v < kNV; ++v) acc[i][v] += ai * bv[v];
    }
  }
}

// tile (kMR x kNR, row-major) = the register tile of accumulate_tile.
TL_INLINE void micro_kernel(i64 kc, const float* __restrict a, const float* __restrict b, float* __restrict tile) {
  vfloat acc[kMR][kNV];
  accumulate_tile(kc, a, b, acc);
  for (int i = 0; i < kMR; ++i)
    for (int v = 0; v < kNV; ++v) vstore(tile + i * kNR + v * kLanes, acc[i][v]);
}

// dst[kk * ldd + i] = src[i * lds + kk] for i < rows, kk < cols: the transposes of the packers
// whose source rows run along the reduction dimension (weight gradient).  8x8 blocks in AVX
// registers where the path has them (24 shuffles per 64 floats), scalars for the edges.
#if TL_SIMD_BYTES >= 32
TL_INLINE void transpose8x8(const float* src, i64 lds, float* dst, i64 ldd) {
  __m256 r[8], t[8], s[8];
  for (int i = 0; i < 8; ++i) r[i] = _mm256_loadu_ps(src + i * lds);
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);      // a0 b0 a1 b1 | a4 b4 a5 b5
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);  // a2 b2 a3 b3 | a6 b6 a7 b7
  }
  for (int i = 0; i < 8; i += 4) {
    s[i] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));      // a0 b0 c0 d0 | a4 ..
    s[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));  // a1 b1 c1 d1 | a5 ..
    s[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
    s[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
  for (int i = 0; i < 4; ++i) {
    _mm256_storeu_ps(dst + i * ldd, _mm256_permute2f128_ps(s[i], s[i + 4], 0x20));
    _mm256_storeu_ps(dst + (i + 4) * ldd, _mm256_permute2f128_ps(s[i], s[i + 4], 0x31));
  }
}
#endif

TL_INLINE void transpose(const float* src, i64 lds, i64 rows, i64 cols, float* dst, i64 ldd) {
  i64 i0 = 0;
#if TL_SIMD_BYTES >= 32
  for (; i0 + 8 <= rows; i0 += 8) {
    i64 k0 = 0;
    for (; k0 + 8 <= cols; k0 += 8) transpose8x8(src + i0 * lds + k0, lds, dst + k0 * ldd + i0, ldd);
    for (; k0 < cols; ++k0)
      for (i64 i = i0; i < i0 + 8; ++i) dst[k0 * ldd + i] = src[i * lds + k0];
  }
#endif
  for (i64 kk = 0; kk < cols; ++kk)
    for (i64 i = i0; i < rows; ++i) dst[kk * ldd + i] = src[i * lds + kk];
}

// dst[t] = src[t * stride] for t < len: the inner copy of every packer (one row run of an
// im2col row).  AVX-512 does the stride-1 and stride-2 runs with masked loads / stores (no
// read past the last element used, so no guard zone is needed at the end of an array).
TL_INLINE void copy_run(float* __restrict dst, const float* __restrict src, i64 len, i64 stride) {
#if TL_SIMD_BYTES == 64
  if (stride == 1) {
    // One masked loop, not a full-vector loop + a tail: GCC would turn the former into a
    // call to memmove, too slow for runs of 4 to 64 floats.
    for (i64 t = 0; t < len; t += 16) {
      const __mmask16 m = static_cast<__mmask16>(len - t >= 16 ? 0xFFFFu : (1u << (len - t)) - 1u);
      _mm512_mask_storeu_ps(dst + t, m, _mm512_maskz_loadu_ps(m, src + t));
    }
    return;
  }
  if (stride == 2) {
    const __m512i evens = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    for (i64 t = 0; t < len; t += 16) {
      const i64 n = std::min<i64>(16, len - t);      // outputs in this step
      const i64 span = 2 * n - 1;                    // source floats they reach
      const __mmask16 lo = static_cast<__mmask16>(span >= 16 ? 0xFFFFu : (1u << span) - 1u);
      const __mmask16 hi = static_cast<__mmask16>(span > 16 ? (1u << (span - 16)) - 1u : 0u);
      const __m512 a = _mm512_maskz_loadu_ps(lo, src + 2 * t);
      const __m512 b = _mm512_maskz_loadu_ps(hi, src + 2 * t + 16);
      _mm512_mask_storeu_ps(dst + t, static_cast<__mmask16>((1u << n) - 1u), _mm512_permutex2var_ps(a, evens, b));
    }
    return;
  }
#endif
  if (stride == 1) {
    i64 t = 0;
    for (; t + kLanes <= len; t += kLanes) vstore(dst + t, vload(src + t));
    for (; t < len; ++t) dst[t] = src[t];
    return;
  }
  for (i64 t = 0; t < len; ++t) dst[t] = src[t * stride];
}

// Runs the GEMM C = A B described by `ops` (see the file comment) over the chunks of `split`:
// one task per (reduction chunk, row chunk, column chunk), scheduled dynamically over the
// OpenMP threads (a thread descheduled by a busy machine then delays only its own task).
//   ops.pack_a(m, mr, k0, kc, dst, scratch)   one A panel: dst[kk * kMR + i] = A(m + i, k0 + kk), 0 for i >= mr
//   ops.begin_columns(n0, nc, scratch)        once per column block, before its pack_b calls
//   ops.pack_b(n0, nc, k0, kc, dst, scratch)  B block: dst[p kc kNR + kk kNR + j] = B(k0 + kk, n0 + p kNR + j),
//                                             0 for columns >= n0 + nc
//   ops.write(tile, m, mr, n, nr, first, kchunk, scratch)
//       C_kchunk[m:m+mr, n:n+nr] = tile (first block of the reduction chunk) or += tile; with
//       one reduction chunk C_0 is C, else the caller sums its partial results.
template <class Ops>
void gemm_run(const Ops& ops, i64 K, const GemmSplit& split) {
  const i64 nkc = static_cast<i64>(split.k_cut.size()) - 1;
  const i64 nmc = static_cast<i64>(split.m_cut.size()) - 1;
  const i64 nnc = static_cast<i64>(split.n_cut.size()) - 1;
  if (nkc <= 0 || nmc <= 0 || nnc <= 0) return;
  const i64 nkb = K > 0 ? (K + kKC - 1) / kKC : 1;  // one empty block when K == 0 (C = bias / 0)

  // Packed A: for each row chunk, nkb blocks of `panels` panels of (kc x kMR).
  struct PackJob {
    i64 chunk, block, panel;
  };
  std::vector<i64> a_off(nmc + 1, 0), a_pad(nmc);
  std::vector<PackJob> jobs;
  for (i64 c = 0; c < nmc; ++c) {
    const i64 panels = (split.m_cut[c + 1] - split.m_cut[c] + kMR - 1) / kMR;
    a_pad[c] = panels * kMR;
    a_off[c + 1] = a_off[c] + a_pad[c] * std::max<i64>(K, 1);
    for (i64 b = 0; b < nkb; ++b)
      for (i64 p = 0; p < panels; ++p) jobs.push_back({c, b, p});
  }
  float* apack = shared_buffer(0).get(a_off[nmc]);
  const i64 njobs = static_cast<i64>(jobs.size());
  const i64 ntasks = nkc * nmc * nnc;
  const int nthreads = static_cast<int>(std::min<i64>(max_threads(), std::max(ntasks, njobs)));

#pragma omp parallel num_threads(nthreads) if (nthreads > 1)
  {
    ThreadScratch& s = thread_scratch();
#pragma omp for schedule(dynamic, 4)
    for (i64 jb = 0; jb < njobs; ++jb) {
      const PackJob& j = jobs[jb];
      const i64 m = split.m_cut[j.chunk] + j.panel * kMR;
      const i64 k0 = j.block * kKC;
      const i64 kc = std::min(kKC, K - k0);
      ops.pack_a(m, std::min<i64>(kMR, split.m_cut[j.chunk + 1] - m), k0, kc,
                 apack + a_off[j.chunk] + k0 * a_pad[j.chunk] + j.panel * kc * kMR, s);
    }
    // (implicit barrier: every A panel is packed before any task reads one)
    float* bpack = s.bpack.get(kKC * kNC);
    float* tile = s.tile.get(kMR * kNR);
#pragma omp for schedule(dynamic, 1)
    for (i64 task = 0; task < ntasks; ++task) {
      const i64 kchunk = task / (nmc * nnc), mc = task / nnc % nmc, ncut = task % nnc;
      const i64 m0 = split.m_cut[mc], m1 = split.m_cut[mc + 1];
      const i64 panels = a_pad[mc] / kMR;
      const i64 b0 = split.k_cut[kchunk] / kKC;
      const i64 b1 = std::max(b0 + 1, (split.k_cut[kchunk + 1] + kKC - 1) / kKC);
      for (i64 jc = split.n_cut[ncut]; jc < split.n_cut[ncut + 1]; jc += kNC) {
        const i64 nc = std::min(kNC, split.n_cut[ncut + 1] - jc);
        ops.begin_columns(jc, nc, s);
        for (i64 b = b0; b < b1; ++b) {
          const i64 k0 = b * kKC;
          const i64 kc = std::min(kKC, K - k0);
          ops.pack_b(jc, nc, k0, kc, bpack, s);
          const float* ablock = apack + a_off[mc] + k0 * a_pad[mc];
          for (i64 p = 0; p < panels; ++p) {
            const i64 m = m0 + p * kMR;
            const i64 mr = std::min<i64>(kMR, m1 - m);
            for (i64 jr = 0; jr < nc; jr += kNR) {
              micro_kernel(kc, ablock + p * kc * kMR, bpack + jr * kc, tile);
              ops.write(tile, m, mr, jc + jr, std::min<i64>(kNR, nc - jr), b == b0, kchunk, s);
            }
          }
        }
      }
    }
  }
}
