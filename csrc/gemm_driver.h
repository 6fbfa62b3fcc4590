// The plain float32 GEMM of one SIMD path, C = A B with any strides, on the packed micro-kernel
// of gemm_f32.h (overview, blocking and measurements: csrc/gemm.cpp).  Included once per path
// after gemm_f32.h, inside namespace tensorlite::{anon}::<path>, every function compiled for the
// path's ISA.  No include guard, by design.
//
// Operands are strided matrices: element (i, j) of X is X.p[i X.rs + j X.cs] (strides in
// elements, any sign).  Packing copies along whichever stride is 1, so a transposed view
// (g.T, W.T) costs no more than a contiguous matrix.

// dst[i] = src[i] for i < kLanes * kNV (one B panel row): fixed size, so two vector moves.
TL_INLINE void copy_panel_row(float* __restrict dst, const float* __restrict src) {
  float tmp[kNR];
  std::memcpy(tmp, src, sizeof(tmp));
  std::memcpy(dst, tmp, sizeof(tmp));
}

// One A panel: dst[kk kMR + i] = A(m + i, k0 + kk) for i < mr, 0 for mr <= i < kMR.
void gemm_pack_a(const StridedMat& a, i64 m, i64 mr, i64 k0, i64 kc, float* dst) {
  const float* src = a.p + m * a.rs + k0 * a.cs;
  if (a.cs == 1) {  // rows run along k: transpose mr x kc
    transpose(src, a.rs, mr, kc, dst, kMR);
  } else if (a.rs == 1) {  // a transposed view: each k holds mr consecutive rows
    if (mr == kMR) {  // a fixed-size copy: one vector move (copy_run's masked loop took 2x as long)
      for (i64 kk = 0; kk < kc; ++kk) {
        float tmp[kMR];
        std::memcpy(tmp, src + kk * a.cs, sizeof(tmp));
        std::memcpy(dst + kk * kMR, tmp, sizeof(tmp));
      }
    } else {
      for (i64 kk = 0; kk < kc; ++kk) copy_run(dst + kk * kMR, src + kk * a.cs, mr, 1);
    }
  } else {
    for (i64 kk = 0; kk < kc; ++kk)
      for (i64 i = 0; i < mr; ++i) dst[kk * kMR + i] = src[i * a.rs + kk * a.cs];
  }
  if (mr < kMR)
    for (i64 kk = 0; kk < kc; ++kk) std::fill(dst + kk * kMR + mr, dst + (kk + 1) * kMR, 0.0f);
}

// A block of B in kNR-column panels: dst[p kc kNR + kk kNR + j] = B(k0 + kk, n0 + p kNR + j),
// 0 for columns >= n0 + nc.
void gemm_pack_b(const StridedMat& b, i64 n0, i64 nc, i64 k0, i64 kc, float* dst) {
  for (i64 jr = 0; jr < nc; jr += kNR) {
    const i64 nr = std::min<i64>(kNR, nc - jr);
    float* panel = dst + jr * kc;
    const float* src = b.p + k0 * b.rs + (n0 + jr) * b.cs;
    if (b.cs == 1) {  // rows of B run along n: one copy per k
      if (nr == kNR) {
        for (i64 kk = 0; kk < kc; ++kk) copy_panel_row(panel + kk * kNR, src + kk * b.rs);
      } else {
        for (i64 kk = 0; kk < kc; ++kk) copy_run(panel + kk * kNR, src + kk * b.rs, nr, 1);
      }
    } else if (b.rs == 1) {  // B = W^T of a row-major W: transpose nr x kc
      transpose(src, b.cs, nr, kc, panel, kNR);
    } else {
      for (i64 kk = 0; kk < kc; ++kk)
        for (i64 j = 0; j < nr; ++j) panel[kk * kNR + j] = src[kk * b.rs + j * b.cs];
    }
    if (nr < kNR)
      for (i64 kk = 0; kk < kc; ++kk) std::fill(panel + kk * kNR + nr, panel + (kk + 1) * kNR, 0.0f);
  }
}

// c[i ldc + j] (+)= sum_kk a[kk][i] b[kk][j] for a full kMR x kNR tile of a row-major C: the
// micro-kernel of gemm_f32.h storing straight into C (no tile buffer: for short reductions,
// K = 64, the buffer's extra store + reload was ~5% of the tile's time).  Same arithmetic
// (one FMA chain per element, kk in order; then C = acc or C = C + acc) as micro_kernel + write.
TL_INLINE void micro_kernel_c(i64 kc, const float* __restrict a, const float* __restrict b, float* __restrict c,
                              i64 ldc, bool accumulate) {
  vfloat acc[kMR][kNV];
  accumulate_tile(kc, a, b, acc);
  if (accumulate) {
    for (int i = 0; i < kMR; ++i)
      for (int v = 0; v < kNV; ++v) vstore(c + i * ldc + v * kLanes, vload(c + i * ldc + v * kLanes) + acc[i][v]);
  } else {
    for (int i = 0; i < kMR; ++i)
      for (int v = 0; v < kNV; ++v) vstore(c + i * ldc + v * kLanes, acc[i][v]);
  }
}

// C[0:mr, 0:nr] = tile or += tile (tile row-major with row length kNR), C of any strides.
void gemm_write_tile(const float* tile, float* c, i64 rsc, i64 csc, i64 mr, i64 nr, bool accumulate) {
  for (i64 i = 0; i < mr; ++i) {
    const float* t = tile + i * kNR;
    float* row = c + i * rsc;
    if (accumulate) {
      for (i64 j = 0; j < nr; ++j) row[j * csc] += t[j];
    } else {
      for (i64 j = 0; j < nr; ++j) row[j * csc] = t[j];
    }
  }
}

// Padded tile area of an m x n product: the work the micro-kernel actually does.
inline i64 tile_area(i64 m, i64 n) { return (m + kMR - 1) / kMR * kMR * ((n + kNR - 1) / kNR * kNR); }

// The task grid: m_pieces x n_pieces <= threads tasks, one per thread, each packing its own rows
// of A and columns of B into its own buffers (so A is packed n_pieces times, B m_pieces times).
// Chosen to minimise one task's estimated time: its padded tiles' flops plus kPackCost flops per
// packed float (packing ran at ~10 floats/ns, the tiles at ~112 GFLOP/s per core: ~11 flops).
// Why private packing and not one shared packed A (gemm_run's way): on this 2-core VM a thread
// writing half of a shared A pack that the other core read in the previous call took 2.3x as
// long as packing all of it alone (cache lines crossing cores, both ways), and the barrier after
// the packing went too.
constexpr i64 kPackCost = 12;

GemmGrid make_grid(i64 m_units, i64 n_units, i64 k, int threads) {
  GemmGrid best{1, 1};
  double best_cost = -1;
  for (i64 mp = 1; mp <= std::min<i64>(threads, m_units); ++mp) {
    const i64 np = std::min<i64>(threads / mp, n_units);
    const double rows = static_cast<double>((m_units + mp - 1) / mp * kMR);
    const double cols = static_cast<double>((n_units + np - 1) / np * kNR);
    const double cost = 2.0 * rows * cols * static_cast<double>(k) +
                        kPackCost * static_cast<double>(k) * (rows + cols);
    if (best_cost < 0 || cost < best_cost) best = {mp, np}, best_cost = cost;
  }
  return best;
}

// C (m x n) = A (m x k) B (k x n), m, n, k >= 1, on up to `threads` OpenMP threads.
void gemm_f32_run(GemmProblem p, int threads) {
  // C^T = B^T A^T has the same sums in the same order (so the same bits); compute that way
  // round when its padded tiles are fewer (n << kNR: the 10-output layer fills 10 of 32 lanes
  // as B columns, 10 of 16 rows as A rows).
  if (tile_area(p.n, p.m) < tile_area(p.m, p.n)) {
    std::swap(p.m, p.n);
    StridedMat at{p.a.p, p.a.cs, p.a.rs};
    p.a = StridedMat{p.b.p, p.b.cs, p.b.rs};
    p.b = at;
    std::swap(p.rsc, p.csc);
  }
  const i64 m = p.m, n = p.n, k = p.k;
  const i64 m_units = (m + kMR - 1) / kMR, n_units = (n + kNR - 1) / kNR;
  const i64 nkb = (k + kKC - 1) / kKC;
  const GemmGrid grid = make_grid(m_units, n_units, k, threads);
  const i64 ntasks = grid.m_pieces * grid.n_pieces;
  const bool direct = p.csc == 1;  // full tiles go straight into C

  auto run_task = [&](i64 task) {
    ThreadScratch& s = thread_scratch();
    const i64 mc = task / grid.n_pieces, ncut = task % grid.n_pieces;
    const i64 p0 = m_units * mc / grid.m_pieces, p1 = m_units * (mc + 1) / grid.m_pieces;  // A panels
    const i64 j0 = n_units * ncut / grid.n_pieces * kNR;
    const i64 j1 = std::min(n, n_units * (ncut + 1) / grid.n_pieces * kNR);  // columns
    const i64 rows_pad = (p1 - p0) * kMR;
    // This task's rows of A, packed once (in the first column block): [k block][panel][kk][kMR].
    float* apack = s.apack.get(rows_pad * k);
    float* bpack = s.bpack.get(std::min(kKC, k) * std::min<i64>(kNC, (j1 - j0 + kNR - 1) / kNR * kNR));
    float* tile = s.tile.get(kMR * kNR);
    for (i64 jc = j0; jc < j1; jc += kNC) {
      const i64 nc = std::min(kNC, j1 - jc);
      for (i64 blk = 0; blk < nkb; ++blk) {
        const i64 k0 = blk * kKC, kc = std::min(kKC, k - k0);
        float* ablock = apack + k0 * rows_pad;
        if (jc == j0)
          for (i64 panel = p0; panel < p1; ++panel) {
            const i64 row = panel * kMR;
            gemm_pack_a(p.a, row, std::min<i64>(kMR, m - row), k0, kc, ablock + (panel - p0) * kc * kMR);
          }
        gemm_pack_b(p.b, jc, nc, k0, kc, bpack);
        for (i64 panel = p0; panel < p1; ++panel) {
          const i64 row = panel * kMR, mr = std::min<i64>(kMR, m - row);
          const float* ap = ablock + (panel - p0) * kc * kMR;
          for (i64 jr = 0; jr < nc; jr += kNR) {
            const i64 nr = std::min<i64>(kNR, nc - jr);
            float* c = p.c + row * p.rsc + (jc + jr) * p.csc;
            if (direct && mr == kMR && nr == kNR) {
              micro_kernel_c(kc, ap, bpack + jr * kc, c, p.rsc, blk > 0);
            } else {
              micro_kernel(kc, ap, bpack + jr * kc, tile);
              gemm_write_tile(tile, c, p.rsc, p.csc, mr, nr, blk > 0);
            }
          }
        }
      }
    }
  };

  if (ntasks <= 1) {
    run_task(0);
    return;
  }
  // One task per thread; the exception escaping an OpenMP region would terminate, and the
  // only one possible here (bad_alloc of a scratch buffer) is reported after the region.
  bool failed = false;
#pragma omp parallel for num_threads(static_cast<int>(ntasks)) schedule(static, 1)
  for (i64 task = 0; task < ntasks; ++task) {
    try {
      run_task(task);
    } catch (...) {
#pragma omp atomic write
      failed = true;
    }
  }
  if (failed) throw std::bad_alloc();
}
