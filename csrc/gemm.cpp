// Plain float32 matrix product C = A B for small and medium sizes (contract: kernels/gemm.py),
// on the packed, register-tiled SGEMM micro-kernel of csrc/gemm_f32.h.
//
// Why a second driver next to gemm_f32.h's gemm_run: gemm_run serves the convolutions (packers
// and writers as callbacks, partial sums over reduction chunks); this one is a plain GEMM with
// strided operands, tuned for the products of an MLP training step, (128 x 64..256) by
// (64..256 x 10..256), where NumPy's OpenBLAS runs ~100 GFLOP/s on one core but scales
// badly to two (thread wake-ups and its small-size partitioning: 2 threads were slower than
// one in benchmarks/bench_gemm.py).  Here:
//   * operands are read through their strides: a transposed view (W^T in x W^T, g^T in
//     g^T x) is packed with a transpose on the fly, never copied first;
//   * the output is cut into one task per thread, m_pieces row chunks x n_pieces column chunks
//     of whole tiles (2 threads: a 128 x 256 output into two 128 x 128 halves), each task
//     packing its own rows of A and columns of B into buffers of its thread, reused across
//     calls (gemm_driver.h's make_grid says why not one shared packed A);
//   * full tiles are stored straight into C (no tile buffer), edge tiles through one;
//   * C^T = B^T A^T is computed instead when that pads fewer tiles (a 10-column output);
//   * problems under kMinFlopsPerThread per thread run on fewer threads (one: no OpenMP
//     region at all), so a tiny product costs only the packing and the tiles.
//
// Determinism: every element of C is summed by one task, over k in order (one FMA chain per
// reduction block of kKC, blocks added in order), whatever the thread count, the task split
// or the orientation; so results are bitwise repeatable and independent of OMP_NUM_THREADS
// (they differ between SIMD paths by rounding).
//
// SIMD paths as in conv.cpp: AVX-512 (8x32 tile), AVX2+FMA (6x16), portable, chosen per call.

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <utility>
#include <vector>

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#endif

#ifdef _OPENMP
#include <omp.h>
#endif

#include "common.h"
#include "cpu_features.h"

namespace py = pybind11;

namespace tensorlite {
namespace {

// Below this many flops (2 M N K) per thread, fewer threads: waking a thread costs more than it
// saves.  Measured (benchmarks/bench_gemm.py, AVX-512, medians): at 0.66 MFLOP 2 threads won
// little or lost (128x256x10: 12 vs 15 us, 128x10x256: 11 vs 8 us); from 4 MFLOP (128x64x256)
// they win clearly (24 vs 41 us).  So 2 threads from 1 MFLOP.
constexpr i64 kMinFlopsPerThread = i64{1} << 19;

// Per-thread scratch (OpenMP keeps its pool threads alive, so these persist between calls).
struct ThreadScratch {
  Buffer apack, bpack, tile;
};

ThreadScratch& thread_scratch() {
  thread_local ThreadScratch scratch;
  return scratch;
}

// What gemm_f32.h's gemm_run needs to compile (it is not used here: see make_grid for why).
inline Buffer& shared_buffer(int) {
  thread_local Buffer buffer;
  return buffer;
}
struct GemmSplit {
  std::vector<i64> m_cut, n_cut, k_cut;
};

// A strided matrix: element (i, j) at p[i rs + j cs] (strides in elements).
struct StridedMat {
  const float* p;
  i64 rs, cs;
};

struct GemmProblem {
  i64 m, n, k;
  StridedMat a, b;
  float* c;
  i64 rsc, csc;
};

// Tasks: m_pieces row chunks x n_pieces column chunks (of whole tiles); see make_grid.
struct GemmGrid {
  i64 m_pieces, n_pieces;
};

}  // namespace

// ------------------------------------------------------------------------------------------
// The compiled paths: gemm_f32.h + gemm_driver.h once per ISA (see conv.cpp).
// ------------------------------------------------------------------------------------------
namespace {

using GemmFn = void (*)(GemmProblem, int);

#define TL_PATH_HEADER "gemm_path.h"
#include "simd_paths.inc"

std::pair<GemmFn, const char*> select_gemm() {
#if TL_HAVE_SIMD_PATHS && TL_VECTOR_TYPES
  switch (kernel_path(kCompiledPaths)) {
    case CpuPath::avx512:
      return {avx512::gemm_f32_run, "avx512"};
    case CpuPath::avx2:
      return {avx2::gemm_f32_run, "avx2"};
    default:
      break;
  }
#endif
  return {portable::gemm_f32_run, "portable"};
}

// ------------------------------------------------------------------------------------------
// The Python entry point.
// ------------------------------------------------------------------------------------------
using FloatArray = py::array_t<float, py::array::c_style>;

std::string shape_str(const py::array& a) {
  std::string out = "(";
  for (py::ssize_t i = 0; i < a.ndim(); ++i) out += (i ? ", " : "") + std::to_string(a.shape(i));
  return out + (a.ndim() == 1 ? ",)" : ")");
}

// A float32 2-d operand: as is when its strides are whole floats, else a C-contiguous copy.
py::array operand(const char* name, const py::array& x) {
  if (!py::isinstance<py::array_t<float>>(x))
    throw py::type_error(std::string("gemm_f32: expected float32 arrays (native byte order), got ") + name +
                         " of dtype " + std::string(py::str(x.dtype())));
  if (x.ndim() != 2)
    throw py::value_error(std::string("gemm_f32: expected ") + name + " to be 2-d, got shape " + shape_str(x));
  const bool whole = x.strides(0) % 4 == 0 && x.strides(1) % 4 == 0 &&
                     reinterpret_cast<std::uintptr_t>(x.data()) % alignof(float) == 0;
  if (whole) return x;
  FloatArray copy = FloatArray::ensure(x);
  if (!copy) throw py::error_already_set();
  return std::move(copy);
}

// Element strides of a 2-d float array; a dimension of extent 1 gets stride 1 when the other's
// is not, so a (1, K) row or (M, 1) column takes the contiguous packing paths.
std::pair<i64, i64> strides_of(const py::array& x) {
  i64 rs = x.strides(0) / 4, cs = x.strides(1) / 4;
  if (x.shape(0) == 1 && cs != 1) rs = 1;
  if (x.shape(1) == 1 && rs != 1) cs = 1;
  return {rs, cs};
}

py::array gemm_f32(const py::array& a_in, const py::array& b_in, const py::object& out_in) {
  py::array a = operand("a", a_in), b = operand("b", b_in);
  const i64 m = a.shape(0), k = a.shape(1), n = b.shape(1);
  if (b.shape(0) != k)
    throw py::value_error("gemm_f32: a " + shape_str(a) + " and b " + shape_str(b) +
                          " do not fit (M, K) @ (K, N)");
  py::array c;
  if (out_in.is_none()) {
    c = FloatArray(std::vector<py::ssize_t>{m, n});
  } else {
    c = py::reinterpret_borrow<py::array>(out_in);
    if (!py::isinstance<py::array_t<float>>(out_in) || c.ndim() != 2 || c.shape(0) != m || c.shape(1) != n)
      throw py::value_error("gemm_f32: out must be a float32 array of shape (" + std::to_string(m) + ", " +
                            std::to_string(n) + "), got " + std::string(py::str(c.dtype())) + " " + shape_str(c));
    if (c.strides(0) % 4 || c.strides(1) % 4)
      throw py::value_error("gemm_f32: out must have strides of whole float32 elements");
  }
  if (m == 0 || n == 0) return c;
  float* cp = static_cast<float*>(c.mutable_data());  // raises for a read-only out
  const auto [rsc, csc] = strides_of(c);
  if (k == 0) {
    for (i64 i = 0; i < m; ++i)
      for (i64 j = 0; j < n; ++j) cp[i * rsc + j * csc] = 0.0f;
    return c;
  }
  const auto [rsa, csa] = strides_of(a);
  const auto [rsb, csb] = strides_of(b);
  GemmProblem prob{m, n, k, {static_cast<const float*>(a.data()), rsa, csa},
                   {static_cast<const float*>(b.data()), rsb, csb}, cp, rsc, csc};
  const double flops = 2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
  const int threads = static_cast<int>(
      std::max<double>(1.0, std::min<double>(max_threads(), flops / static_cast<double>(kMinFlopsPerThread))));
  {
    py::gil_scoped_release release;
    select_gemm().first(prob, threads);
  }
  return c;
}

void release_workspace() {
#pragma omp parallel
  {
    ThreadScratch& s = thread_scratch();
    s.apack.release(), s.bpack.release(), s.tile.release();
  }
}

}  // namespace

void register_gemm(py::module_& m) {
  declare_kernel_paths("gemm_f32", kCompiledPaths);
  m.def("gemm_f32", &gemm_f32, py::arg("a"), py::arg("b"), py::arg("out") = py::none(),
        "C = A @ B for float32 2-d arrays of any strides; into `out` (float32, (M, N), any strides, not "
        "overlapping A or B) when given (contract: tensorlite.kernels.gemm).");
  m.def("gemm_f32_path", []() { return std::string(select_gemm().second); },
        "The SIMD path gemm_f32 takes now ('avx512', 'avx2' or 'portable').");
  m.def("gemm_f32_release_workspace", &release_workspace,
        "Free gemm_f32's reusable workspaces (this thread's and the OpenMP pool's).");
}

}  // namespace tensorlite
