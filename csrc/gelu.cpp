// GELU forward on a contiguous float32/float64 buffer (kernel contract: kernels/gelu.py).
//
//   exact: y = 0.5 x (1 + erf(x / sqrt 2)), computed as 0.5 x erfc(-x / sqrt 2): the same
//          function, but without the cancellation 1 + erf(.) suffers for x << 0, so the
//          left tail keeps its relative accuracy (gelu(-10) = -7.6e-23, not -0).
//   tanh:  y = 0.5 x (1 + tanh(u)),  u = sqrt(2/pi) (x + 0.044715 x^3), computed as
//          x / (1 + exp(-2u)): the same function (0.5 (1 + tanh u) = sigmoid(2u)), again
//          without the cancellation for x << 0, and exp is cheaper than tanh.
//
// One pass, elementwise, OpenMP-parallel above a size threshold.  Compiled portably
// (no -march=native); runtime CPU dispatch is a later step.

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

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
}

}  // namespace tensorlite
