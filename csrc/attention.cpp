// Fused scaled-dot-product attention on the CPU: the FlashAttention-2 forward and backward.
//
// The contract (shapes, masks, entirely masked rows, the reference formulas) is in
// kernels/attention.py; kernels/attention_native.py flattens the batch dims, makes the
// inputs C-contiguous, turns a bool mask into an additive 0/-inf one and describes how the
// (possibly broadcast) mask is addressed.  Here, for each of the BH = prod(batch) heads:
//
//   q (Lq, D), k (Lk, D), v (Lk, Dv);  S = scale q k^T + mask (and -inf where `causal` hides
//   key j from query i: j > i);  P = softmax_rows(S);  out = P v;  lse = logsumexp_rows(S)
//
// Forward (FlashAttention-2, Algorithm 1).  One task per (head, block Q_i of Br query rows),
// run in parallel.  The task streams over key/value blocks K_j, V_j of Bc rows:
//   S_ij = Q_i K_j^T scale (+ mask)            a Br x Bc tile, never the Lq x Lk matrix
//   m_new = max(m, rowmax S_ij)                online softmax: running max m, running sum l
//   P_ij = exp(S_ij - m_new)
//   l = exp(m - m_new) l + rowsum P_ij
//   O_i = exp(m - m_new) O_i + P_ij V_j
// and ends with out_i = O_i / l, lse_i = m + log l.  With `causal`, blocks whose every key
// lies after every query of the block are skipped (never computed).
//
// Backward (FlashAttention-2, Algorithm 2).  One task per (head, key block K_j, V_j), so dK_j
// and dV_j are accumulated by a single task, without races; it streams over query blocks:
//   P_ij  = exp(S_ij - lse_i)                  recomputed from the saved logsumexp
//   dV_j += P_ij^T dO_i
//   dP_ij = dO_i V_j^T
//   dS_ij = P_ij * (dP_ij - D_i)               D_i = rowsum(dO_i * O_i), computed once per row
//   dK_j += dS_ij^T Q_i scale
//   dQ_i += dS_ij K_j scale                    (dQ_i is shared by all key blocks: see below)
// When there are many heads a task owns a whole head; otherwise each head's key blocks are
// dealt round-robin to up to 4 `chunks` (tasks), so every thread gets several tasks.  Each
// chunk adds into its own dQ accumulator (O(Lq D)); they are summed in a fixed order.
// Either way the result does not depend on the thread schedule: runs are bitwise repeatable.
//
// The scale is folded into the packed K^T.  Exponentials are exp(S - shift) computed as
// exp2((S - shift) log2 e): the shift (row max, or lse in the backward) is subtracted in
// natural units first, as in the reference, so large scores lose no more accuracy than there.
//
// Memory: O((Lq + Lk) (D + Dv)) per head -- packed copies of the operands (zero-padded to the
// block and vector sizes, so the inner loops have no remainders) and per-thread tile
// workspaces (reused across calls).  The only Lq x Lk buffer is dS for the gradient of a float
// mask, written only when the caller asks for it (need_dmask).
//
// SIMD: the small GEMMs and the softmax loops (attention_kernels.h) are written once with
// GCC/Clang vector types and compiled three times: AVX-512 (64-byte vectors), AVX2+FMA (32)
// and portable (16 bytes: SSE2 on x86-64, NEON on aarch64; scalars with other compilers).
// The path is chosen per call by cpu_features.h's kernel_path() (TENSORLITE_CPU_PATH and
// _C.set_cpu_path force a lower one).

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <string>
#include <type_traits>

#ifdef _OPENMP
#include <omp.h>
#endif
#if defined(_MSC_VER)
#include <malloc.h>  // _aligned_malloc
#endif

#include "common.h"
#include "cpu_features.h"

namespace py = pybind11;

namespace tensorlite {
namespace {

// Block sizes (rows of Q_i and of K_j/V_j).  Bc must be a multiple of every vector length
// (16 floats); Br and Bc must be multiples of the register tile's rows (kMR).
constexpr i64 kBr = 64;
constexpr i64 kBc = 64;
constexpr i64 kMR = 4;  // rows of the GEMM register tile

constexpr double kLog2e = 1.4426950408889634074;
constexpr double kLn2 = 0.69314718055994530942;

constexpr i64 round_up(i64 x, i64 m) { return (x + m - 1) / m * m; }

// ------------------------------------------------------------------------------------------
// Problem description, shared by the three paths.
// ------------------------------------------------------------------------------------------

// The additive mask (never materialised at full size): element (b, i, j) of the mask broadcast
// to (BH, Lq, Lk) is data[offsets[b] + i rs + j cs] (rs, cs in elements; 0 for broadcast dims).
template <typename T>
struct MaskRef {
  const T* data = nullptr;
  const i64* offsets = nullptr;
  i64 rs = 0, cs = 0;
};

template <typename T>
struct Problem {
  i64 bh = 0, lq = 0, lk = 0, d = 0, dv = 0;
  T scale = 1;
  bool causal = false;
  MaskRef<T> mask;
  // Padded sizes of the path that runs (multiples of Br / Bc rows and of its vector length).
  i64 lqp = 0, lkp = 0, dp = 0, dvp = 0;
};

template <typename T>
struct ForwardArgs {
  Problem<T> p;
  const T *q = nullptr, *k = nullptr, *v = nullptr;  // (BH, Lq, D), (BH, Lk, D), (BH, Lk, Dv)
  T *out = nullptr, *lse = nullptr;                  // (BH, Lq, Dv), (BH, Lq)
  T *kt = nullptr, *vp = nullptr;                    // packed per head: K^T scale, D x Bc panels; V, Lkp x Dvp
};

template <typename T>
struct BackwardArgs {
  Problem<T> p;
  const T *dout = nullptr, *q = nullptr, *k = nullptr, *v = nullptr, *out = nullptr, *lse = nullptr;
  T *dq = nullptr, *dk = nullptr, *dv = nullptr;
  T* dmask = nullptr;  // dense (BH, Lq, Lk) dS, or nullptr
  // packed per head: Q (Lqp, Dp), dO (Lqp, Dvp), D = rowsum(dO out) (Lqp), lse (+inf: P = 0) (Lqp)
  T *qp = nullptr, *dop = nullptr, *drow = nullptr, *lse_shift = nullptr;
  T* dq_parts = nullptr;  // chunks x BH x (Lqp, Dp) dQ accumulators
  i64 chunks = 1;
};

// 64-byte aligned allocation (a cache line; the vector loads themselves need no alignment).
void* aligned_malloc(std::size_t bytes) {
  bytes = static_cast<std::size_t>(round_up(static_cast<i64>(bytes), 64));
#if defined(_MSC_VER)
  return _aligned_malloc(bytes, 64);
#else
  return std::aligned_alloc(64, bytes);
#endif
}

void aligned_free(void* ptr) {
#if defined(_MSC_VER)
  _aligned_free(ptr);
#else
  std::free(ptr);
#endif
}

// Per-thread tile workspace, grown on demand and kept for the next call.
template <typename T>
T* thread_workspace(i64 count) {
  struct Buffer {
    T* ptr = nullptr;
    i64 size = 0;
    ~Buffer() { aligned_free(ptr); }
  };
  thread_local Buffer buffer;
  if (buffer.size < count) {
    aligned_free(buffer.ptr);
    buffer.ptr = static_cast<T*>(aligned_malloc(static_cast<std::size_t>(count) * sizeof(T)));
    buffer.size = buffer.ptr ? count : 0;
  }
  return buffer.ptr;
}


// ------------------------------------------------------------------------------------------
// The three compiled paths: attention_kernels.h (templates) once per ISA, by simd_paths.inc.
// ------------------------------------------------------------------------------------------
template <typename T>
struct PathKernels {
  int lanes;  // vector length in elements: the padding of D and Dv
  void (*forward_pack)(const ForwardArgs<T>&, i64);
  bool (*forward_block)(const ForwardArgs<T>&, i64, i64);
  void (*backward_pack)(const BackwardArgs<T>&, i64);
  bool (*backward_blocks)(const BackwardArgs<T>&, i64, i64);
};

#define TL_PATH_HEADER "attention_kernels.h"
#include "simd_paths.inc"

template <typename T>
PathKernels<T> select_kernels() {
#if TL_HAVE_SIMD_PATHS && TL_VECTOR_TYPES
  switch (kernel_path(kCompiledPaths)) {
    case CpuPath::avx512:
      return avx512::kernels<T>();
    case CpuPath::avx2:
      return avx2::kernels<T>();
    default:
      break;
  }
#endif
  return portable::kernels<T>();
}

// ------------------------------------------------------------------------------------------
// Drivers: allocate the packed operands, run the tasks in parallel.
// ------------------------------------------------------------------------------------------
template <typename T>
struct AlignedArray {
  T* ptr = nullptr;
  explicit AlignedArray(i64 count) {
    if (count > 0) {
      ptr = static_cast<T*>(aligned_malloc(static_cast<std::size_t>(count) * sizeof(T)));
      if (ptr == nullptr) throw std::bad_alloc();
    }
  }
  ~AlignedArray() { aligned_free(ptr); }
  AlignedArray(const AlignedArray&) = delete;
  AlignedArray& operator=(const AlignedArray&) = delete;
};

// Below about this many multiply-adds (some 10-20 us of work) a call runs on one thread: an
// OpenMP fork/join costs microseconds on an idle machine and milliseconds on a busy one.
constexpr double kParallelWork = 1 << 20;

template <typename T>
bool worth_parallel(const Problem<T>& p) {
  return double(p.bh) * double(p.lq) * double(p.lk) * double(p.d + p.dv) >= kParallelWork;
}

template <typename T>
void pad_sizes(Problem<T>& p, int lanes) {
  p.lqp = round_up(p.lq, kBr);
  p.lkp = round_up(p.lk, kBc);
  p.dp = round_up(p.d, lanes);
  p.dvp = round_up(p.dv, lanes);
}

template <typename T>
void run_forward(ForwardArgs<T>& a) {
  const PathKernels<T> kern = select_kernels<T>();
  pad_sizes(a.p, kern.lanes);
  const Problem<T>& p = a.p;
  AlignedArray<T> kt(p.bh * p.d * p.lkp), vp(p.bh * p.lkp * p.dvp);
  a.kt = kt.ptr;
  a.vp = vp.ptr;
  const i64 nqb = (p.lq + kBr - 1) / kBr;
  const i64 tasks = p.bh * nqb;
  std::atomic<bool> out_of_memory{false};
  const ForwardArgs<T>& args = a;
#pragma omp parallel if (worth_parallel(p))
  {
#pragma omp for schedule(static)
    for (i64 b = 0; b < p.bh; ++b) kern.forward_pack(args, b);
    // Largest causal blocks (last query blocks) first, so the dynamic schedule ends balanced.
#pragma omp for schedule(dynamic, 1)
    for (i64 t = 0; t < tasks; ++t) {
      if (!kern.forward_block(args, t / nqb, nqb - 1 - t % nqb)) out_of_memory = true;
    }
  }
  if (out_of_memory) throw std::bad_alloc();
}

constexpr i64 kTasksPerThread = 8;
constexpr i64 kMaxChunks = 4;

template <typename T>
void run_backward(BackwardArgs<T>& a) {
  const PathKernels<T> kern = select_kernels<T>();
  pad_sizes(a.p, kern.lanes);
  const Problem<T>& p = a.p;
  const i64 nkb = (p.lk + kBc - 1) / kBc;
  const i64 threads = worth_parallel(p) ? max_threads() : 1;
  // Aim at kTasksPerThread tasks per thread, so the dynamic schedule can even out threads
  // that run at different speeds: split each head's key blocks into `chunks` tasks when there
  // are too few heads, at most kMaxChunks (each chunk has its own dQ accumulator).
  const i64 chunks_wanted = (kTasksPerThread * threads + p.bh - 1) / p.bh;
  a.chunks = std::max<i64>(1, std::min({chunks_wanted, kMaxChunks, nkb}));
  AlignedArray<T> qp(p.bh * p.lqp * p.dp), dop(p.bh * p.lqp * p.dvp), drow(p.bh * p.lqp), lse_shift(p.bh * p.lqp),
      parts(a.chunks * p.bh * p.lqp * p.dp);
  a.qp = qp.ptr;
  a.dop = dop.ptr;
  a.drow = drow.ptr;
  a.lse_shift = lse_shift.ptr;
  a.dq_parts = parts.ptr;
  const i64 tasks = p.bh * a.chunks;
  std::atomic<bool> out_of_memory{false};
  const BackwardArgs<T>& args = a;
#pragma omp parallel if (worth_parallel(p))
  {
#pragma omp for schedule(static)
    for (i64 b = 0; b < p.bh; ++b) kern.backward_pack(args, b);
#pragma omp for schedule(dynamic, 1)
    for (i64 t = 0; t < tasks; ++t) {
      if (!kern.backward_blocks(args, t / args.chunks, t % args.chunks)) out_of_memory = true;
    }
    // dQ = scale * (sum of the chunks' accumulators, in chunk order)
#pragma omp for schedule(static)
    for (i64 row = 0; row < p.bh * p.lq; ++row) {
      const i64 b = row / p.lq, i = row % p.lq;
      T* dq = args.dq + row * p.d;
      for (i64 x = 0; x < p.d; ++x) {
        T sum = 0;
        for (i64 c = 0; c < args.chunks; ++c) sum += args.dq_parts[((c * p.bh + b) * p.lqp + i) * p.dp + x];
        dq[x] = sum * p.scale;
      }
    }
  }
  if (out_of_memory) throw std::bad_alloc();
}

// ------------------------------------------------------------------------------------------
// Python bindings (called by kernels/attention_native.py, which validates and lays out).
// ------------------------------------------------------------------------------------------
std::string shape_of(const py::array& x) {
  std::string s = "(";
  for (py::ssize_t i = 0; i < x.ndim(); ++i) s += (i ? ", " : "") + std::to_string(x.shape(i));
  return s + (x.ndim() == 1 ? ",)" : ")");
}

template <typename T>
using CArray = py::array_t<T, py::array::c_style | py::array::forcecast>;

template <typename T>
CArray<T> c_array(const py::array& x, const char* kernel, const char* name, int ndim) {
  if (x.ndim() != ndim) {
    throw py::value_error(std::string(kernel) + " (native): expected " + name + " with " + std::to_string(ndim) +
                          " dims, got shape " + shape_of(x));
  }
  auto c = CArray<T>::ensure(x);
  if (!c) throw py::error_already_set();
  return c;
}

template <typename T>
MaskRef<T> mask_ref(const py::object& mask, const py::object& offsets, i64 rs, i64 cs, i64 bh, const char* kernel,
                    py::array_t<i64, py::array::c_style | py::array::forcecast>& offsets_keep) {
  MaskRef<T> m;
  if (mask.is_none()) return m;
  auto arr = py::cast<py::array>(mask);
  if (!py::isinstance<py::array_t<T>>(arr)) {
    throw py::type_error(std::string(kernel) + " (native): the mask must have the inputs' dtype " +
                         std::string(py::str(py::dtype::of<T>())) + ", got " + std::string(py::str(arr.dtype())));
  }
  offsets_keep = py::array_t<i64, py::array::c_style | py::array::forcecast>::ensure(offsets);
  if (!offsets_keep || offsets_keep.ndim() != 1 || offsets_keep.shape(0) != bh) {
    throw py::value_error(std::string(kernel) + " (native): mask_offsets must be an int64 array of " +
                          std::to_string(bh) + " offsets (one per batch element)");
  }
  m.data = static_cast<const T*>(arr.data());
  m.offsets = offsets_keep.data();
  m.rs = rs;
  m.cs = cs;
  return m;
}

template <typename T>
py::tuple forward_typed(const py::array& q_in, const py::array& k_in, const py::array& v_in, const py::object& mask,
                        const py::object& mask_offsets, i64 mask_rs, i64 mask_cs, bool causal, double scale) {
  const char* kernel = "attention_forward";
  auto q = c_array<T>(q_in, kernel, "q", 3), k = c_array<T>(k_in, kernel, "k", 3), v = c_array<T>(v_in, kernel, "v", 3);
  ForwardArgs<T> a;
  Problem<T>& p = a.p;
  p.bh = q.shape(0), p.lq = q.shape(1), p.d = q.shape(2), p.lk = k.shape(1), p.dv = v.shape(2);
  if (k.shape(0) != p.bh || v.shape(0) != p.bh || k.shape(2) != p.d || v.shape(1) != p.lk) {
    throw py::value_error(std::string(kernel) + " (native): shapes q " + shape_of(q) + ", k " + shape_of(k) + ", v " +
                          shape_of(v) + " do not fit (BH, Lq, D), (BH, Lk, D), (BH, Lk, Dv)");
  }
  p.scale = static_cast<T>(scale);
  p.causal = causal;
  py::array_t<i64, py::array::c_style | py::array::forcecast> offsets_keep;
  p.mask = mask_ref<T>(mask, mask_offsets, mask_rs, mask_cs, p.bh, kernel, offsets_keep);
  py::array_t<T> out({p.bh, p.lq, p.dv});
  py::array_t<T> lse({p.bh, p.lq});
  a.q = q.data(), a.k = k.data(), a.v = v.data();
  a.out = out.mutable_data();
  a.lse = lse.mutable_data();
  if (p.bh * p.lq > 0) {
    if (p.lk == 0 || p.d == 0 || p.dv == 0) {
      throw py::value_error(std::string(kernel) + " (native): zero-size Lk, D or Dv is the reference's job");
    }
    py::gil_scoped_release release;
    run_forward(a);
  }
  return py::make_tuple(out, lse);
}

template <typename T>
py::tuple backward_typed(const py::array& dout_in, const py::array& q_in, const py::array& k_in, const py::array& v_in,
                         const py::array& out_in, const py::array& lse_in, const py::object& mask,
                         const py::object& mask_offsets, i64 mask_rs, i64 mask_cs, bool causal, double scale,
                         bool need_dmask) {
  const char* kernel = "attention_backward";
  auto q = c_array<T>(q_in, kernel, "q", 3), k = c_array<T>(k_in, kernel, "k", 3), v = c_array<T>(v_in, kernel, "v", 3);
  auto dout = c_array<T>(dout_in, kernel, "grad_out", 3), out = c_array<T>(out_in, kernel, "out", 3);
  auto lse = c_array<T>(lse_in, kernel, "lse", 2);
  BackwardArgs<T> a;
  Problem<T>& p = a.p;
  p.bh = q.shape(0), p.lq = q.shape(1), p.d = q.shape(2), p.lk = k.shape(1), p.dv = v.shape(2);
  const bool fits = k.shape(0) == p.bh && v.shape(0) == p.bh && k.shape(2) == p.d && v.shape(1) == p.lk &&
                    dout.shape(0) == p.bh && dout.shape(1) == p.lq && dout.shape(2) == p.dv &&
                    out.shape(0) == p.bh && out.shape(1) == p.lq && out.shape(2) == p.dv && lse.shape(0) == p.bh &&
                    lse.shape(1) == p.lq;
  if (!fits) {
    throw py::value_error(std::string(kernel) + " (native): shapes grad_out " + shape_of(dout) + ", q " + shape_of(q) +
                          ", k " + shape_of(k) + ", v " + shape_of(v) + ", out " + shape_of(out) + ", lse " +
                          shape_of(lse) + " do not fit (BH, Lq, Dv), (BH, Lq, D), (BH, Lk, D), (BH, Lk, Dv), "
                          "(BH, Lq, Dv), (BH, Lq)");
  }
  p.scale = static_cast<T>(scale);
  p.causal = causal;
  py::array_t<i64, py::array::c_style | py::array::forcecast> offsets_keep;
  p.mask = mask_ref<T>(mask, mask_offsets, mask_rs, mask_cs, p.bh, kernel, offsets_keep);
  py::array_t<T> dq({p.bh, p.lq, p.d}), dk({p.bh, p.lk, p.d}), dv({p.bh, p.lk, p.dv});
  py::object dmask = py::none();
  if (need_dmask) {
    py::array_t<T> dm({p.bh, p.lq, p.lk});
    std::fill(dm.mutable_data(), dm.mutable_data() + dm.size(), T(0));  // blocks skipped by `causal` stay 0
    a.dmask = dm.mutable_data();
    dmask = dm;
  }
  a.dout = dout.data(), a.q = q.data(), a.k = k.data(), a.v = v.data(), a.out = out.data(), a.lse = lse.data();
  a.dq = dq.mutable_data(), a.dk = dk.mutable_data(), a.dv = dv.mutable_data();
  if (p.bh > 0) {
    if (p.lq == 0 || p.lk == 0 || p.d == 0 || p.dv == 0) {
      throw py::value_error(std::string(kernel) + " (native): zero-size Lq, Lk, D or Dv is the reference's job");
    }
    py::gil_scoped_release release;
    run_backward(a);
  }
  return py::make_tuple(dq, dk, dv, dmask);
}

py::tuple attention_forward(const py::array& q, const py::array& k, const py::array& v, const py::object& mask,
                            const py::object& mask_offsets, i64 mask_rs, i64 mask_cs, bool causal, double scale) {
  if (py::isinstance<py::array_t<float>>(q))
    return forward_typed<float>(q, k, v, mask, mask_offsets, mask_rs, mask_cs, causal, scale);
  if (py::isinstance<py::array_t<double>>(q))
    return forward_typed<double>(q, k, v, mask, mask_offsets, mask_rs, mask_cs, causal, scale);
  throw py::type_error("attention_forward (native): expected float32 or float64 q, k, v, got dtype " +
                       std::string(py::str(q.dtype())));
}

py::tuple attention_backward(const py::array& dout, const py::array& q, const py::array& k, const py::array& v,
                             const py::array& out, const py::array& lse, const py::object& mask,
                             const py::object& mask_offsets, i64 mask_rs, i64 mask_cs, bool causal, double scale,
                             bool need_dmask) {
  if (py::isinstance<py::array_t<float>>(q))
    return backward_typed<float>(dout, q, k, v, out, lse, mask, mask_offsets, mask_rs, mask_cs, causal, scale,
                                 need_dmask);
  if (py::isinstance<py::array_t<double>>(q))
    return backward_typed<double>(dout, q, k, v, out, lse, mask, mask_offsets, mask_rs, mask_cs, causal, scale,
                                  need_dmask);
  throw py::type_error("attention_backward (native): expected float32 or float64 q, k, v, got dtype " +
                       std::string(py::str(q.dtype())));
}

}  // namespace

void register_attention(py::module_& m) {
  declare_kernel_paths("attention", kCompiledPaths);
  m.def("attention_forward", &attention_forward, py::arg("q"), py::arg("k"), py::arg("v"), py::arg("mask") = py::none(),
        py::arg("mask_offsets") = py::none(), py::arg("mask_rs") = 0, py::arg("mask_cs") = 0,
        py::arg("causal") = false, py::arg("scale") = 1.0,
        "Fused attention forward (FlashAttention-2) on C-contiguous (BH, Lq, D), (BH, Lk, D), (BH, Lk, Dv)\n"
        "float32/float64 arrays -> (out (BH, Lq, Dv), lse (BH, Lq)).  mask: an additive array of the same\n"
        "dtype, element (b, i, j) at mask[mask_offsets[b] + i*mask_rs + j*mask_cs] (element strides).");
  m.def("attention_backward", &attention_backward, py::arg("grad_out"), py::arg("q"), py::arg("k"), py::arg("v"),
        py::arg("out"), py::arg("lse"), py::arg("mask") = py::none(), py::arg("mask_offsets") = py::none(),
        py::arg("mask_rs") = 0, py::arg("mask_cs") = 0, py::arg("causal") = false, py::arg("scale") = 1.0,
        py::arg("need_dmask") = false,
        "Fused attention backward (FlashAttention-2) -> (dq, dk, dv, dS (BH, Lq, Lk) if need_dmask else None).\n"
        "Arguments as attention_forward, plus grad_out (BH, Lq, Dv), out and lse of the forward.");
}

}  // namespace tensorlite
