// 2-d convolution on the CPU, float32, NCHW: forward, input gradient, weight gradient
// (contract and NumPy reference: kernels/conv.py; Python wrappers: kernels/conv_native.py).
//
// Method: implicit-GEMM convolution on a packed, register-tiled SGEMM (csrc/gemm_f32.h).
//   forward          per group  y_g = w_g (Og x Kg) . im2col(x)_g (Kg x N Ho Wo) + bias
//   input gradient   stride 1:  the convolution of grad_out with the flipped, channel-swapped
//                               kernel (padding d (k - 1) - p): the forward GEMM again;
//                    stride > 1: cols = w_g^T . grad_out_g, scattered tile by tile (col2im)
//   weight gradient  per group  gw_g = grad_out_g (Og x N Ho Wo) . im2col(x)_g^T, the long
//                               reduction cut into chunks when gw is small (early layers)
//   depthwise        (groups = C, one input channel per group) direct loops over each padded
//                    plane (csrc/conv_depthwise.h): a GEMM with one row per group would waste
//                    the register tile.
// The column matrix im2col(x) is never built whole: the GEMM's B packer gathers a
// (384 x 384) block of it at a time from a zero-bordered copy of x, straight into the
// micro-kernel's panel layout, so the gather doubles as the packing copy (a 1x1, stride-1,
// unpadded convolution thereby is a plain GEMM on x: its "gather" is a contiguous copy).
//
// Why im2col-style packing + SGEMM rather than a direct convolution: on this project's
// 2-core Zen 4 the 8x32 AVX-512 micro-kernel runs at ~97% of the FMA peak on packed operands
// (gemm_f32.h); the packing is one strided copy per element of the column block, amortised
// over the Og rows of the weight (>= 64 on the ResNet layers): whole calls measured 80-90% of
// the peak per core (thread CPU time) on the ResNet-18 3x3 layers, packing 5-12% of it.  One
// code path covers stride, padding, dilation and groups, and a forward + backward over the
// ResNet-18 layer set ran at 0.98x PyTorch's (oneDNN's) speed in benchmarks/bench_conv.py
// (batch 32, 32x32 inputs, 2 threads).
//
// SIMD paths (csrc/cpu_features.h): AVX-512 (8x32 tile), AVX2+FMA (6x16), portable (16-byte
// vectors: SSE2 on x86-64; scalars where the compiler has no vector types), chosen per call
// by kernel_path(); TENSORLITE_CPU_PATH / _C.set_cpu_path force a lower one.
//
// Threads: OpenMP (omp_get_max_threads(): OMP_NUM_THREADS), about four tasks per thread over
// disjoint blocks of the output, scheduled dynamically; results are bitwise identical for any
// thread count (gemm_f32.h).  Workspaces (packed operands, padded copies) are per thread and
// reused across calls: fresh large buffers would cost a page fault per 4 KB on every call.

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
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

// A run of consecutive output positions (one im2col row segment): positions pos .. pos+len-1
// of a block, image n, output row oh, columns ow .. ow+len-1; base: the packer's source offset.
struct Run {
  i64 pos, len, n, oh, ow, base;
};

// Per-thread scratch of the packers and writers (OpenMP keeps its pool threads alive, so
// these persist between calls).
struct ThreadScratch {
  Buffer bpack, tile, tmp;
  std::vector<Run> runs, runs2;
  std::vector<i64> panel_first, src_off, dst_off;
  i64 block_n0 = 0;
};

ThreadScratch& thread_scratch() {
  thread_local ThreadScratch scratch;
  return scratch;
}

// Buffers owned by the calling thread and shared with its OpenMP team during one call:
// 0 packed A, 1 padded input, 2 padded input gradient, 3 transformed weights.
Buffer& shared_buffer(int slot) {
  thread_local Buffer buffers[4];
  return buffers[slot];
}

// C is cut into reduction chunks k_cut (their results are partial sums: see gemm_run) x row
// chunks m_cut x column chunks n_cut; one task per combination.
struct GemmSplit {
  std::vector<i64> m_cut, n_cut, k_cut;
};

// [0, extent) cut into `pieces` runs of whole `unit`s, as even as can be.
std::vector<i64> cut_even(i64 extent, i64 unit, i64 pieces) {
  const i64 units = (extent + unit - 1) / unit;
  pieces = std::max<i64>(1, std::min(pieces, units));
  std::vector<i64> cut(pieces + 1);
  for (i64 t = 0; t <= pieces; ++t) cut[t] = std::min(extent, units * t / pieces * unit);
  return cut;
}

// About four tasks per thread, for dynamic scheduling: the columns are cut into whole
// `n_unit`s of at least `n_min` columns (every task then packs its own part of B, never a
// copy of another's), and only when that gives fewer chunks than threads are the rows cut
// too, into whole `m_unit`s.  The reduction (length k) is cut into `k_pieces` chunks of whole
// kKC blocks (GemmOps then write partial sums).  Only k_pieces changes the arithmetic.
GemmSplit make_split(i64 m, i64 n, i64 k, i64 m_unit, i64 n_unit, i64 n_min, i64 k_pieces, i64 kc_block) {
  const i64 threads = max_threads();
  GemmSplit s;
  s.k_cut = cut_even(k, kc_block, k_pieces);
  const i64 kchunks = static_cast<i64>(s.k_cut.size()) - 1;
  const i64 want = threads > 1 ? (4 * threads + kchunks - 1) / kchunks : 1;  // (m, n) chunks wanted
  const i64 n_units = (n + n_unit - 1) / n_unit;
  const i64 n_max = std::max<i64>(1, std::min(n_units, n / std::max(n_min, n_unit)));
  const i64 n_pieces = std::min(want, n_max);
  s.n_cut = cut_even(n, n_unit, n_pieces);
  const i64 m_pieces = n_pieces * kchunks >= threads ? 1 : (want + n_pieces - 1) / n_pieces;
  s.m_cut = cut_even(m, m_unit, m_pieces);
  return s;
}

// The geometry of one convolution (the contract's notation).
struct ConvGeom {
  i64 n = 0, c = 0, h = 0, w = 0;  // input (N, C, H, W)
  i64 o = 0, kh = 0, kw = 0;       // weight (O, C / groups, kh, kw)
  i64 sh = 1, sw = 1, ph = 0, pw = 0, dh = 1, dw = 1, groups = 1;
  i64 ho = 0, wo = 0;  // output (N, O, Ho, Wo)
  i64 cg() const { return c / groups; }
  i64 og() const { return o / groups; }
  i64 kg() const { return cg() * kh * kw; }
  bool is_depthwise() const { return cg() == 1 && groups == c && c > 1; }
};

}  // namespace

// ------------------------------------------------------------------------------------------
// The compiled paths: gemm_f32.h + conv_kernels.h once per ISA (see attention.cpp).
// ------------------------------------------------------------------------------------------
namespace {

struct ConvKernels {
  const char* name;
  void (*forward)(const ConvGeom&, const float*, const float*, const float*, float*);
  void (*backward_input)(const ConvGeom&, const float*, const float*, float*);
  void (*backward_weight)(const ConvGeom&, const float*, const float*, float*);
};

#define TL_PATH_HEADER "conv_path.h"
#include "simd_paths.inc"

ConvKernels select_kernels() {
#if TL_HAVE_SIMD_PATHS && TL_VECTOR_TYPES
  switch (kernel_path(kCompiledPaths)) {
    case CpuPath::avx512:
      return avx512::kernels("avx512");
    case CpuPath::avx2:
      return avx2::kernels("avx2");
    default:
      break;
  }
#endif
  return portable::kernels("portable");
}

// ------------------------------------------------------------------------------------------
// Argument checks (every message names the kernel) and the Python entry points.
// ------------------------------------------------------------------------------------------
using FloatArray = py::array_t<float, py::array::c_style>;

std::string shape_str(const std::vector<i64>& s) {
  std::string out = "(";
  for (std::size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + (s.size() == 1 ? ",)" : ")");
}

std::vector<i64> shape_of(const py::array& a) { return std::vector<i64>(a.shape(), a.shape() + a.ndim()); }

[[noreturn]] void fail(const std::string& kernel, const std::string& what) { throw py::value_error(kernel + ": " + what); }

// A C-contiguous float32 view of `a` (a copy only when it is strided); TypeError for another dtype.
FloatArray as_float32(const std::string& kernel, const char* name, const py::array& a, int ndim) {
  if (!py::isinstance<py::array_t<float>>(a))
    throw py::type_error(kernel + ": native kernel takes float32 arrays (native byte order), got " + name + " of dtype " +
                         std::string(py::str(a.dtype())));
  if (ndim >= 0 && a.ndim() != ndim)
    fail(kernel, std::string("expected ") + name + " to be " + std::to_string(ndim) + "-d, got shape " +
                     shape_str(shape_of(a)));
  FloatArray out = FloatArray::ensure(a);
  if (!out) throw py::error_already_set();
  return out;
}

std::vector<i64> pair_arg(const std::string& kernel, const char* name, const std::vector<i64>& v, i64 min) {
  if (v.size() != 2) fail(kernel, std::string(name) + " must have 2 entries, got " + std::to_string(v.size()));
  for (i64 e : v)
    if (e < min)
      fail(kernel, std::string(name) + " must be >= " + std::to_string(min) + ", got " + shape_str(v));
  return v;
}

// Fills the geometry from x's shape (N, C, H, W), the weight's (O, C/G, kh, kw) and the
// arguments, checking that they fit together.
ConvGeom make_geom(const std::string& kernel, const std::vector<i64>& xs, const std::vector<i64>& ws,
                   const std::vector<i64>& stride, const std::vector<i64>& padding, const std::vector<i64>& dilation,
                   i64 groups) {
  if (xs.size() != 4 || ws.size() != 4)
    fail(kernel, "expected 4-d input (N, C, H, W) and weight (O, C/groups, kh, kw), got " + shape_str(xs) + " and " +
                     shape_str(ws));
  const auto s = pair_arg(kernel, "stride", stride, 1);
  const auto p = pair_arg(kernel, "padding", padding, 0);
  const auto d = pair_arg(kernel, "dilation", dilation, 1);
  if (groups < 1) fail(kernel, "groups must be >= 1, got " + std::to_string(groups));
  ConvGeom g;
  g.n = xs[0], g.c = xs[1], g.h = xs[2], g.w = xs[3];
  g.o = ws[0], g.kh = ws[2], g.kw = ws[3];
  g.sh = s[0], g.sw = s[1], g.ph = p[0], g.pw = p[1], g.dh = d[0], g.dw = d[1], g.groups = groups;
  if (g.c % groups || g.o % groups || ws[1] * groups != g.c)
    fail(kernel, "input " + shape_str(xs) + " and weight " + shape_str(ws) + " do not fit groups=" +
                     std::to_string(groups) + " (expected C and O divisible by groups and weight.shape[1] = C / groups)");
  if (g.kh < 1 || g.kw < 1) fail(kernel, "kernel size must be >= 1, got weight " + shape_str(ws));
  g.ho = (g.h + 2 * g.ph - g.dh * (g.kh - 1) - 1) / g.sh + 1;
  g.wo = (g.w + 2 * g.pw - g.dw * (g.kw - 1) - 1) / g.sw + 1;
  if (g.h + 2 * g.ph - g.dh * (g.kh - 1) < 1 || g.w + 2 * g.pw - g.dw * (g.kw - 1) < 1)
    fail(kernel, "the dilated kernel (" + std::to_string(g.dh * (g.kh - 1) + 1) + ", " +
                     std::to_string(g.dw * (g.kw - 1) + 1) + ") is larger than the padded input (" +
                     std::to_string(g.h + 2 * g.ph) + ", " + std::to_string(g.w + 2 * g.pw) + ")");
  return g;
}

void check_grad_out(const std::string& kernel, const ConvGeom& g, const std::vector<i64>& gs) {
  const std::vector<i64> want{g.n, g.o, g.ho, g.wo};
  if (gs != want) fail(kernel, "grad_out has shape " + shape_str(gs) + ", expected " + shape_str(want));
}

py::array conv2d_forward(const py::array& x_in, const py::array& w_in, const py::object& bias_in,
                         const std::vector<i64>& stride, const std::vector<i64>& padding,
                         const std::vector<i64>& dilation, i64 groups) {
  const std::string kernel = "conv2d_forward";
  FloatArray x = as_float32(kernel, "x", x_in, 4), w = as_float32(kernel, "w", w_in, 4);
  const ConvGeom g = make_geom(kernel, shape_of(x), shape_of(w), stride, padding, dilation, groups);
  FloatArray bias;
  if (!bias_in.is_none()) {
    bias = as_float32(kernel, "bias", py::array(bias_in), 1);
    if (bias.shape(0) != g.o) fail(kernel, "bias has shape " + shape_str(shape_of(bias)) + ", expected (" + std::to_string(g.o) + ",)");
  }
  FloatArray y(std::vector<py::ssize_t>{g.n, g.o, g.ho, g.wo});
  const float* bp = bias_in.is_none() ? nullptr : bias.data();
  const float *xp = x.data(), *wp = w.data();
  float* yp = y.mutable_data();
  {
    py::gil_scoped_release release;
    select_kernels().forward(g, xp, wp, bp, yp);
  }
  return std::move(y);
}

py::array conv2d_backward_input(const py::array& g_in, const py::array& w_in, const std::vector<i64>& input_shape,
                                const std::vector<i64>& stride, const std::vector<i64>& padding,
                                const std::vector<i64>& dilation, i64 groups) {
  const std::string kernel = "conv2d_backward_input";
  FloatArray go = as_float32(kernel, "grad_out", g_in, 4), w = as_float32(kernel, "w", w_in, 4);
  if (input_shape.size() != 4) fail(kernel, "input_shape must have 4 entries, got " + shape_str(input_shape));
  for (i64 e : input_shape)
    if (e < 0) fail(kernel, "input_shape has a negative entry: " + shape_str(input_shape));
  const ConvGeom g = make_geom(kernel, input_shape, shape_of(w), stride, padding, dilation, groups);
  check_grad_out(kernel, g, shape_of(go));
  FloatArray gx(std::vector<py::ssize_t>(input_shape.begin(), input_shape.end()));
  const float *gp = go.data(), *wp = w.data();
  float* out = gx.mutable_data();
  {
    py::gil_scoped_release release;
    select_kernels().backward_input(g, gp, wp, out);
  }
  return std::move(gx);
}

py::array conv2d_backward_weight(const py::array& x_in, const py::array& g_in, const std::vector<i64>& weight_shape,
                                 const std::vector<i64>& stride, const std::vector<i64>& padding,
                                 const std::vector<i64>& dilation, i64 groups) {
  const std::string kernel = "conv2d_backward_weight";
  FloatArray x = as_float32(kernel, "x", x_in, 4), go = as_float32(kernel, "grad_out", g_in, 4);
  if (weight_shape.size() != 4) fail(kernel, "weight_shape must have 4 entries, got " + shape_str(weight_shape));
  for (i64 e : weight_shape)
    if (e < 0) fail(kernel, "weight_shape has a negative entry: " + shape_str(weight_shape));
  const ConvGeom g = make_geom(kernel, shape_of(x), weight_shape, stride, padding, dilation, groups);
  check_grad_out(kernel, g, shape_of(go));
  FloatArray gw(std::vector<py::ssize_t>(weight_shape.begin(), weight_shape.end()));
  const float *xp = x.data(), *gp = go.data();
  float* out = gw.mutable_data();
  {
    py::gil_scoped_release release;
    select_kernels().backward_weight(g, xp, gp, out);
  }
  return std::move(gw);
}

void release_workspace() {
  // The calling thread's buffers and those of the OpenMP pool threads.
  for (int i = 0; i < 4; ++i) shared_buffer(i).release();
#pragma omp parallel
  {
    ThreadScratch& s = thread_scratch();
    s.bpack.release(), s.tile.release(), s.tmp.release();
    s.runs.clear(), s.runs2.clear();
    s.runs.shrink_to_fit(), s.runs2.shrink_to_fit();
  }
}

}  // namespace

void register_conv(py::module_& m) {
  declare_kernel_paths("conv2d", kCompiledPaths);
  m.def("conv2d_forward", &conv2d_forward, py::arg("x"), py::arg("w"), py::arg("bias"), py::arg("stride"),
        py::arg("padding"), py::arg("dilation"), py::arg("groups"),
        "y = conv2d(x, w) + bias, float32 NCHW (contract: tensorlite.kernels.conv).");
  m.def("conv2d_backward_input", &conv2d_backward_input, py::arg("grad_out"), py::arg("w"), py::arg("input_shape"),
        py::arg("stride"), py::arg("padding"), py::arg("dilation"), py::arg("groups"),
        "The input gradient of conv2d (a transposed convolution), float32 NCHW.");
  m.def("conv2d_backward_weight", &conv2d_backward_weight, py::arg("x"), py::arg("grad_out"), py::arg("weight_shape"),
        py::arg("stride"), py::arg("padding"), py::arg("dilation"), py::arg("groups"),
        "The weight gradient of conv2d, float32 NCHW.");
  m.def("conv2d_path", []() { return std::string(select_kernels().name); },
        "The SIMD path the conv2d kernels take now ('avx512', 'avx2' or 'portable').");
  m.def("conv2d_release_workspace", &release_workspace,
        "Free the conv2d kernels' reusable workspaces (this thread's and the OpenMP pool's).");
}

}  // namespace tensorlite
