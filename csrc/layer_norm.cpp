// Layer norm over the last dim, forward and backward, on C-contiguous float32/float64 (rows, D)
// buffers (kernel contract: kernels/layer_norm.py).
//
//   forward:  mu = mean_j x_j,  var = mean_j (x_j - mu)^2,  rstd = 1 / sqrt(var + eps),
//             y_j = (x_j - mu) rstd w_j + b_j
//   backward: xhat_j = (x_j - mu) rstd,  gh_j = w_j g_j,
//             dx_j = rstd (gh_j - mean_j gh - xhat_j mean_j (gh xhat)),
//             dw = sum_rows g xhat,  db = sum_rows g
//
// Statistics are computed in T (float32 for float32 input, as PyTorch does) by the corrected
// two-pass algorithm: m0 = sum(x) / D, then s1 = sum(x - m0), s2 = sum((x - m0)^2), and
// mu = m0 + s1 / D, var = (s2 - s1^2 / D) / D.  The second pass sums deviations from a value
// already near the mean, so a large common offset (1e4 + noise) does not cancel the variance
// away as E[x^2] - E[x]^2 would, and s1 corrects the rounding of m0.
//
// Every row sum uses kLanes independent accumulators combined pairwise in a fixed order: the
// compiler vectorises the lanes without reassociating anything (no -ffast-math), the result
// does not depend on the ISA's vector width, and the add latency chain is broken.
//
// Threads: OpenMP over rows (each row is one thread's, so y, mean, rstd and dx do not depend on
// the thread count).  dw and db are sums over rows: they are accumulated per fixed chunk of
// rows (its size depends on the shape only), then the chunks' partial sums are added in chunk
// order, so they too are bitwise independent of the thread count.
//
// Portable only (no per-ISA paths): with the SSE2 baseline, (2048, 256) float32 takes ~0.29 ms
// forward and ~0.32 ms backward on one core (NumPy's passes: 0.59 and 1.07 ms; PyTorch's AVX-512
// kernels: ~0.19 and ~0.23 ms).  AVX2/AVX-512 paths (simd_paths.inc) could roughly halve that, but in
// the GPT training step layer norm is then ~2% of the time, so they are not worth their code yet.

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "common.h"

namespace py = pybind11;

namespace tensorlite {
namespace {

constexpr i64 kLanes = 16;
// Below this many elements an OpenMP fork/join costs more than the work it splits.
constexpr i64 kParallelThreshold = i64{1} << 14;
// Row chunks for the parameter gradients: about kChunks of them (enough to spread over the threads),
// of kMinChunkRows to kMaxChunkRows rows each (so the partial sums, 2 D values per chunk, take at most
// half the size of x).
constexpr i64 kMinChunkRows = 4;
constexpr i64 kMaxChunkRows = 32;
constexpr i64 kChunks = 64;

// kLanes accumulators of T, held as kVecs vectors of kPer lanes: 16-byte GCC/Clang vectors
// (the baseline SSE2/NEON registers: 4 floats, 2 doubles) or, elsewhere, scalars.  Lane l always
// sums the elements j = l (mod kLanes) of a row, whatever the vector width.
#if TL_VECTOR_TYPES
template <typename T>
struct VecOf {
  typedef T type __attribute__((vector_size(16)));
};
template <typename T>
using Vec = typename VecOf<T>::type;
#else
template <typename T>
using Vec = T;
#endif
template <typename T>
constexpr i64 kPer = static_cast<i64>(sizeof(Vec<T>) / sizeof(T));
template <typename T>
constexpr i64 kVecs = kLanes / kPer<T>;

// V is Vec<T> or T: the vector body and the scalar tail of one elementwise loop share their code.
template <typename V, typename T>
TL_INLINE V load_as(const T* p) {
  V v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <typename V, typename T>
TL_INLINE void store_as(T* p, const V& v) {
  std::memcpy(p, &v, sizeof v);
}

// step(j, V{}) for every j in [0, n): a vector of kPer elements at a time, then scalars.
template <typename T, typename F>
TL_INLINE void elementwise(i64 n, F&& step) {
  i64 j = 0;
  for (; j + kPer<T> <= n; j += kPer<T>) step(j, Vec<T>{});
  for (; j < n; ++j) step(j, T{});
}

template <typename T>
TL_INLINE T combine(const Vec<T>* vecs) {  // 16 -> 8 -> 4 -> 2 -> 1, always in this order
  T acc[kLanes];
  std::memcpy(acc, vecs, sizeof acc);
  for (i64 w = kLanes / 2; w >= 1; w /= 2)
    for (i64 l = 0; l < w; ++l) acc[l] += acc[l + w];
  return acc[0];
}

// The vectors cover n - n % kLanes elements; a scalar loop sums the tail.
template <typename T>
TL_INLINE T row_sum(const T* x, i64 n) {
  Vec<T> acc[kVecs<T>] = {};
  const i64 body = n - n % kLanes;
  for (i64 j = 0; j < body; j += kLanes)
    for (i64 k = 0; k < kVecs<T>; ++k) acc[k] += load_as<Vec<T>>(x + j + k * kPer<T>);
  T tail = 0;
  for (i64 j = body; j < n; ++j) tail += x[j];
  return combine<T>(acc) + tail;
}

// s1 = sum(x - c), s2 = sum((x - c)^2)
template <typename T>
TL_INLINE void row_moments(const T* x, i64 n, T c, T* s1, T* s2) {
  Vec<T> a1[kVecs<T>] = {}, a2[kVecs<T>] = {};
  const i64 body = n - n % kLanes;
  for (i64 j = 0; j < body; j += kLanes)
    for (i64 k = 0; k < kVecs<T>; ++k) {
      const Vec<T> d = load_as<Vec<T>>(x + j + k * kPer<T>) - c;
      a1[k] += d;
      a2[k] += d * d;
    }
  T t1 = 0, t2 = 0;
  for (i64 j = body; j < n; ++j) {
    const T d = x[j] - c;
    t1 += d;
    t2 += d * d;
  }
  *s1 = combine<T>(a1) + t1;
  *s2 = combine<T>(a2) + t2;
}

template <typename T, bool HasW, bool HasB>
void forward_rows(const T* x, const T* w, const T* b, T* y, T* mean, T* rstd, i64 rows, i64 D, T eps) {
  const T n = static_cast<T>(D);
#pragma omp parallel for schedule(static) if (rows * D >= kParallelThreshold && rows > 1)
  for (i64 r = 0; r < rows; ++r) {
    const T* xr = x + r * D;
    T* yr = y + r * D;
    const T m0 = row_sum(xr, D) / n;
    T s1, s2;
    row_moments(xr, D, m0, &s1, &s2);
    const T shift = s1 / n;
    const T mu = m0 + shift;
    T var = (s2 - s1 * shift) / n;
    if (!(var > T(0))) var = var < T(0) ? T(0) : var;  // rounding can push it below zero; nan stays nan
    const T rs = T(1) / std::sqrt(var + eps);
    mean[r] = mu;
    rstd[r] = rs;
    elementwise<T>(D, [&](i64 j, auto lanes) {
      using V = decltype(lanes);
      V v = (load_as<V>(xr + j) - mu) * rs;
      if (HasW) v = v * load_as<V>(w + j);
      if (HasB) v = v + load_as<V>(b + j);
      store_as(yr + j, v);
    });
  }
}

// dx of one row; adds g xhat to pw and g to pb when HasW.
template <typename T, bool HasW>
TL_INLINE void backward_row(const T* g, const T* x, const T* w, T mu, T rs, i64 D, T* dx, T* pw, T* pb) {
  Vec<T> a1[kVecs<T>] = {}, a2[kVecs<T>] = {};
  const i64 body = D - D % kLanes;
  for (i64 j = 0; j < body; j += kLanes)
    for (i64 k = 0; k < kVecs<T>; ++k) {
      const i64 i = j + k * kPer<T>;
      const Vec<T> xh = (load_as<Vec<T>>(x + i) - mu) * rs;
      const Vec<T> gh = HasW ? load_as<Vec<T>>(g + i) * load_as<Vec<T>>(w + i) : load_as<Vec<T>>(g + i);
      a1[k] += gh;
      a2[k] += gh * xh;
    }
  T t1 = 0, t2 = 0;
  for (i64 j = body; j < D; ++j) {
    const T xh = (x[j] - mu) * rs;
    const T gh = HasW ? g[j] * w[j] : g[j];
    t1 += gh;
    t2 += gh * xh;
  }
  const T c1 = (combine<T>(a1) + t1) / static_cast<T>(D);
  const T c2 = (combine<T>(a2) + t2) / static_cast<T>(D);
  elementwise<T>(D, [&](i64 j, auto lanes) {
    using V = decltype(lanes);
    const V gv = load_as<V>(g + j);
    const V xh = (load_as<V>(x + j) - mu) * rs;
    const V gh = HasW ? gv * load_as<V>(w + j) : gv;
    store_as(dx + j, V((gh - c1 - xh * c2) * rs));
    if (HasW) {
      store_as(pw + j, V(load_as<V>(pw + j) + gv * xh));
      store_as(pb + j, V(load_as<V>(pb + j) + gv));
    }
  });
}

template <typename T, bool HasW>
void backward_rows(const T* g, const T* x, const T* w, const T* mean, const T* rstd, T* dx, T* dw, T* db,
                   i64 rows, i64 D) {
  const bool parallel = rows * D >= kParallelThreshold && rows > 1;
  if (!HasW) {
#pragma omp parallel for schedule(static) if (parallel)
    for (i64 r = 0; r < rows; ++r)
      backward_row<T, false>(g + r * D, x + r * D, w, mean[r], rstd[r], D, dx + r * D, nullptr, nullptr);
    return;
  }
  // The chunking depends on the shape only: the partial sums, and their sum, are the same for
  // any thread count.
  const i64 chunk_rows = std::min(kMaxChunkRows, std::max(kMinChunkRows, (rows + kChunks - 1) / kChunks));
  const i64 chunks = (rows + chunk_rows - 1) / chunk_rows;
  std::unique_ptr<T[]> partial(new T[static_cast<std::size_t>(2 * chunks * D)]);
  T* pw_all = partial.get();
  T* pb_all = pw_all + chunks * D;
#pragma omp parallel if (parallel)
  {
#pragma omp for schedule(static)
    for (i64 c = 0; c < chunks; ++c) {
      T* pw = pw_all + c * D;
      T* pb = pb_all + c * D;
      std::fill(pw, pw + D, T(0));
      std::fill(pb, pb + D, T(0));
      const i64 end = std::min(rows, (c + 1) * chunk_rows);
      for (i64 r = c * chunk_rows; r < end; ++r)
        backward_row<T, true>(g + r * D, x + r * D, w, mean[r], rstd[r], D, dx + r * D, pw, pb);
    }
    // (the implicit barrier of `omp for`: every chunk is done)  Columns split over the threads,
    // chunks added in order.
#pragma omp for schedule(static)
    for (i64 j0 = 0; j0 < D; j0 += 256) {
      const i64 j1 = std::min(D, j0 + 256);
      for (i64 j = j0; j < j1; ++j) {
        dw[j] = pw_all[j];
        db[j] = pb_all[j];
      }
      for (i64 c = 1; c < chunks; ++c)
        for (i64 j = j0; j < j1; ++j) {
          dw[j] += pw_all[c * D + j];
          db[j] += pb_all[c * D + j];
        }
    }
  }
}

template <typename T>
using CArray = py::array_t<T, py::array::c_style | py::array::forcecast>;

template <typename T>
CArray<T> as_c(const py::handle& a) {
  // ensure() returns the input itself when it is already C-contiguous of dtype T, else a copy.
  auto out = CArray<T>::ensure(a);
  if (!out) throw py::error_already_set();
  return out;
}

template <typename T>
void check_vector(const CArray<T>& v, i64 D, const char* op, const char* name) {
  if (v.ndim() != 1 || v.shape(0) != D)
    throw py::value_error(std::string(op) + ": " + name + " must have shape (" + std::to_string(D) + ",)");
}

template <typename T>
py::tuple forward_typed(const py::array& input, const py::object& weight, const py::object& bias, double eps) {
  auto x = as_c<T>(input);
  if (x.ndim() != 2) throw py::value_error("layer_norm_forward: x must be 2-D (rows, D)");
  const i64 rows = x.shape(0), D = x.shape(1);
  const bool has_w = !weight.is_none(), has_b = !bias.is_none();
  CArray<T> w, b;
  if (has_w) {
    w = as_c<T>(weight);
    check_vector(w, D, "layer_norm_forward", "weight");
  }
  if (has_b) {
    b = as_c<T>(bias);
    check_vector(b, D, "layer_norm_forward", "bias");
  }
  py::array_t<T> y({rows, D}), mean(rows), rstd(rows);
  const T* xp = x.data();
  const T* wp = has_w ? w.data() : nullptr;
  const T* bp = has_b ? b.data() : nullptr;
  T* yp = y.mutable_data();
  T* mp = mean.mutable_data();
  T* rp = rstd.mutable_data();
  const T e = static_cast<T>(eps);
  {
    py::gil_scoped_release release;
    if (D == 0) {  // as torch.native_layer_norm: mean 0, rstd nan (0 / 0)
      for (i64 r = 0; r < rows; ++r) {
        mp[r] = T(0);
        rp[r] = std::nan("");
      }
    } else if (has_w && has_b) {
      forward_rows<T, true, true>(xp, wp, bp, yp, mp, rp, rows, D, e);
    } else if (has_w) {
      forward_rows<T, true, false>(xp, wp, bp, yp, mp, rp, rows, D, e);
    } else if (has_b) {
      forward_rows<T, false, true>(xp, wp, bp, yp, mp, rp, rows, D, e);
    } else {
      forward_rows<T, false, false>(xp, wp, bp, yp, mp, rp, rows, D, e);
    }
  }
  return py::make_tuple(y, mean, rstd);
}

template <typename T>
py::tuple backward_typed(const py::array& grad, const py::array& input, const py::object& weight,
                         const py::array& mean_in, const py::array& rstd_in) {
  auto g = as_c<T>(grad);
  auto x = as_c<T>(input);
  auto mean = as_c<T>(mean_in);
  auto rstd = as_c<T>(rstd_in);
  if (x.ndim() != 2) throw py::value_error("layer_norm_backward: x must be 2-D (rows, D)");
  const i64 rows = x.shape(0), D = x.shape(1);
  if (g.ndim() != 2 || g.shape(0) != rows || g.shape(1) != D)
    throw py::value_error("layer_norm_backward: grad must have the shape of x");
  check_vector(mean, rows, "layer_norm_backward", "mean");
  check_vector(rstd, rows, "layer_norm_backward", "rstd");
  const bool has_w = !weight.is_none();
  CArray<T> w;
  if (has_w) {
    w = as_c<T>(weight);
    check_vector(w, D, "layer_norm_backward", "weight");
  }
  py::array_t<T> dx({rows, D});
  py::object dw = py::none(), db = py::none();
  T* dwp = nullptr;
  T* dbp = nullptr;
  if (has_w) {
    py::array_t<T> dwa(D), dba(D);
    dwp = dwa.mutable_data();
    dbp = dba.mutable_data();
    dw = dwa;
    db = dba;
  }
  const T* gp = g.data();
  const T* xp = x.data();
  const T* wp = has_w ? w.data() : nullptr;
  const T* mp = mean.data();
  const T* rp = rstd.data();
  T* dxp = dx.mutable_data();
  {
    py::gil_scoped_release release;
    if (D == 0) {
      // nothing to compute: dx, dw and db are empty
    } else if (rows == 0) {
      if (has_w) {
        std::fill(dwp, dwp + D, T(0));
        std::fill(dbp, dbp + D, T(0));
      }
    } else if (has_w) {
      backward_rows<T, true>(gp, xp, wp, mp, rp, dxp, dwp, dbp, rows, D);
    } else {
      backward_rows<T, false>(gp, xp, wp, mp, rp, dxp, dwp, dbp, rows, D);
    }
  }
  return py::make_tuple(dx, dw, db);
}

std::string dtype_of(const py::array& a) { return std::string(py::str(a.dtype())); }

py::tuple layer_norm_forward(const py::array& x, const py::object& weight, const py::object& bias, double eps) {
  // isinstance<array_t<T>> compares the dtype only (native byte order), not the layout.
  if (py::isinstance<py::array_t<float>>(x)) return forward_typed<float>(x, weight, bias, eps);
  if (py::isinstance<py::array_t<double>>(x)) return forward_typed<double>(x, weight, bias, eps);
  throw py::type_error("layer_norm_forward: expected a float32 or float64 array in native byte order, got dtype " +
                       dtype_of(x));
}

py::tuple layer_norm_backward(const py::array& grad, const py::array& x, const py::object& weight,
                              const py::array& mean, const py::array& rstd) {
  if (py::isinstance<py::array_t<float>>(x)) return backward_typed<float>(grad, x, weight, mean, rstd);
  if (py::isinstance<py::array_t<double>>(x)) return backward_typed<double>(grad, x, weight, mean, rstd);
  throw py::type_error("layer_norm_backward: expected a float32 or float64 array in native byte order, got dtype " +
                       dtype_of(x));
}

}  // namespace

void register_layer_norm(py::module_& m) {
  m.def("layer_norm_forward", &layer_norm_forward, py::arg("x"), py::arg("weight"), py::arg("bias"),
        py::arg("eps"),
        "Layer norm over the last dim of a 2-D (rows, D) float32/float64 array; weight, bias: (D,) or None.\n"
        "Returns (y (rows, D), mean (rows,), rstd (rows,)), statistics in the input's dtype.");
  m.def("layer_norm_backward", &layer_norm_backward, py::arg("grad"), py::arg("x"), py::arg("weight"),
        py::arg("mean"), py::arg("rstd"),
        "Gradients of layer_norm_forward: (grad_x, grad_weight, grad_bias); the last two are None when\n"
        "weight is None.  grad_weight and grad_bias are bitwise independent of the thread count.");
}

}  // namespace tensorlite
