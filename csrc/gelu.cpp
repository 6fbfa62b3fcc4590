// GELU forward and backward on contiguous float32/float64 buffers (kernel contract: kernels/gelu.py).
//
//   exact: y = 0.5 x (1 + erf(x / sqrt 2)), computed as 0.5 x erfc(-x / sqrt 2): the same
//          function, but without the cancellation 1 + erf(.) suffers for x << 0, so the
//          left tail keeps its relative accuracy (gelu(-10) = -7.6e-23, not -0).
//   tanh:  y = 0.5 x (1 + tanh(u)),  u = sqrt(2/pi) (x + 0.044715 x^3), computed as
//          x / (1 + exp(-2u)): the same function (0.5 (1 + tanh u) = sigmoid(2u)), again
//          without the cancellation for x << 0, and exp is cheaper than tanh.
//
// Backward (the gradient g times the derivative, one pass instead of the dozen NumPy passes of
// the Tensor-op formula):
//   exact: g (Phi(x) + x phi(x)),  Phi(x) = erfc(-x / sqrt 2) / 2,  phi(x) = exp(-x^2 / 2) / sqrt(2 pi)
//   tanh:  g (s + 2 x s (1 - s) u'),  s = sigmoid(2u) = (1 + tanh u) / 2,  u' = sqrt(2/pi) (1 + 3 0.044715 x^2)
//          (since d/dx [x s] = s + x ds/dx and ds/dx = 2 s (1 - s) u')
//
// One pass, elementwise, OpenMP-parallel above a size threshold.  Compiled portably
// (no -march=native); runtime CPU dispatch is a later step.

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace py = pybind11;

namespace tensorlite {
namespace {

// Below this many elements an OpenMP fork/join (a few microseconds) costs more than the
// work it splits (erfc is ~10-20 ns per element).
constexpr std::int64_t kParallelThreshold = std::int64_t{1} << 15;

// Both forms compute in double and round once to T: for float32 this costs the same as
// float math (the libm call dominates) and keeps the result within an ulp of the
// float64 reference, instead of the ~1e-5 relative error float math gives in the tail.
template <typename T>
void gelu_exact(const T* x, T* y, std::int64_t n) {
  const double inv_sqrt2 = 0.70710678118654752440;  // the double nearest 1/sqrt(2)
#pragma omp parallel for schedule(static) if (n >= kParallelThreshold)
  for (std::int64_t i = 0; i < n; ++i) {
    const double v = static_cast<double>(x[i]);
    y[i] = static_cast<T>(0.5 * v * std::erfc(-v * inv_sqrt2));
  }
}

template <typename T>
void gelu_tanh(const T* x, T* y, std::int64_t n) {
  const double sqrt_2_over_pi = 0.79788456080286535588;
  const double cubic = 0.044715;
#pragma omp parallel for schedule(static) if (n >= kParallelThreshold)
  for (std::int64_t i = 0; i < n; ++i) {
    const double v = static_cast<double>(x[i]);
    const double u = sqrt_2_over_pi * (v + cubic * v * v * v);
    y[i] = static_cast<T>(v / (1.0 + std::exp(-2.0 * u)));
  }
}

template <typename T>
void gelu_exact_backward(const T* g, const T* x, T* dx, std::int64_t n) {
  const double inv_sqrt2 = 0.70710678118654752440;
  const double inv_sqrt_2pi = 0.39894228040143267794;
#pragma omp parallel for schedule(static) if (n >= kParallelThreshold)
  for (std::int64_t i = 0; i < n; ++i) {
    const double v = static_cast<double>(x[i]);
    const double slope = 0.5 * std::erfc(-v * inv_sqrt2) + v * std::exp(-0.5 * v * v) * inv_sqrt_2pi;
    dx[i] = static_cast<T>(static_cast<double>(g[i]) * slope);
  }
}

template <typename T>
void gelu_tanh_backward(const T* g, const T* x, T* dx, std::int64_t n) {
  const double sqrt_2_over_pi = 0.79788456080286535588;
  const double cubic = 0.044715;
#pragma omp parallel for schedule(static) if (n >= kParallelThreshold)
  for (std::int64_t i = 0; i < n; ++i) {
    const double v = static_cast<double>(x[i]);
    const double u = sqrt_2_over_pi * (v + cubic * v * v * v);
    const double s = 1.0 / (1.0 + std::exp(-2.0 * u));
    const double du = sqrt_2_over_pi * (1.0 + 3.0 * cubic * v * v);
    dx[i] = static_cast<T>(static_cast<double>(g[i]) * (s + 2.0 * v * s * (1.0 - s) * du));
  }
}

template <typename T>
py::array gelu_backward_typed(const py::array& grad, const py::array& input, bool tanh) {
  auto g = py::array_t<T, py::array::c_style | py::array::forcecast>::ensure(grad);
  auto x = py::array_t<T, py::array::c_style | py::array::forcecast>::ensure(input);
  if (!g || !x) throw py::error_already_set();
  if (g.ndim() != x.ndim() || !std::equal(g.shape(), g.shape() + g.ndim(), x.shape()))
    throw py::value_error("gelu_backward: grad and x must have the same shape");
  std::vector<py::ssize_t> shape(x.shape(), x.shape() + x.ndim());
  py::array_t<T> dx(shape);
  const T* gp = g.data();
  const T* xp = x.data();
  T* dp = dx.mutable_data();
  const auto n = static_cast<std::int64_t>(x.size());
  {
    py::gil_scoped_release release;
    if (tanh) {
      gelu_tanh_backward(gp, xp, dp, n);
    } else {
      gelu_exact_backward(gp, xp, dp, n);
    }
  }
  return dx;
}

py::array gelu_backward(const py::array& grad, const py::array& input, bool tanh) {
  if (py::isinstance<py::array_t<float>>(input)) return gelu_backward_typed<float>(grad, input, tanh);
  if (py::isinstance<py::array_t<double>>(input)) return gelu_backward_typed<double>(grad, input, tanh);
  throw py::type_error("gelu_backward: expected a float32 or float64 array in native byte order, got dtype " +
                       std::string(py::str(input.dtype())));
}

template <typename T>
py::array gelu_forward_typed(const py::array& input, bool tanh) {
  // ensure() returns the input itself when it is already C-contiguous, else a C-contiguous copy.
  auto x = py::array_t<T, py::array::c_style | py::array::forcecast>::ensure(input);
  if (!x) throw py::error_already_set();
  std::vector<py::ssize_t> shape(x.shape(), x.shape() + x.ndim());
  py::array_t<T> y(shape);
  const T* xp = x.data();
  T* yp = y.mutable_data();
  const auto n = static_cast<std::int64_t>(x.size());
  {
    py::gil_scoped_release release;  // pure C++ from here: let other Python threads run
    if (tanh) {
      gelu_tanh(xp, yp, n);
    } else {
      gelu_exact(xp, yp, n);
    }
  }
  return y;
}

py::array gelu_forward(const py::array& input, bool tanh) {
  // isinstance<array_t<T>> compares the dtype only (native byte order), not the layout.
  if (py::isinstance<py::array_t<float>>(input)) return gelu_forward_typed<float>(input, tanh);
  if (py::isinstance<py::array_t<double>>(input)) return gelu_forward_typed<double>(input, tanh);
  throw py::type_error("gelu_forward: expected a float32 or float64 array in native byte order, got dtype " +
                       std::string(py::str(input.dtype())));
}

}  // namespace

void register_gelu(py::module_& m) {
  m.def("gelu_forward", &gelu_forward, py::arg("x"), py::arg("tanh") = false,
        "GELU forward of a float32/float64 array (any shape; non-contiguous input is copied).\n"
        "tanh=False: 0.5 x (1 + erf(x/sqrt 2)); tanh=True: the tanh approximation.\n"
        "Returns a new C-contiguous array of the same shape and dtype.");
  m.def("gelu_backward", &gelu_backward, py::arg("grad"), py::arg("x"), py::arg("tanh") = false,
        "grad * GELU'(x) for float32/float64 arrays of one shape and dtype (non-contiguous input is copied).");
}

}  // namespace tensorlite
