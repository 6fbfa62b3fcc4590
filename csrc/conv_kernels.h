// The 2-d convolution kernels of one SIMD path (contract: kernels/conv.py; overview and
// method: csrc/conv.cpp).  Included once per path after gemm_f32.h, inside namespace
// tensorlite::{anon}::<path>, every function compiled for the path's ISA.  No include guard.
//
// Notation (the contract's): x (N, C, H, W), w (O, C/G, kh, kw), y (N, O, Ho, Wo), groups G,
// Cg = C/G, Og = O/G, Kg = Cg kh kw.  Output position q = (n, oh, ow) numbers the columns
// of every GEMM, q = n Ho Wo + oh Wo + ow; reduction index k = (c, r, s) = c kh kw + r kw + s
// numbers a weight row.  xpad is x with a zero border of (ph, pw), so that
//     im2col(x)[k, q] = xpad[n, c, oh sh + r dh, ow sw + s dw]          (no bounds checks).

// ------------------------------------------------------------------------------------------
// Helpers: zero borders, runs of output positions.
// ------------------------------------------------------------------------------------------

// dst (H + 2 ph, W + 2 pw) = src (H, W) inside a zero border.
void pad_plane(const float* src, i64 h, i64 w, i64 ph, i64 pw, float* dst) {
  const i64 wp = w + 2 * pw;
  std::fill(dst, dst + ph * wp, 0.0f);
  for (i64 i = 0; i < h; ++i) {
    float* row = dst + (ph + i) * wp;
    std::fill(row, row + pw, 0.0f);
    copy_run(row + pw, src + i * w, w, 1);
    std::fill(row + pw + w, row + wp, 0.0f);
  }
  std::fill(dst + (ph + h) * wp, dst + (h + 2 * ph) * wp, 0.0f);
}

// dst (H, W) = the interior of src (H + 2 ph, W + 2 pw).
void unpad_plane(const float* src, i64 h, i64 w, i64 ph, i64 pw, float* dst) {
  const i64 wp = w + 2 * pw;
  for (i64 i = 0; i < h; ++i) copy_run(dst + i * w, src + (ph + i) * wp + pw, w, 1);
}

// pad_plane / unpad_plane over `planes` consecutive planes, in parallel.
void pad_planes(const float* src, i64 planes, i64 h, i64 w, i64 ph, i64 pw, float* dst) {
  const i64 hp = h + 2 * ph, wp = w + 2 * pw;
#pragma omp parallel for schedule(static) if (planes * hp * wp > (1 << 15))
  for (i64 p = 0; p < planes; ++p) pad_plane(src + p * h * w, h, w, ph, pw, dst + p * hp * wp);
}

void unpad_planes(const float* src, i64 planes, i64 h, i64 w, i64 ph, i64 pw, float* dst) {
  const i64 hp = h + 2 * ph, wp = w + 2 * pw;
#pragma omp parallel for schedule(static) if (planes * h * w > (1 << 15))
  for (i64 p = 0; p < planes; ++p) unpad_plane(src + p * hp * wp, h, w, ph, pw, dst + p * h * w);
}

// The output positions q in [q0, q0 + count) as runs of consecutive ow inside one output
// row (rows = true) or one image (rows = false), also cut where a kNR-column panel starts
// (panels = true; positions counted from q0).  Each run gets the position of its start.
void make_runs(const ConvGeom& g, i64 q0, i64 count, bool rows, bool panels, std::vector<Run>& runs) {
  runs.clear();
  const i64 hwo = g.ho * g.wo;
  i64 img = q0 / hwo, p = q0 % hwo;
  for (i64 pos = 0; pos < count;) {
    i64 len = std::min(count - pos, rows ? g.wo - p % g.wo : hwo - p);
    if (panels) len = std::min<i64>(len, kNR - pos % kNR);
    Run r;
    r.pos = pos;
    r.len = len;
    r.n = img;
    r.oh = p / g.wo;
    r.ow = p % g.wo;
    r.base = 0;
    runs.push_back(r);
    pos += len;
    p += len;
    if (p == hwo) p = 0, ++img;
  }
}

// im2col row k of group `group`, columns q of `runs`: dst[run.pos + t] (+ the run's panel
// offset when `panel_stride` != 0) = xpad[n, c, oh sh + r dh, (ow + t) sw + s dw].
// run.base must hold n C plane + oh sh wp + ow sw (plane = hp wp, the padded plane size).
struct Im2col {
  const float* xs;  // xpad, or x itself when there is no padding
  i64 plane, wp, sw, dh, dw, kh, kw;
  TL_INLINE i64 row_offset(i64 c, i64 r, i64 s) const { return c * plane + r * dh * wp + s * dw; }
};

// ------------------------------------------------------------------------------------------
// Forward: per group, y_g (Og x Q) = w_g (Og x Kg) im2col_g(x) (Kg x Q) + bias.
// ------------------------------------------------------------------------------------------
struct ForwardOps {
  const ConvGeom& g;
  Im2col src;
  const float* w;     // (O, Kg)
  const float* bias;  // (O) or nullptr
  float* y;           // (N, O, Ho Wo)
  i64 group;

  void pack_a(i64 m, i64 mr, i64 k0, i64 kc, float* dst, ThreadScratch&) const {
    // A(m, k) = w[group Og + m, k]: mr rows of the weight matrix, transposed into the panel.
    transpose(w + (group * g.og() + m) * g.kg() + k0, g.kg(), mr, kc, dst, kMR);
    for (i64 kk = 0; kk < kc; ++kk) std::fill(dst + kk * kMR + mr, dst + (kk + 1) * kMR, 0.0f);
  }

  void begin_columns(i64 n0, i64 nc, ThreadScratch& s) const {
    make_runs(g, n0, nc, /*rows=*/true, /*panels=*/true, s.runs);
    const i64 group_off = group * g.cg() * src.plane;
    for (Run& r : s.runs) r.base = r.n * g.c * src.plane + group_off + r.oh * g.sh * src.wp + r.ow * src.sw;
  }

  // B(k, q) = im2col_g(x)[k, q]: for each k, every run of the block is one strided copy of
  // an input row (the implicit im2col: the column matrix exists only a block at a time).
  void pack_b(i64 n0, i64 nc, i64 k0, i64 kc, float* dst, ThreadScratch& s) const {
    (void)n0;
    const i64 panels = (nc + kNR - 1) / kNR, tail = panels * kNR - nc;
    // Flat offsets of each run in the source and in the packed block (this kc's panel stride).
    const i64 nruns = static_cast<i64>(s.runs.size());
    s.src_off.resize(nruns);
    s.dst_off.resize(nruns);
    i64 len = nruns ? s.runs[0].len : 0;  // the common run length, or 0
    for (i64 i = 0; i < nruns; ++i) {
      const Run& run = s.runs[i];
      s.src_off[i] = run.base;
      s.dst_off[i] = (run.pos / kNR) * kc * kNR + run.pos % kNR;
      if (run.len != len) len = 0;
    }
    // Rows of Wo = 4, 8, 16 or 32 (or any multiple of 32) make runs all of one length: a copy
    // of fixed size (one or two vector moves) per run instead of the general loop.  Measured:
    // packing time about halves (it is 5-12% of a call on the ResNet layers).
    if (g.sw == 1 && len == 4) return pack_fixed<4>(k0, kc, dst, s);
    if (g.sw == 1 && len == 8) return pack_fixed<8>(k0, kc, dst, s);
    if (g.sw == 1 && len == 16) return pack_fixed<16>(k0, kc, dst, s);
    if (g.sw == 1 && len == 32) return pack_fixed<32>(k0, kc, dst, s);
    const i64 khw = g.kh * g.kw;
    i64 c = k0 / khw, r = (k0 / g.kw) % g.kh, sx = k0 % g.kw;
    for (i64 kk = 0; kk < kc; ++kk) {
      const float* base = src.xs + src.row_offset(c, r, sx);
      float* row = dst + kk * kNR;
      for (i64 i = 0; i < nruns; ++i) copy_run(row + s.dst_off[i], base + s.src_off[i], s.runs[i].len, g.sw);
      if (tail) std::fill(row + (panels - 1) * kc * kNR + kNR - tail, row + (panels - 1) * kc * kNR + kNR, 0.0f);
      if (++sx == g.kw) sx = 0, r = r + 1 == g.kh ? (++c, 0) : r + 1;
    }
  }

  // pack_b when every run has length L (a multiple of kNR's divisors: no partial panel tail
  // beyond what the zero fill below covers).
  template <int L>
  void pack_fixed(i64 k0, i64 kc, float* dst, ThreadScratch& s) const {
    const i64 nruns = static_cast<i64>(s.src_off.size());
    const i64* so = s.src_off.data();
    const i64* dof = s.dst_off.data();
    const i64 covered = nruns * L, panels = (covered + kNR - 1) / kNR, tail = panels * kNR - covered;
    const i64 khw = g.kh * g.kw;
    i64 c = k0 / khw, r = (k0 / g.kw) % g.kh, sx = k0 % g.kw;
    for (i64 kk = 0; kk < kc; ++kk) {
      const float* base = src.xs + src.row_offset(c, r, sx);
      float* row = dst + kk * kNR;
      for (i64 i = 0; i < nruns; ++i) {
        float tmp[L];
        std::memcpy(tmp, base + so[i], sizeof(tmp));  // fixed size: one (or two) vector moves
        std::memcpy(row + dof[i], tmp, sizeof(tmp));
      }
      if (tail) std::fill(row + (panels - 1) * kc * kNR + kNR - tail, row + (panels - 1) * kc * kNR + kNR, 0.0f);
      if (++sx == g.kw) sx = 0, r = r + 1 == g.kh ? (++c, 0) : r + 1;
    }
  }

  // y[n, o, p] (+)= tile: columns q -> (image n, position p) in runs that stay in one image.
  void write(const float* tile, i64 m, i64 mr, i64 q, i64 nr, bool first, i64, ThreadScratch&) const {
    const i64 hwo = g.ho * g.wo;
    for (i64 j = 0; j < nr;) {
      const i64 img = q / hwo, p = q % hwo, len = std::min(nr - j, hwo - p);
      for (i64 i = 0; i < mr; ++i) {
        const i64 o = group * g.og() + m + i;
        float* out = y + (img * g.o + o) * hwo + p;
        const float* t = tile + i * kNR + j;
        if (first) {
          const float b = bias ? bias[o] : 0.0f;
          for (i64 e = 0; e < len; ++e) out[e] = t[e] + b;
        } else {
          for (i64 e = 0; e < len; ++e) out[e] += t[e];
        }
      }
      j += len;
      q += len;
    }
  }
};

// ------------------------------------------------------------------------------------------
// Input gradient by GEMM + col2im (stride > 1, or padding > dilation (k - 1)): per group,
// cols (Kg x Q) = w_g^T (Kg x Og) grad_out_g (Og x Q), each tile scattered at once into a
// zero-bordered gradient: gxpad[n, c, oh sh + r dh, ow sw + s dw] += cols[(c, r, s), q].
// Tasks own whole images or whole channels (see conv.cpp), so the scatters never race.
// ------------------------------------------------------------------------------------------
struct Col2imOps {
  const ConvGeom& g;
  const float* gout;  // (N, O, Ho Wo)
  const float* w;     // (O, Kg)
  float* gxp;         // (N, C, hp, wp), zeroed
  i64 plane, wp;
  i64 group;

  void pack_a(i64 m, i64 mr, i64 k0, i64 kc, float* dst, ThreadScratch&) const {
    // A(m, o) = w[group Og + o, m]: for each o, mr consecutive weights -- no transpose.
    for (i64 kk = 0; kk < kc; ++kk) {
      const float* src = w + (group * g.og() + k0 + kk) * g.kg() + m;
      std::copy(src, src + mr, dst + kk * kMR);
      std::fill(dst + kk * kMR + mr, dst + (kk + 1) * kMR, 0.0f);
    }
  }

  void begin_columns(i64 n0, i64 nc, ThreadScratch& s) const {
    const i64 hwo = g.ho * g.wo;
    make_runs(g, n0, nc, /*rows=*/false, /*panels=*/true, s.runs);  // grad_out: runs inside an image
    for (Run& r : s.runs) r.base = (r.n * g.o + group * g.og()) * hwo + r.oh * g.wo + r.ow;
    make_runs(g, n0, nc, /*rows=*/true, /*panels=*/true, s.runs2);  // the scatter: runs inside a row
    s.panel_first.assign((nc + kNR - 1) / kNR + 1, static_cast<i64>(s.runs2.size()));
    for (i64 i = static_cast<i64>(s.runs2.size()) - 1; i >= 0; --i) {
      Run& r = s.runs2[i];
      r.base = r.n * g.c * plane + r.oh * g.sh * wp + r.ow * g.sw;
      s.panel_first[r.pos / kNR] = i;
    }
    s.block_n0 = n0;
  }

  // B(o, q) = grad_out[n, group Og + o, p]: contiguous copies.
  void pack_b(i64 n0, i64 nc, i64 k0, i64 kc, float* dst, ThreadScratch& s) const {
    (void)n0;
    const i64 hwo = g.ho * g.wo;
    const i64 panels = (nc + kNR - 1) / kNR, tail = panels * kNR - nc;
    for (i64 kk = 0; kk < kc; ++kk) {
      const float* base = gout + (k0 + kk) * hwo;
      float* row = dst + kk * kNR;
      for (const Run& run : s.runs)
        copy_run(row + (run.pos / kNR) * kc * kNR + run.pos % kNR, base + run.base, run.len, 1);
      if (tail) std::fill(row + (panels - 1) * kc * kNR + kNR - tail, row + (panels - 1) * kc * kNR + kNR, 0.0f);
    }
  }

  void write(const float* tile, i64 m, i64 mr, i64 q, i64 nr, bool, i64, ThreadScratch& s) const {
    (void)nr;
    const i64 panel = (q - s.block_n0) / kNR;
    const i64 khw = g.kh * g.kw;
    const i64 r0 = s.panel_first[panel], r1 = s.panel_first[panel + 1];
    for (i64 i = 0; i < mr; ++i) {
      const i64 k = m + i, c = k / khw, r = (k / g.kw) % g.kh, sx = k % g.kw;
      float* base = gxp + (group * g.cg() + c) * plane + r * g.dh * wp + sx * g.dw;
      const float* t = tile + i * kNR;
      for (i64 ri = r0; ri < r1; ++ri) {
        const Run& run = s.runs2[ri];
        float* out = base + run.base;
        const float* tt = t + run.pos % kNR;
        if (g.sw == 1) {
          for (i64 e = 0; e < run.len; ++e) out[e] += tt[e];
        } else {
          for (i64 e = 0; e < run.len; ++e) out[e * g.sw] += tt[e];
        }
      }
    }
  }
};

// ------------------------------------------------------------------------------------------
// Weight gradient: per group, gw_g (Og x Kg) = grad_out_g (Og x Q) im2col_g(x)^T (Q x Kg),
// the reduction running over the output positions q.  Both operands are read along q, so
// both packers gather rows into a scratch block and transpose it into panels.
// ------------------------------------------------------------------------------------------
struct WeightGradOps {
  const ConvGeom& g;
  Im2col src;
  const float* gout;  // (N, O, Ho Wo)
  float* gw;          // (O, Kg), or (reduction chunks, O, Kg) partial sums
  i64 group;

  void pack_a(i64 m, i64 mr, i64 k0, i64 kc, float* dst, ThreadScratch& s) const {
    const i64 hwo = g.ho * g.wo;
    make_runs(g, k0, kc, /*rows=*/false, /*panels=*/false, s.runs2);
    float* tmp = s.tmp.get(kMR * kKC);
    for (i64 i = 0; i < mr; ++i) {
      const float* plane0 = gout + (group * g.og() + m + i) * hwo;
      for (const Run& run : s.runs2) copy_run(tmp + i * kc + run.pos, plane0 + run.n * g.o * hwo + run.oh * g.wo + run.ow, run.len, 1);
    }
    transpose(tmp, kc, mr, kc, dst, kMR);
    for (i64 kk = 0; kk < kc; ++kk) std::fill(dst + kk * kMR + mr, dst + (kk + 1) * kMR, 0.0f);
  }

  void begin_columns(i64, i64, ThreadScratch&) const {}

  void pack_b(i64 n0, i64 nc, i64 k0, i64 kc, float* dst, ThreadScratch& s) const {
    make_runs(g, k0, kc, /*rows=*/true, /*panels=*/false, s.runs);
    const i64 group_off = group * g.cg() * src.plane;
    for (Run& r : s.runs) r.base = r.n * g.c * src.plane + group_off + r.oh * g.sh * src.wp + r.ow * src.sw;
    const i64 khw = g.kh * g.kw;
    float* tmp = s.tmp.get(kNR * kKC);
    for (i64 p = 0; p * kNR < nc; ++p) {
      for (i64 j = 0; j < kNR; ++j) {
        float* row = tmp + j * kc;
        const i64 k = n0 + p * kNR + j;  // a column of gw: the im2col row (c, r, s)
        if (p * kNR + j >= nc) {
          std::fill(row, row + kc, 0.0f);
          continue;
        }
        const float* base = src.xs + src.row_offset(k / khw, (k / g.kw) % g.kh, k % g.kw);
        for (const Run& run : s.runs) copy_run(row + run.pos, base + run.base, run.len, g.sw);
      }
      transpose(tmp, kc, kNR, kc, dst + p * kc * kNR, kNR);
    }
  }

  void write(const float* tile, i64 m, i64 mr, i64 n, i64 nr, bool first, i64 kchunk, ThreadScratch&) const {
    for (i64 i = 0; i < mr; ++i) {
      float* out = gw + kchunk * g.o * g.kg() + (group * g.og() + m + i) * g.kg() + n;
      const float* t = tile + i * kNR;
      if (first) {
        std::copy(t, t + nr, out);
      } else {
        for (i64 e = 0; e < nr; ++e) out[e] += t[e];
      }
    }
  }
};

#include "conv_depthwise.h"

// ------------------------------------------------------------------------------------------
// Entry points of the path (conv.cpp validates the arguments and picks the path).
// ------------------------------------------------------------------------------------------
Im2col padded_source(const ConvGeom& g, const float* x) {
  Im2col src{x, g.h * g.w, g.w, g.sw, g.dh, g.dw, g.kh, g.kw};
  if (g.ph || g.pw) {
    const i64 hp = g.h + 2 * g.ph, wp = g.w + 2 * g.pw;
    float* buf = shared_buffer(1).get(g.n * g.c * hp * wp);
    pad_planes(x, g.n * g.c, g.h, g.w, g.ph, g.pw, buf);
    src.xs = buf;
    src.plane = hp * wp;
    src.wp = wp;
  }
  return src;
}

void conv_forward(const ConvGeom& g, const float* x, const float* w, const float* bias, float* y) {
  if (g.is_depthwise()) return depthwise_forward(g, x, w, bias, y);
  const Im2col src = padded_source(g, x);
  for (i64 group = 0; group < g.groups; ++group) {
    ForwardOps ops{g, src, w, bias, y, group};
    gemm_run(ops, g.kg(), make_split(g.og(), g.n * g.ho * g.wo, g.kg(), kMR, kNR, 4 * kNR, 1, kKC));
  }
}

void conv_backward_input(const ConvGeom& g, const float* gout, const float* w, float* gx) {
  if (g.is_depthwise()) return depthwise_backward_input(g, gout, w, gx);
  const i64 full_h = g.dh * (g.kh - 1), full_w = g.dw * (g.kw - 1);
  if (g.sh == 1 && g.sw == 1 && g.ph <= full_h && g.pw <= full_w) {
    // Stride 1: the adjoint is itself a convolution -- of grad_out, padded by d (k - 1) - p,
    // with the kernel flipped and its input / output channels swapped within each group:
    //   w'[group Cg + c, o, t] = w[group Og + o, c, kh kw - 1 - t]
    // so it runs on the forward GEMM, without a col2im scatter.  (Building w' costs one pass
    // over the weights; packing straight from w, a strided gather, measured slower.)
    const i64 og = g.og(), cg = g.cg(), khw = g.kh * g.kw;
    float* wt = shared_buffer(3).get(g.c * og * khw);
#pragma omp parallel for schedule(static) if (g.c * og * khw > (1 << 15))
    for (i64 row = 0; row < g.c; ++row) {  // a row of w': (group, c); its Og kernels are contiguous
      const i64 grp = row / cg, c = row % cg;
      for (i64 o = 0; o < og; ++o) {
        const float* from = w + ((grp * og + o) * cg + c) * khw;
        float* to = wt + (row * og + o) * khw;
        for (i64 t = 0; t < khw; ++t) to[t] = from[khw - 1 - t];
      }
    }
    ConvGeom t = g;
    t.c = g.o, t.h = g.ho, t.w = g.wo;
    t.o = g.c;
    t.ph = full_h - g.ph, t.pw = full_w - g.pw;
    t.ho = g.h, t.wo = g.w;
    return conv_forward(t, gout, wt, nullptr, gx);
  }
  const i64 hp = g.h + 2 * g.ph, wp = g.w + 2 * g.pw;
  const bool padded = g.ph || g.pw;
  float* gxp = padded ? shared_buffer(2).get(g.n * g.c * hp * wp) : gx;
  const i64 total = g.n * g.c * hp * wp;
#pragma omp parallel for schedule(static) if (total > (1 << 16))
  for (i64 i = 0; i < total; i += 4096) std::fill(gxp + i, gxp + std::min(total, i + 4096), 0.0f);
  for (i64 group = 0; group < g.groups; ++group) {
    Col2imOps ops{g, gout, w, gxp, hp * wp, wp, group};
    // whole images (columns) or whole channels (rows of kh kw) per task: the scatters are disjoint
    gemm_run(ops, g.og(), make_split(g.kg(), g.n * g.ho * g.wo, g.og(), g.kh * g.kw, g.ho * g.wo, g.ho * g.wo, 1, kKC));
  }
  if (padded) unpad_planes(gxp, g.n * g.c, g.h, g.w, g.ph, g.pw, gx);
}

void conv_backward_weight(const ConvGeom& g, const float* x, const float* gout, float* gw) {
  if (g.is_depthwise()) return depthwise_backward_weight(g, x, gout, gw);
  const Im2col src = padded_source(g, x);
  // A small gw with a long reduction (early layers, 1x1 convolutions) has too few tiles to
  // keep every thread busy: the reduction over q is then cut into chunks whose partial sums
  // are added at the end, in chunk order.  The chunking depends on the shapes only, never
  // on the thread count, so the result does not either.
  const i64 q = g.n * g.ho * g.wo, out = g.o * g.kg();
  const i64 kpieces = out < (i64{1} << 16) ? std::clamp<i64>(q / (8 * kKC), 1, 8) : 1;
  float* target = kpieces > 1 ? shared_buffer(2).get(kpieces * out) : gw;
  for (i64 group = 0; group < g.groups; ++group) {
    WeightGradOps ops{g, src, gout, target, group};
    gemm_run(ops, q, make_split(g.og(), g.kg(), q, kMR, kNR, 4 * kNR, kpieces, kKC));
  }
  if (kpieces > 1) {
#pragma omp parallel for schedule(static) if (out * kpieces > (1 << 15))
    for (i64 i = 0; i < out; ++i) {
      float sum = target[i];
      for (i64 r = 1; r < kpieces; ++r) sum += target[r * out + i];
      gw[i] = sum;
    }
  }
}
