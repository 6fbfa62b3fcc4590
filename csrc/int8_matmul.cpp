// int8 x int8 -> int32 matrix product, and the fused quantized-linear form
// (kernel contract and NumPy reference: kernels/int8_matmul.py).
//
//   int8_matmul:  C[i,j] = sum_k A[i,k] B[k,j]                          (int32, exact)
//   int8_linear:  Y[i,j] = relu?( (sum_k (A[i,k]-za[i]) (B[k,j]-zw[j])) * sa[i] sw[j] + bias[j] )
//
// ---------------------------------------------------------------------------------------
// The u8 x s8 trick.  The VNNI instruction vpdpbusd multiplies *unsigned* bytes by *signed*
// bytes, four at a time, and adds the four products to an int32 lane (no saturation).  Both
// of our operands are signed, so B is stored shifted to unsigned, Bu = B + 128 (in [0, 255]):
//
//     sum_k A[i,k] Bu[k,j] = sum_k A[i,k] B[k,j] + 128 * rowsum_A[i]
//
// and the epilogue subtracts 128 * rowsum_A[i].  The shift is done once, when the weight is
// packed; the row sums of A are computed once per call (O(MK), next to nothing).
// (The mirror image, A + 128 with 128 * colsum_B, is the other standard choice; this one
// lets A be the broadcast operand, which vpdpbusd can take straight from memory.)  Zero
// points fold into the same epilogue:
//
//     sum_k (A-za)(B-zw) = sum_k A Bu - rowsum_A[i] (128 + zw[j]) - za[i] (colsum_B[j] - K zw[j])
//
// All integer arithmetic wraps modulo 2^32 (vpdpbusd, vpaddd and the unsigned C++ below do),
// so the result equals the reference's int32 result bit for bit, overflow included.
//
// Packed B layout ("k4n64u8", also written by the NumPy reference pack):
//   columns are cut into panels of 64, K into groups of 4 (both zero-padded: padding bytes
//   hold Bu = 128, i.e. B = 0).  Byte (panel p, group g, column c, q) = Bu[4g+q, 64p+c] at
//       data[((p * K4 + g) * 64 + c) * 4 + q],        K4 = ceil(K / 4)
//   so one k-group of a panel is 256 contiguous bytes = four zmm registers, each holding 16
//   columns x 4 k: exactly the right operand of vpdpbusd.  One panel's K4 groups are
//   contiguous, so any K-block of a panel is a contiguous slice.
//
// A needs no packing: row-major A already holds a row's k-group as 4 contiguous bytes, which
// the micro-kernel loads as one int32 and broadcasts.  A is only copied when K is not a
// multiple of 4 (to zero-pad the rows to whole groups) or when it is not C-contiguous.
// (Packing A, as GotoBLAS does, buys nothing here: the MR rows of a micro-panel are MR
// sequential streams the hardware prefetcher follows, and a copy per column block cost
// 3-10% in measurements.)
//
// Blocking (the GotoBLAS/BLIS loop nest, with B already packed):
//   tasks      (MC rows) x (NC columns) blocks of C, spread over OpenMP threads (dynamic
//              schedule, at least two tasks per thread)
//   K blocks   KC4 groups at a time (the MC x 4*KC4 block of A stays in L2 while it sweeps
//              the NC columns); partial sums go to a per-thread int32 tile when K is longer
//              than one block, else stay in registers until the epilogue
//   micro-kernel  MR rows x 64 columns (one B panel) of C in registers; per k-group:
//              load the 4 B vectors once, then per row broadcast A's 4 bytes and issue one
//              vpdpbusd per vector.  avx512: MR = 6 -> 24 zmm accumulators.
//   epilogue   on the registers after the last K block: the u8 correction, zero points,
//              then either an int32 store or float scale * scale + bias, ReLU, float store.
//   defaults   MC = 192 rows, NC = 512 columns, KC = 2048 (512 groups), tuned on Zen 4
//              (32 KB L1d, 1 MB L2): 90-93% of the measured vpdpbusd peak per core at
//              1024^3 and 2048^3 (KC = 256 or 512 lose 3-8%: the C tile is reloaded per
//              K block).  _C._int8_set_blocking overrides them, for experiments.
//
// Paths (cpu_features.h; chosen per call): avx512 (VNNI, above); avx2 (no VNNI, and
// vpmaddubsw saturates: Bu is widened to int16 and multiplied with A as int16 by vpmaddwd,
// whose pairwise int32 sums cannot overflow; MR = 6 rows x 8 columns; this path does pack A,
// into int16); portable (C++ loops on the same layout).

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

#include "common.h"
#include "cpu_features.h"
#include "int8_matmul_kernels.h"  // the micro-kernels of each path, and the epilogue

#ifdef _OPENMP
#include <omp.h>
#endif

namespace py = pybind11;

namespace tensorlite {
namespace {

using namespace int8;  // NOLINT(build/namespaces): this file is their driver

constexpr std::int64_t kParallelOps = 1 << 20;  // below ~1 MOP a fork/join costs more than it saves

void* aligned_alloc64(std::size_t bytes) {
  bytes = static_cast<std::size_t>(round_up(static_cast<std::int64_t>(std::max<std::size_t>(bytes, 1)), 64));
#if defined(_MSC_VER)
  return _aligned_malloc(bytes, 64);
#else
  return std::aligned_alloc(64, bytes);
#endif
}

void aligned_free64(void* p) {
#if defined(_MSC_VER)
  _aligned_free(p);
#else
  std::free(p);
#endif
}

// ---------------------------------------------------------------------------------------
// Workspace: 64-byte aligned, grow-only buffers, one set per thread (thread_local), reused
// across calls.  A fresh multi-megabyte allocation would be page-faulted in on every call.

class ByteBuffer {
 public:
  ByteBuffer() = default;
  ByteBuffer(const ByteBuffer&) = delete;
  ByteBuffer& operator=(const ByteBuffer&) = delete;
  ~ByteBuffer() { aligned_free64(ptr_); }

  template <typename T>
  T* get(std::int64_t count) {
    const std::size_t bytes = static_cast<std::size_t>(std::max<std::int64_t>(count, 1)) * sizeof(T);
    if (bytes > capacity_) {
      aligned_free64(ptr_);
      capacity_ = static_cast<std::size_t>(round_up(static_cast<std::int64_t>(bytes), 4096));
      ptr_ = aligned_alloc64(capacity_);
      if (ptr_ == nullptr) {
        capacity_ = 0;
        throw std::bad_alloc();
      }
    }
    return static_cast<T*>(ptr_);
  }

 private:
  void* ptr_ = nullptr;
  std::size_t capacity_ = 0;
};

struct ThreadWorkspace {
  ByteBuffer a_pack;    // avx2 path: a task's A block as int16 micro-panels
  ByteBuffer partial;   // int32 partial C tile between K blocks
  // Used by the calling thread only:
  ByteBuffer a_copy;    // A zero-padded to whole k-groups, when K % 4 != 0
  ByteBuffer row_sum;   // row sums of A
  ByteBuffer b_pack;    // packed B, when the caller passed an unpacked matrix
  ByteBuffer columns;   // per-column epilogue vectors, padded to whole panels
};

ThreadWorkspace& workspace() {
  static thread_local ThreadWorkspace ws;
  return ws;
}

// ---------------------------------------------------------------------------------------
// Packing.

// A's rows as the micro-kernels read them: lda a multiple of 4 (zero-padded when K is not),
// plus row_sum[i] = sum_k A[i, k].  Returns the A to use (a itself when no copy is needed).
const std::int8_t* prepare_a(const std::int8_t* a, std::int64_t M, std::int64_t K, std::int64_t* lda,
                             std::int32_t* row_sum, ThreadWorkspace& ws) {
  const std::int64_t K4 = ceil_div(K, kKG);
  const bool copy = K % kKG != 0;
  std::int8_t* padded = copy ? ws.a_copy.get<std::int8_t>(M * K4 * kKG) : nullptr;
  // One pass over A at memory speed (tens of microseconds for 1 MB): a parallel region of its
  // own would cost more in fork/join than it saves, except for very large A.
  const bool parallel = M * K >= (std::int64_t{1} << 23);
#pragma omp parallel for schedule(static) if (parallel)
  for (std::int64_t i = 0; i < M; ++i) {
    const std::int8_t* src = a + i * K;
    std::int32_t sum = 0;
    for (std::int64_t k = 0; k < K; ++k) sum += src[k];  // vectorised by the compiler
    row_sum[i] = sum;
    if (copy) {
      std::memcpy(padded + i * K4 * kKG, src, static_cast<std::size_t>(K));
      std::memset(padded + i * K4 * kKG + K, 0, static_cast<std::size_t>(K4 * kKG - K));
    }
  }
  *lda = copy ? K4 * kKG : K;
  return copy ? padded : a;
}

// avx2 path: rows [0, rows) x groups [g0, g0 + kg) of A (lda a multiple of 4) into
// micro-panels of MR rows, as int16:
//   dst[((panel * kg + g) * MR + r) * 4 + q] = A[panel*MR + r, 4*(g0+g) + q]     (0 past the rows)
template <int MR>
void pack_a_int16(const std::int8_t* a, std::int64_t lda, std::int64_t rows, std::int64_t g0, std::int64_t kg,
                  std::int16_t* dst) {
  const std::int64_t panels = ceil_div(rows, MR);
  for (std::int64_t p = 0; p < panels; ++p) {
    std::int16_t* panel = dst + p * kg * MR * kKG;
    for (int r = 0; r < MR; ++r) {
      const std::int64_t row = p * MR + r;
      const std::int8_t* src = a + row * lda + g0 * kKG;
      for (std::int64_t g = 0; g < kg; ++g) {
        std::int16_t* d = panel + (g * MR + r) * kKG;
        for (int q = 0; q < kKG; ++q) d[q] = row < rows ? src[g * kKG + q] : 0;
      }
    }
  }
}

// B (K x N, row stride ldb) -> the k4n64u8 layout of the header comment, plus column sums.
void pack_b(const std::int8_t* b, std::int64_t ldb, std::int64_t K, std::int64_t N, std::uint8_t* dst,
            std::int32_t* col_sum) {
  const std::int64_t K4 = ceil_div(K, kKG);
  const std::int64_t panels = ceil_div(N, kNR);
  const bool parallel = K * N >= (std::int64_t{1} << 18);
#pragma omp parallel for schedule(static) if (parallel)
  for (std::int64_t p = 0; p < panels; ++p) {
    const std::int64_t c0 = p * kNR;
    const int width = static_cast<int>(std::min<std::int64_t>(kNR, N - c0));
    std::int32_t sums[kNR] = {};
    std::uint8_t* out = dst + p * K4 * kGroupBytes;
    for (std::int64_t g = 0; g < K4; ++g) {
      const std::int8_t* rows[kKG];
      static const std::int8_t zeros[kNR] = {};
      for (int q = 0; q < kKG; ++q) {
        const std::int64_t k = g * kKG + q;
        rows[q] = k < K ? b + k * ldb + c0 : zeros;
      }
      std::uint32_t* o = reinterpret_cast<std::uint32_t*>(out + g * kGroupBytes);
      if (width == kNR) {
        for (int c = 0; c < kNR; ++c) {  // vectorised: four byte rows interleaved into words
          const std::uint32_t w = static_cast<std::uint8_t>(rows[0][c]) |
                                  (static_cast<std::uint32_t>(static_cast<std::uint8_t>(rows[1][c])) << 8) |
                                  (static_cast<std::uint32_t>(static_cast<std::uint8_t>(rows[2][c])) << 16) |
                                  (static_cast<std::uint32_t>(static_cast<std::uint8_t>(rows[3][c])) << 24);
          o[c] = w ^ 0x80808080u;  // B + 128 in every byte
          sums[c] += rows[0][c] + rows[1][c] + rows[2][c] + rows[3][c];
        }
      } else {
        for (int c = 0; c < kNR; ++c) {
          std::uint32_t w = 0;
          for (int q = 0; q < kKG; ++q) {
            const std::int8_t v = c < width ? rows[q][c] : 0;
            w |= static_cast<std::uint32_t>(static_cast<std::uint8_t>(v)) << (8 * q);
            sums[c] += v;
          }
          o[c] = w ^ 0x80808080u;
        }
      }
    }
    for (int c = 0; c < width; ++c) col_sum[c0 + c] = sums[c];
  }
}

// ---------------------------------------------------------------------------------------
// The blocked driver, shared by the paths.

struct Blocking {
  std::int64_t mc = 0, nc = 0, kc4 = 0;  // 0: default
};
Blocking g_tuning;  // _C._int8_set_blocking, for benchmarks; not thread-safe by design

struct Problem {
  const std::int8_t* a = nullptr;     // row-major, lda a multiple of 4 (prepare_a)
  std::int64_t lda = 0;
  const std::int32_t* row_sum = nullptr;
  std::int64_t M = 0, N = 0, K = 0;
  const std::uint8_t* b_packed = nullptr;  // k4n64u8
  Epilogue ep;
};

// One (mc x nc) block of C: the K blocks, the 64-column panels, the MR-row micro-tiles.
template <class Path>
void run_task(const Problem& pr, std::int64_t task, std::int64_t n_tasks, std::int64_t mc, std::int64_t nc,
              std::int64_t kc4, std::int64_t k_blocks) {
  constexpr int MR = Path::MR;
  const std::int64_t M = pr.M, N = pr.N, K4 = ceil_div(pr.K, kKG);
  ThreadWorkspace& ws = workspace();
  const std::int64_t i0 = (task / n_tasks) * mc, j0 = (task % n_tasks) * nc;
  const std::int64_t rows = std::min(mc, M - i0), cols = std::min(nc, N - j0);
  const std::int64_t a_panels = ceil_div(rows, MR);
  const std::int64_t ldp = round_up(cols, kNR);
  std::int32_t* partial = k_blocks > 1 ? ws.partial.get<std::int32_t>(a_panels * MR * ldp) : nullptr;
  std::int16_t* a16 = nullptr;
  if constexpr (Path::kPacksA) a16 = ws.a_pack.get<std::int16_t>(a_panels * MR * kc4 * kKG);

  for (std::int64_t kb = 0; kb < k_blocks; ++kb) {
    const std::int64_t g0 = kb * kc4;
    const std::int64_t kg = std::max<std::int64_t>(0, std::min(kc4, K4 - g0));  // 0 only when K == 0
    const std::int8_t* a_block = pr.a + i0 * pr.lda + g0 * kKG;
    if constexpr (Path::kPacksA) pack_a_int16<MR>(pr.a + i0 * pr.lda, pr.lda, rows, g0, kg, a16);
    for (std::int64_t jc = 0; jc < cols; jc += kNR) {
      const std::int64_t panel_index = (j0 + jc) / kNR;
      const std::uint8_t* pb = pr.b_packed + (panel_index * K4 + g0) * kGroupBytes;
      for (std::int64_t p = 0; p < a_panels; ++p) {
        Tile t;
        t.row = i0 + p * MR;
        t.col = j0 + jc;
        t.ncols = static_cast<int>(std::min<std::int64_t>(kNR, cols - jc));
        t.row_sum = pr.row_sum + t.row;
        t.first = kb == 0;
        t.last = kb == k_blocks - 1;
        t.partial = partial != nullptr ? partial + p * MR * ldp + jc : nullptr;
        t.ldp = ldp;
        t.ep = &pr.ep;
        const int r = static_cast<int>(std::min<std::int64_t>(MR, rows - p * MR));
        if constexpr (Path::kPacksA) {
          Path::panel(r, kg, a16 + p * MR * kg * kKG, pb, t);  // pack_a_int16's panel stride
        } else {
          Path::panel(r, kg, a_block + p * MR * pr.lda, pr.lda, pb, t);
        }
      }
    }
  }
}

template <class Path>
void run_gemm(const Problem& pr) {
  constexpr int MR = Path::MR;
  const std::int64_t M = pr.M, N = pr.N, K = pr.K;
  if (M == 0 || N == 0) return;
  const std::int64_t K4 = ceil_div(K, kKG);
  const std::int64_t kc4 = std::max<std::int64_t>(1, std::min<std::int64_t>(K4, g_tuning.kc4 > 0 ? g_tuning.kc4 : 512));
  const std::int64_t k_blocks = std::max<std::int64_t>(1, ceil_div(K4, kc4));

  // Split C into tasks of about mc x nc; split further while there are fewer than two
  // tasks per thread (dynamic scheduling then evens out a thread slowed by other load).
  const int threads = max_threads();
  const std::int64_t mc_max = round_up(g_tuning.mc > 0 ? g_tuning.mc : Path::MC, MR);
  const std::int64_t nc_max = round_up(g_tuning.nc > 0 ? g_tuning.nc : 512, kNR);
  std::int64_t m_tasks = ceil_div(M, mc_max), n_tasks = ceil_div(N, nc_max);
  while (m_tasks * n_tasks < 2 * threads) {
    if (ceil_div(N, n_tasks) > kNR) {
      ++n_tasks;
    } else if (ceil_div(M, m_tasks) > MR) {
      ++m_tasks;
    } else {
      break;
    }
  }
  const std::int64_t mc = round_up(ceil_div(M, m_tasks), MR);
  const std::int64_t nc = round_up(ceil_div(N, n_tasks), kNR);
  m_tasks = ceil_div(M, mc);
  n_tasks = ceil_div(N, nc);
  const std::int64_t tasks = m_tasks * n_tasks;
  const bool parallel = tasks > 1 && 2 * M * N * K >= kParallelOps;

  // An exception must not leave an OpenMP region: a failed workspace allocation is
  // recorded and rethrown after it (pybind11 turns std::bad_alloc into MemoryError).
  std::atomic<bool> out_of_memory{false};
#pragma omp parallel for schedule(dynamic, 1) if (parallel)
  for (std::int64_t task = 0; task < tasks; ++task) {
    if (out_of_memory.load(std::memory_order_relaxed)) continue;
    try {
      run_task<Path>(pr, task, n_tasks, mc, nc, kc4, k_blocks);
    } catch (const std::bad_alloc&) {
      out_of_memory.store(true);
    }
  }
  if (out_of_memory.load()) throw std::bad_alloc();
}

void run(const Problem& pr) {
  switch (kernel_path(kAllPaths)) {
#if TL_HAVE_SIMD_PATHS
    case CpuPath::avx512:
      run_gemm<Avx512Path>(pr);
      return;
    case CpuPath::avx2:
      run_gemm<Avx2Path>(pr);
      return;
#endif
    default:
      run_gemm<PortablePath>(pr);
  }
}

// ---------------------------------------------------------------------------------------
// Python bindings.  kernels/int8_matmul.py validates and normalises the arguments (scalars
// broadcast, dtypes cast) with clear messages; the checks here only keep a direct caller
// from reading out of bounds.

template <typename T>
py::array_t<T, py::array::c_style> as_c_array(const py::array& x, const char* fn, const char* name, int ndim) {
  if (!x.dtype().equal(py::dtype::of<T>())) {
    throw py::type_error(std::string(fn) + ": " + name + " must have dtype " +
                         std::string(py::str(py::dtype::of<T>())) + ", got " + std::string(py::str(x.dtype())));
  }
  if (ndim >= 0 && x.ndim() != ndim) {
    throw py::value_error(std::string(fn) + ": " + name + " must be " + std::to_string(ndim) + "-D, got " +
                          std::to_string(x.ndim()) + "-D");
  }
  // ensure() returns x itself when it is C-contiguous, else a contiguous copy.
  auto out = py::array_t<T, py::array::c_style | py::array::forcecast>::ensure(x);
  if (!out) throw py::error_already_set();
  return out;
}

void require_size(const py::array& x, std::int64_t size, const char* fn, const char* name) {
  if (x.size() != size) {
    throw py::value_error(std::string(fn) + ": " + name + " has " + std::to_string(x.size()) +
                          " elements, expected " + std::to_string(size));
  }
}

std::int64_t packed_size(std::int64_t K, std::int64_t N) { return ceil_div(N, kNR) * ceil_div(K, kKG) * kGroupBytes; }

// A new C-contiguous array whose buffer is 64-byte aligned (numpy only promises 16).
template <typename T>
py::array_t<T> aligned_array(std::int64_t size) {
  void* mem = aligned_alloc64(static_cast<std::size_t>(size) * sizeof(T));
  if (mem == nullptr) throw std::bad_alloc();
  py::capsule owner(mem, [](void* p) { aligned_free64(p); });
  return py::array_t<T>({static_cast<py::ssize_t>(size)}, {static_cast<py::ssize_t>(sizeof(T))}, static_cast<T*>(mem),
                        owner);
}

py::tuple pack_weight(const py::array& b_in) {
  auto b = as_c_array<std::int8_t>(b_in, "pack_int8_weight", "b", 2);
  const std::int64_t K = b.shape(0), N = b.shape(1);
  auto data = aligned_array<std::uint8_t>(packed_size(K, N));
  py::array_t<std::int32_t> col_sum(static_cast<py::ssize_t>(N));
  {
    py::gil_scoped_release release;
    pack_b(b.data(), N, K, N, data.mutable_data(), col_sum.mutable_data());
  }
  return py::make_tuple(data, col_sum);
}

// What an entry point resolved: A, and B packed (given, or packed into the workspace).
struct Operands {
  py::array_t<std::int8_t, py::array::c_style> a;
  std::int64_t M = 0, K = 0, N = 0;
  const std::uint8_t* b_packed = nullptr;
  const std::int32_t* col_sum = nullptr;
  py::object keep_alive[2];  // the packed arrays, when given
};

Operands operands_unpacked(const py::array& a_in, const py::array& b_in, const char* fn) {
  Operands o;
  o.a = as_c_array<std::int8_t>(a_in, fn, "a", 2);
  auto b = as_c_array<std::int8_t>(b_in, fn, "b", 2);
  o.M = o.a.shape(0), o.K = o.a.shape(1), o.N = b.shape(1);
  if (b.shape(0) != o.K) {
    throw py::value_error(std::string(fn) + ": shapes (" + std::to_string(o.M) + ", " + std::to_string(o.K) + ") and (" +
                          std::to_string(b.shape(0)) + ", " + std::to_string(o.N) + ") cannot be multiplied");
  }
  ThreadWorkspace& ws = workspace();  // the calling thread's: concurrent callers do not share it
  auto* data = ws.b_pack.get<std::uint8_t>(packed_size(o.K, o.N) + 4 * o.N);  // + column sums
  auto* col_sum = reinterpret_cast<std::int32_t*>(data + packed_size(o.K, o.N));
  {
    py::gil_scoped_release release;
    pack_b(b.data(), o.N, o.K, o.N, data, col_sum);
  }
  o.b_packed = data;
  o.col_sum = col_sum;
  return o;
}

Operands operands_packed(const py::array& a_in, const py::array& data_in, const py::array& col_sum_in, std::int64_t k,
                         std::int64_t n, const char* fn) {
  Operands o;
  o.a = as_c_array<std::int8_t>(a_in, fn, "a", 2);
  auto data = as_c_array<std::uint8_t>(data_in, fn, "packed data", 1);
  auto col_sum = as_c_array<std::int32_t>(col_sum_in, fn, "column sums", 1);
  o.M = o.a.shape(0), o.K = o.a.shape(1), o.N = n;
  if (k != o.K || n < 0) {
    throw py::value_error(std::string(fn) + ": a is (" + std::to_string(o.M) + ", " + std::to_string(o.K) +
                          ") but the packed weight is (" + std::to_string(k) + ", " + std::to_string(n) + ")");
  }
  require_size(data, packed_size(k, n), fn, "packed data");
  require_size(col_sum, n, fn, "column sums");
  o.b_packed = data.data();
  o.col_sum = col_sum.data();
  o.keep_alive[0] = data;
  o.keep_alive[1] = col_sum;
  return o;
}

// Fills in A (padded if needed) and its row sums, then runs; call with the GIL released.
void run_with_a(Problem& pr, const std::int8_t* a) {
  ThreadWorkspace& ws = workspace();
  auto* row_sum = ws.row_sum.get<std::int32_t>(pr.M);
  pr.a = prepare_a(a, pr.M, pr.K, &pr.lda, row_sum, ws);
  pr.row_sum = row_sum;
  run(pr);
}

py::array_t<std::int32_t> matmul(const Operands& o) {
  py::array_t<std::int32_t> c({static_cast<py::ssize_t>(o.M), static_cast<py::ssize_t>(o.N)});
  Problem pr;
  pr.M = o.M, pr.N = o.N, pr.K = o.K;
  pr.b_packed = o.b_packed;
  pr.ep.K = o.K;
  pr.ep.c_i32 = c.mutable_data();
  pr.ep.ldc = o.N;
  {
    py::gil_scoped_release release;
    run_with_a(pr, o.a.data());
  }
  return c;
}

py::array_t<float> linear(const Operands& o, const py::array& a_scale_in, const py::array& w_scale_in,
                          const py::object& a_zp_in, const py::object& w_zp_in, const py::object& bias_in, bool relu) {
  const char* fn = "int8_linear";
  auto a_scale = as_c_array<float>(a_scale_in, fn, "a_scale", 1);
  auto w_scale = as_c_array<float>(w_scale_in, fn, "w_scale", 1);
  require_size(a_scale, o.M, fn, "a_scale");
  require_size(w_scale, o.N, fn, "w_scale");
  py::array_t<std::int32_t, py::array::c_style> a_zp, w_zp;
  py::array_t<float, py::array::c_style> bias;
  if (!a_zp_in.is_none()) {
    a_zp = as_c_array<std::int32_t>(a_zp_in, fn, "a_zero_point", 1);
    require_size(a_zp, o.M, fn, "a_zero_point");
  }
  if (!w_zp_in.is_none()) {
    w_zp = as_c_array<std::int32_t>(w_zp_in, fn, "w_zero_point", 1);
    require_size(w_zp, o.N, fn, "w_zero_point");
  }
  if (!bias_in.is_none()) {
    bias = as_c_array<float>(bias_in, fn, "bias", 1);
    require_size(bias, o.N, fn, "bias");
  }
  const bool has_zp = !a_zp_in.is_none() || !w_zp_in.is_none();
  py::array_t<float> y({static_cast<py::ssize_t>(o.M), static_cast<py::ssize_t>(o.N)});

  // Per-column epilogue vectors, padded with zeros to whole panels so the SIMD epilogue
  // loads them without masks.
  const std::int64_t n_pad = round_up(std::max<std::int64_t>(o.N, 1), kNR);
  auto* cols = workspace().columns.get<std::int32_t>(4 * n_pad);
  auto* w_scale_p = reinterpret_cast<float*>(cols);
  auto* bias_p = reinterpret_cast<float*>(cols + n_pad);
  std::int32_t* col_a = cols + 2 * n_pad;
  std::int32_t* col_b = cols + 3 * n_pad;
  std::fill(cols, cols + 4 * n_pad, 0);  // all-zero bits are 0.0f too
  for (std::int64_t j = 0; j < o.N; ++j) {
    w_scale_p[j] = w_scale.data()[j];
    if (bias_in.is_none()) continue;
    bias_p[j] = bias.data()[j];
  }
  if (has_zp) {
    for (std::int64_t j = 0; j < o.N; ++j) {
      const std::int32_t zw = w_zp_in.is_none() ? 0 : w_zp.data()[j];
      col_a[j] = static_cast<std::int32_t>(128u + static_cast<std::uint32_t>(zw));
      col_b[j] = wrap_sub(o.col_sum[j], wrap_mul(static_cast<std::int32_t>(o.K), zw));
    }
  }

  Problem pr;
  pr.M = o.M, pr.N = o.N, pr.K = o.K;
  pr.b_packed = o.b_packed;
  Epilogue& ep = pr.ep;
  ep.K = o.K;
  ep.float_out = true;
  ep.c_f32 = y.mutable_data();
  ep.ldc = o.N;
  ep.a_scale = a_scale.data();
  ep.a_zp = a_zp_in.is_none() ? nullptr : a_zp.data();
  ep.w_scale = w_scale_p;
  ep.bias = bias_in.is_none() ? nullptr : bias_p;
  ep.col_a = has_zp ? col_a : nullptr;
  ep.col_b = has_zp ? col_b : nullptr;
  ep.relu = relu;
  {
    py::gil_scoped_release release;
    run_with_a(pr, o.a.data());
  }
  return y;
}

}  // namespace

void register_int8_matmul(py::module_& m) {
  declare_kernel_paths("int8_matmul", kAllPaths);
  declare_kernel_paths("int8_linear", kAllPaths);  // the same GEMM, with the float epilogue
  declare_kernel_paths("pack_int8_weight", kPathBit(CpuPath::portable));  // plain C++ (vectorised by the compiler)
  m.def("int8_pack_weight", &pack_weight, py::arg("b"),
        "Pack an int8 (K, N) weight into the k4n64u8 layout (csrc/int8_matmul.cpp).\n"
        "Returns (data: uint8 (ceil(N/64) * ceil(K/4) * 256,), 64-byte aligned; col_sums: int32 (N,)).");
  m.def(
      "int8_matmul", [](const py::array& a, const py::array& b) { return matmul(operands_unpacked(a, b, "int8_matmul")); },
      py::arg("a"), py::arg("b"), "int8 (M, K) @ int8 (K, N) -> int32 (M, N), exact (B packed per call).");
  m.def(
      "int8_matmul_packed",
      [](const py::array& a, const py::array& data, const py::array& col_sums, std::int64_t k, std::int64_t n) {
        return matmul(operands_packed(a, data, col_sums, k, n, "int8_matmul"));
      },
      py::arg("a"), py::arg("data"), py::arg("col_sums"), py::arg("k"), py::arg("n"),
      "int8 (M, K) @ packed int8 (K, N) -> int32 (M, N), exact.");
  m.def(
      "int8_linear",
      [](const py::array& a, const py::array& w, const py::array& a_scale, const py::array& w_scale,
         const py::object& a_zp, const py::object& w_zp, const py::object& bias, bool relu) {
        return linear(operands_unpacked(a, w, "int8_linear"), a_scale, w_scale, a_zp, w_zp, bias, relu);
      },
      py::arg("a"), py::arg("w"), py::arg("a_scale"), py::arg("w_scale"), py::arg("a_zero_point"),
      py::arg("w_zero_point"), py::arg("bias"), py::arg("relu"),
      "relu?((a - za) @ (w - zw) * a_scale[:, None] * w_scale[None, :] + bias) -> float32 (M, N).\n"
      "a_scale float32 (M,), w_scale float32 (N,), zero points int32 (M,)/(N,) or None, bias float32 (N,) or None.");
  m.def(
      "int8_linear_packed",
      [](const py::array& a, const py::array& data, const py::array& col_sums, std::int64_t k, std::int64_t n,
         const py::array& a_scale, const py::array& w_scale, const py::object& a_zp, const py::object& w_zp,
         const py::object& bias, bool relu) {
        return linear(operands_packed(a, data, col_sums, k, n, "int8_linear"), a_scale, w_scale, a_zp, w_zp, bias,
                      relu);
      },
      py::arg("a"), py::arg("data"), py::arg("col_sums"), py::arg("k"), py::arg("n"), py::arg("a_scale"),
      py::arg("w_scale"), py::arg("a_zero_point"), py::arg("w_zero_point"), py::arg("bias"), py::arg("relu"),
      "int8_linear with a weight packed by int8_pack_weight.");
  m.def(
      "_int8_set_blocking",
      [](std::int64_t mc, std::int64_t nc, std::int64_t kc) {
        g_tuning.mc = mc;
        g_tuning.nc = nc;
        g_tuning.kc4 = kc / kKG;
      },
      py::arg("mc") = 0, py::arg("nc") = 0, py::arg("kc") = 0,
      "Benchmark/tuning hook: block sizes of the int8 GEMM (0 = default). Not thread-safe.");
}

}  // namespace tensorlite
