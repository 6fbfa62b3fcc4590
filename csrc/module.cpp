// The tensorlite._C extension module: one registration call per kernel file.
//
// Adding a kernel: write csrc/<kernel>.cpp defining tensorlite::register_<kernel>(m),
// declare it below and call it in PYBIND11_MODULE.  setup.py compiles every csrc/*.cpp.

#include <pybind11/pybind11.h>

#include "cpu_features.h"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace py = pybind11;

namespace tensorlite {
void register_gelu(py::module_& m);
void register_attention(py::module_& m);
void register_int8_matmul(py::module_& m);
void register_peak_probe(py::module_& m);
void register_conv(py::module_& m);
void register_gemm(py::module_& m);
void register_layer_norm(py::module_& m);
}  // namespace tensorlite

namespace {

int openmp_max_threads() {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

}  // namespace

PYBIND11_MODULE(_C, m) {
  m.doc() = "tensorlite native CPU kernels (C++17). Use them through tensorlite.kernels.";
#ifdef _OPENMP
  m.attr("openmp") = true;
#else
  m.attr("openmp") = false;
#endif
  m.def("openmp_max_threads", &openmp_max_threads,
        "Threads an OpenMP parallel region would use now (1 when built without OpenMP).");

  // Runtime CPU dispatch: _C.cpu_features(), kernel_paths(), cpu_path(), set_cpu_path().
  // Each kernel declares the SIMD paths it has; GELU has none (the compiler vectorises its
  // loop for the baseline ISA).
  tensorlite::register_cpu_features(m);
  tensorlite::declare_kernel_paths("gelu_forward", tensorlite::kPathBit(tensorlite::CpuPath::portable));
  tensorlite::declare_kernel_paths("gelu_backward", tensorlite::kPathBit(tensorlite::CpuPath::portable));
  tensorlite::register_gelu(m);
  tensorlite::register_attention(m);
  tensorlite::register_int8_matmul(m);
  tensorlite::register_peak_probe(m);
  tensorlite::register_conv(m);
  tensorlite::register_gemm(m);
  tensorlite::declare_kernel_paths("layer_norm_forward", tensorlite::kPathBit(tensorlite::CpuPath::portable));
  tensorlite::declare_kernel_paths("layer_norm_backward", tensorlite::kPathBit(tensorlite::CpuPath::portable));
  tensorlite::register_layer_norm(m);
}
