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

// dst (planes, H + 2 ph, W + 2 pw) = src (planes, H, W) inside a zero border.
void pad_planes(const float* src, i64 planes, i64 h, i64 w, i64 ph, i64 pw, float* dst) {
  const i64 hp = h + 2 * ph, wp = w + 2 * pw;
#pragma omp parallel for schedule(static) if (planes * hp * wp > (1 << 15))
  for (i64 p = 0; p < planes; ++p) {
    float* d = dst + p * hp * wp;
    std::fill(d, d + ph * wp, 0.0f);
    for (i64 i = 0; i < h; ++i) {
      float* row = d + (ph + i) * wp;
      std::fill(row, row + pw, 0.0f);
      copy_run(row + pw, src + (p * h + i) * w, w, 1);
      std::fill(row + pw + w, row + wp, 0.0f);
    }
    std::fill(d + (ph + h) * wp, d + hp * wp, 0.0f);
  }
}

// dst (planes, H, W) = the interior of src (planes, H + 2 ph, W + 2 pw).
void unpad_planes(const float* src, i64 planes, i64 h, i64 w, i64 ph, i64 pw, float* dst) {
  const i64 hp = h + 2 * ph, wp = w + 2 * pw;
#pragma omp parallel for schedule(static) if (planes * h * w > (1 << 15))
  for (i64 p = 0; p < planes; ++p)
    for (i64 i = 0; i < h; ++i) copy_run(dst + (p * h + i) * w, src + (p * hp + ph + i) * wp + pw, w, 1);
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
  const float* w;     // (O, Kg); with `flipped`, the weight of the convolution being transposed
  const float* bias;  // (O) or nullptr
  float* y;           // (N, O, Ho Wo)
  i64 group;
  bool flipped = false;

  void pack_a(i64 m, i64 mr, i64 k0, i64 kc, float* dst, ThreadScratch&) const {
    if (flipped) return pack_flipped(m, mr, k0, kc, dst);
    // A(m, k) = w[group Og + m, k]: mr rows of the weight matrix, transposed into the panel.
    transpose(w + (group * g.og() + m) * g.kg() + k0, g.kg(), mr, kc, dst, kMR);
    for (i64 kk = 0; kk < kc; ++kk) std::fill(dst + kk * kMR + mr, dst + (kk + 1) * kMR, 0.0f);
  }

  // The input gradient at stride 1 as a forward convolution (conv_backward_input): its weight
  // is the original one with the kernel flipped and the channels swapped within each group,
  //   A(c, (o, t)) = w_orig[group Og' + o, c, khw - 1 - t]   (Og' = this geometry's C / groups),
  // read here straight from w_orig, so the transformed weight is never stored.
  void pack_flipped(i64 m, i64 mr, i64 k0, i64 kc, float* dst) const {
    const i64 khw = g.kh * g.kw, og_orig = g.cg(), cg_orig = g.og();
    i64 o = k0 / khw, t = k0 % khw;
    for (i64 kk = 0; kk < kc; ++kk) {
      const float* from = w + ((group * og_orig + o) * cg_orig + m) * khw + (khw - 1 - t);
      for (i64 i = 0; i < mr; ++i) dst[kk * kMR + i] = from[i * khw];
      std::fill(dst + kk * kMR + mr, dst + (kk + 1) * kMR, 0.0f);
      if (++t == khw) t = 0, ++o;
    }
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
    const i64 khw = g.kh * g.kw;
    i64 c = k0 / khw, r = (k0 / g.kw) % g.kh, sx = k0 % g.kw;
    for (i64 kk = 0; kk < kc; ++kk) {
      const float* base = src.xs + src.row_offset(c, r, sx);
      float* row = dst + kk * kNR;
      for (const Run& run : s.runs)
        copy_run(row + (run.pos / kNR) * kc * kNR + run.pos % kNR, base + run.base, run.len, g.sw);
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

// ------------------------------------------------------------------------------------------
// Depthwise (groups = C, one input channel per group, Og = O / C outputs per channel): the
// per-group GEMMs would have a single row, so these are direct loops over one padded plane
// at a time, vectorised along the output row.
// ------------------------------------------------------------------------------------------

// y[n, c m + j, oh, ow] = bias + sum_{r, s} w[c m + j, 0, r, s] xpad[n, c, oh sh + r dh, ow sw + s dw]
void depthwise_forward(const ConvGeom& g, const float* x, const float* w, const float* bias, float* y) {
  const i64 mult = g.og(), hp = g.h + 2 * g.ph, wp = g.w + 2 * g.pw, hwo = g.ho * g.wo;
  const bool padded = g.ph || g.pw;
#pragma omp parallel for schedule(static)
  for (i64 nc = 0; nc < g.n * g.c; ++nc) {
    const i64 n = nc / g.c, c = nc % g.c;
    const float* xs = x + nc * g.h * g.w;
    if (padded) {
      float* buf = thread_scratch().tmp.get(hp * wp);
      pad_planes(xs, 1, g.h, g.w, g.ph, g.pw, buf);
      xs = buf;
    }
    for (i64 j = 0; j < mult; ++j) {
      const i64 o = c * mult + j;
      const float* wo = w + o * g.kh * g.kw;
      const float b = bias ? bias[o] : 0.0f;
      for (i64 oh = 0; oh < g.ho; ++oh) {
        float* out = y + (n * g.o + o) * hwo + oh * g.wo;
        std::fill(out, out + g.wo, b);
        for (i64 r = 0; r < g.kh; ++r)
          for (i64 s = 0; s < g.kw; ++s) {
            const float wv = wo[r * g.kw + s];
            const float* in = xs + (oh * g.sh + r * g.dh) * wp + s * g.dw;
            if (g.sw == 1) {
              for (i64 e = 0; e < g.wo; ++e) out[e] += wv * in[e];
            } else {
              for (i64 e = 0; e < g.wo; ++e) out[e] += wv * in[e * g.sw];
            }
          }
      }
    }
  }
}

// gx[n, c] = interior of sum_j the scatter of grad_out[n, c m + j] through w[c m + j] (the adjoint).
void depthwise_backward_input(const ConvGeom& g, const float* gout, const float* w, float* gx) {
  const i64 mult = g.og(), hp = g.h + 2 * g.ph, wp = g.w + 2 * g.pw, hwo = g.ho * g.wo;
#pragma omp parallel for schedule(static)
  for (i64 nc = 0; nc < g.n * g.c; ++nc) {
    const i64 n = nc / g.c, c = nc % g.c;
    float* acc = thread_scratch().tmp.get(hp * wp);
    std::fill(acc, acc + hp * wp, 0.0f);
    for (i64 j = 0; j < mult; ++j) {
      const i64 o = c * mult + j;
      const float* wo = w + o * g.kh * g.kw;
      for (i64 oh = 0; oh < g.ho; ++oh) {
        const float* in = gout + (n * g.o + o) * hwo + oh * g.wo;
        for (i64 r = 0; r < g.kh; ++r)
          for (i64 s = 0; s < g.kw; ++s) {
            const float wv = wo[r * g.kw + s];
            float* out = acc + (oh * g.sh + r * g.dh) * wp + s * g.dw;
            if (g.sw == 1) {
              for (i64 e = 0; e < g.wo; ++e) out[e] += wv * in[e];
            } else {
              for (i64 e = 0; e < g.wo; ++e) out[e * g.sw] += wv * in[e];
            }
          }
      }
    }
    unpad_planes(acc, 1, g.h, g.w, g.ph, g.pw, gx + nc * g.h * g.w);
  }
}

TL_INLINE float dot(const float* a, const float* b, i64 len) {
  vfloat acc = vfloat{};
  i64 e = 0;
  for (; e + kLanes <= len; e += kLanes) acc += vload(a + e) * vload(b + e);
  float lanes[kLanes], sum = 0.0f;
  std::memcpy(lanes, &acc, sizeof(acc));
  for (int l = 0; l < kLanes; ++l) sum += lanes[l];
  for (; e < len; ++e) sum += a[e] * b[e];
  return sum;
}

// gw[c m + j, 0, r, s] = sum_{n, oh, ow} grad_out[n, c m + j, oh, ow] xpad[n, c, oh sh + r dh, ow sw + s dw]
// (one task per channel: the sum over the batch stays inside a task, in a fixed order).
void depthwise_backward_weight(const ConvGeom& g, const float* x, const float* gout, float* gw) {
  const i64 mult = g.og(), hp = g.h + 2 * g.ph, wp = g.w + 2 * g.pw, hwo = g.ho * g.wo, khw = g.kh * g.kw;
  const bool padded = g.ph || g.pw;
#pragma omp parallel for schedule(static)
  for (i64 c = 0; c < g.c; ++c) {
    ThreadScratch& scratch = thread_scratch();
    float* acc = gw + c * mult * khw;
    std::fill(acc, acc + mult * khw, 0.0f);
    float* row = scratch.tile.get(std::max<i64>(g.wo, 1));
    for (i64 n = 0; n < g.n; ++n) {
      const float* xs = x + (n * g.c + c) * g.h * g.w;
      if (padded) {
        float* buf = scratch.tmp.get(hp * wp);
        pad_planes(xs, 1, g.h, g.w, g.ph, g.pw, buf);
        xs = buf;
      }
      for (i64 j = 0; j < mult; ++j) {
        const float* go = gout + (n * g.o + c * mult + j) * hwo;
        for (i64 r = 0; r < g.kh; ++r)
          for (i64 s = 0; s < g.kw; ++s) {
            float sum = 0.0f;
            for (i64 oh = 0; oh < g.ho; ++oh) {
              const float* in = xs + (oh * g.sh + r * g.dh) * wp + s * g.dw;
              if (g.sw == 1) {
                sum += dot(go + oh * g.wo, in, g.wo);
              } else {
                for (i64 e = 0; e < g.wo; ++e) row[e] = in[e * g.sw];
                sum += dot(go + oh * g.wo, row, g.wo);
              }
            }
            acc[j * khw + r * g.kw + s] += sum;
          }
      }
    }
  }
}

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

void conv_forward(const ConvGeom& g, const float* x, const float* w, const float* bias, float* y,
                  bool flipped = false) {
  if (g.is_depthwise()) return depthwise_forward(g, x, w, bias, y);
  const Im2col src = padded_source(g, x);
  for (i64 group = 0; group < g.groups; ++group) {
    ForwardOps ops{g, src, w, bias, y, group, flipped};
    gemm_run(ops, g.kg(), make_split(g.og(), g.n * g.ho * g.wo, g.kg(), kMR, kNR, 4 * kNR, 1, kKC));
  }
}

void conv_backward_input(const ConvGeom& g, const float* gout, const float* w, float* gx) {
  if (g.is_depthwise()) return depthwise_backward_input(g, gout, w, gx);
  const i64 full_h = g.dh * (g.kh - 1), full_w = g.dw * (g.kw - 1);
  if (g.sh == 1 && g.sw == 1 && g.ph <= full_h && g.pw <= full_w) {
    // Stride 1: the adjoint is itself a convolution -- of grad_out, padded by d (k - 1) - p,
    // with the kernel flipped and its input / output channels swapped within each group
    // (ForwardOps::pack_flipped), so it runs on the forward GEMM, without a col2im scatter.
    ConvGeom t = g;
    t.c = g.o, t.h = g.ho, t.w = g.wo;
    t.o = g.c;
    t.ph = full_h - g.ph, t.pw = full_w - g.pw;
    t.ho = g.h, t.wo = g.w;
    if (!t.is_depthwise()) return conv_forward(t, gout, w, nullptr, gx, /*flipped=*/true);
    // (one output channel per group: the depthwise loops want the transformed weight itself)
    const i64 og = g.og(), cg = g.cg(), khw = g.kh * g.kw;
    float* wt = shared_buffer(3).get(g.c * og * khw);
    for (i64 grp = 0; grp < g.groups; ++grp)
      for (i64 c = 0; c < cg; ++c)
        for (i64 o = 0; o < og; ++o) {
          const float* from = w + ((grp * og + o) * cg + c) * khw;
          float* to = wt + ((grp * cg + c) * og + o) * khw;
          for (i64 e = 0; e < khw; ++e) to[e] = from[khw - 1 - e];
        }
    return depthwise_forward(t, gout, wt, nullptr, gx);
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
