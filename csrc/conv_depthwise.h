// Depthwise 2-d convolution of one SIMD path: groups = C, one input channel per group and
// m = O / C output channels per input channel (the "multiplier").  Included by
// conv_kernels.h (so once per path, inside its namespace; no include guard).
//
// The per-group GEMMs would have a single row each, so these are direct loops: one task per
// (image, channel) plane (per channel for the weight gradient), the plane copied into a
// zero border (hp x wp), and every kernel tap (r, s) one multiply-add over the plane.
//
// At stride 1 the outputs are computed on the padded plane's row pitch ("flat shift"):
// output (oh, ow) sits at flat index oh wp + ow, and tap (r, s) reads that index + r dh wp +
// s dw, so each tap is ONE contiguous vector loop over L = (Ho - 1) wp + Wo elements (computing
// wp - Wo throw-away columns per row) instead of Ho loops of Wo: on 8x8 planes this measured
// ~5x faster than row by row.  The largest index read, (kh-1) dh wp + (kw-1) dw + L - 1, is
// exactly the padded plane's last element.  Other strides gather each tap's window into a
// block first (forward, weight gradient) or scatter row by row (input gradient).

// acc[e] += wv * src[e], e < len (vectorised by the compiler for the path's ISA).
TL_INLINE void axpy(float* __restrict acc, const float* __restrict src, float wv, i64 len) {
  for (i64 e = 0; e < len; ++e) acc[e] += wv * src[e];
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

// The input plane (n, c) with its zero border, in `buf` (or x itself without padding).
TL_INLINE const float* padded_plane(const ConvGeom& g, const float* x, i64 plane, Buffer& buf) {
  const float* xs = x + plane * g.h * g.w;
  if (!g.ph && !g.pw) return xs;
  float* dst = buf.get((g.h + 2 * g.ph) * (g.w + 2 * g.pw));
  pad_plane(xs, g.h, g.w, g.ph, g.pw, dst);
  return dst;
}

// grad_out plane (Ho, Wo) laid out with row pitch wp, zeros in the wp - Wo extra columns.
TL_INLINE void spread_rows(const float* src, i64 ho, i64 wo, i64 wp, float* dst) {
  for (i64 oh = 0; oh < ho; ++oh) {
    std::copy(src + oh * wo, src + (oh + 1) * wo, dst + oh * wp);
    if (oh + 1 < ho) std::fill(dst + oh * wp + wo, dst + (oh + 1) * wp, 0.0f);
  }
}

// window[oh Wo + ow] = xpad[oh sh + r dh, ow sw + s dw]: the plane values tap (r, s) reads.
TL_INLINE void gather_window(const ConvGeom& g, const float* xs, i64 wp, i64 r, i64 s, float* window) {
  for (i64 oh = 0; oh < g.ho; ++oh)
    copy_run(window + oh * g.wo, xs + (oh * g.sh + r * g.dh) * wp + s * g.dw, g.wo, g.sw);
}

// y[n, c m + j, oh, ow] = bias + sum_{r, s} w[c m + j, 0, r, s] xpad[n, c, oh sh + r dh, ow sw + s dw]
void depthwise_forward(const ConvGeom& g, const float* x, const float* w, const float* bias, float* y) {
  const i64 mult = g.og(), wp = g.w + 2 * g.pw, hwo = g.ho * g.wo, khw = g.kh * g.kw;
  const bool flat = g.sh == 1 && g.sw == 1;
  const i64 len = (g.ho - 1) * wp + g.wo;
#pragma omp parallel
  {
    ThreadScratch& sc = thread_scratch();  // (one thread-local lookup per thread, not per plane)
#pragma omp for schedule(static)
    for (i64 plane = 0; plane < g.n * g.c; ++plane) {
      const i64 n = plane / g.c, c = plane % g.c;
      const float* xs = padded_plane(g, x, plane, sc.tmp);
      float* acc = flat ? sc.bpack.get(len) : nullptr;
      for (i64 j = 0; j < mult; ++j) {
        const i64 o = c * mult + j;
        const float* wo = w + o * khw;
        const float b = bias ? bias[o] : 0.0f;
        float* out = y + (n * g.o + o) * hwo;
        if (flat) {
          std::fill(acc, acc + len, b);
          for (i64 r = 0; r < g.kh; ++r)
            for (i64 s = 0; s < g.kw; ++s) axpy(acc, xs + r * g.dh * wp + s * g.dw, wo[r * g.kw + s], len);
          for (i64 oh = 0; oh < g.ho; ++oh) std::copy(acc + oh * wp, acc + oh * wp + g.wo, out + oh * g.wo);
          continue;
        }
        // strided: each tap's window gathered into one (Ho x Wo) block, then one long axpy
        float* window = sc.bpack.get(hwo);
        std::fill(out, out + hwo, b);
        for (i64 r = 0; r < g.kh; ++r)
          for (i64 s = 0; s < g.kw; ++s) {
            gather_window(g, xs, wp, r, s, window);
            axpy(out, window, wo[r * g.kw + s], hwo);
          }
      }
    }
  }
}

// gx[n, c] = the interior of sum_j (grad_out[n, c m + j] scattered through w[c m + j]): the adjoint.
void depthwise_backward_input(const ConvGeom& g, const float* gout, const float* w, float* gx) {
  const i64 mult = g.og(), hp = g.h + 2 * g.ph, wp = g.w + 2 * g.pw, hwo = g.ho * g.wo, khw = g.kh * g.kw;
  const bool flat = g.sh == 1 && g.sw == 1;
  const i64 len = (g.ho - 1) * wp + g.wo;
#pragma omp parallel
  {
    ThreadScratch& sc = thread_scratch();
#pragma omp for schedule(static)
    for (i64 plane = 0; plane < g.n * g.c; ++plane) {
      const i64 n = plane / g.c, c = plane % g.c;
      float* acc = sc.tmp.get(hp * wp);
      std::fill(acc, acc + hp * wp, 0.0f);
      float* spread = flat ? sc.bpack.get(len) : nullptr;
      for (i64 j = 0; j < mult; ++j) {
        const i64 o = c * mult + j;
        const float* wo = w + o * khw;
        const float* go = gout + (n * g.o + o) * hwo;
        if (flat) {
          spread_rows(go, g.ho, g.wo, wp, spread);
          for (i64 r = 0; r < g.kh; ++r)
            for (i64 s = 0; s < g.kw; ++s) axpy(acc + r * g.dh * wp + s * g.dw, spread, wo[r * g.kw + s], len);
          continue;
        }
        for (i64 oh = 0; oh < g.ho; ++oh)
          for (i64 r = 0; r < g.kh; ++r)
            for (i64 s = 0; s < g.kw; ++s) {
              const float wv = wo[r * g.kw + s];
              float* out = acc + (oh * g.sh + r * g.dh) * wp + s * g.dw;
              for (i64 e = 0; e < g.wo; ++e) out[e * g.sw] += wv * go[oh * g.wo + e];
            }
      }
      unpad_plane(acc, g.h, g.w, g.ph, g.pw, gx + plane * g.h * g.w);
    }
  }
}

// gw[c m + j, 0, r, s] = sum_{n, oh, ow} grad_out[n, c m + j, oh, ow] xpad[n, c, oh sh + r dh, ow sw + s dw]
// (one task per channel: the sum over the batch stays inside a task, in a fixed order).
void depthwise_backward_weight(const ConvGeom& g, const float* x, const float* gout, float* gw) {
  const i64 mult = g.og(), wp = g.w + 2 * g.pw, hwo = g.ho * g.wo, khw = g.kh * g.kw;
  const bool flat = g.sh == 1 && g.sw == 1;
  const i64 len = (g.ho - 1) * wp + g.wo;
#pragma omp parallel
  {
    ThreadScratch& sc = thread_scratch();
#pragma omp for schedule(static)
    for (i64 c = 0; c < g.c; ++c) {
      float* acc = gw + c * mult * khw;
      std::fill(acc, acc + mult * khw, 0.0f);
      float* buf = sc.bpack.get(flat ? len : hwo);
      for (i64 n = 0; n < g.n; ++n) {
        const float* xs = padded_plane(g, x, n * g.c + c, sc.tmp);
        for (i64 j = 0; j < mult; ++j) {
          const float* go = gout + (n * g.o + c * mult + j) * hwo;
          if (flat) spread_rows(go, g.ho, g.wo, wp, buf);
          for (i64 r = 0; r < g.kh; ++r)
            for (i64 s = 0; s < g.kw; ++s) {
              float sum;
              if (flat) {
                sum = dot(buf, xs + r * g.dh * wp + s * g.dw, len);
              } else {
                gather_window(g, xs, wp, r, s, buf);  // strided: one long dot over the tap's window
                sum = dot(go, buf, hwo);
              }
              acc[j * khw + r * g.kw + s] += sum;
            }
        }
      }
    }
  }
}
