"""The native (C++) conv2d kernels against the NumPy reference (kernels/conv.py's contract).

kernels/conv_native.py registers the native forward, input gradient and weight gradient; every
comparison runs native (float32) and the reference (float64, on the same float32 values) on the
same random inputs.

Tolerance (why this bound): each output element is a sum of K products (K = C/g kh kw for the
forward, at most O/g kh kw for the input gradient, N Ho Wo for the weight gradient).  Float32
summation in any order errs by at most about K u sum|terms| (u = 2**-24), so with the exact sum
taken from the float64 reference,

    |native - reference| <= (K + 8) * 2**-24 * R,   R = the same kernel on |operands| (float64)

(the + 8 covers the rounding of bias, of the final result and of the partial sums added across
reduction blocks).  This is the worst-case bound, not a fudge factor: a failure means a wrong
term, not a rounding difference.  Measured over the grid: median 9%, worst 20% of the bound
(the AVX2 and AVX-512 paths give bitwise the same results: same FMA chains; portable differs).
"""

from __future__ import annotations

import itertools
import json
import zlib
from pathlib import Path

import numpy as np
import pytest

import tensorlite.kernels as K
from tensorlite.kernels import _native
from tensorlite.kernels.conv import (
    conv2d_backward_input,
    conv2d_backward_weight,
    conv2d_forward,
    conv_backward_input_reference,
    conv_backward_weight_reference,
    conv_forward_reference,
    output_size,
)
from tensorlite.kernels.conv_native import (
    conv2d_backward_input_native,
    conv2d_backward_weight_native,
    conv2d_forward_native,
)
from kernel_checks import assert_same_across_calls, assert_same_across_thread_counts, run_script, supported_paths

NATIVE, NATIVE_REASON = _native.load()
HAS_CONV = NATIVE is not None and hasattr(NATIVE, "conv2d_forward")
pytestmark = pytest.mark.skipif(not HAS_CONV,
                                reason=f"native conv2d unavailable: {NATIVE_REASON or 'built before conv.cpp'}")

U32 = 2.0 ** -24


# -- cases -----------------------------------------------------------------------------------------------------
class Case:
    """One convolution: shapes and geometry; `make(rng)` draws its float32 operands."""

    def __init__(self, n, c, h, w, o, k, stride, padding, dilation, groups):
        self.n, self.c, self.h, self.w, self.o = n, c, h, w, o
        self.k = k if isinstance(k, tuple) else (k, k)
        self.stride = stride if isinstance(stride, tuple) else (stride, stride)
        self.padding = padding if isinstance(padding, tuple) else (padding, padding)
        self.dilation = dilation if isinstance(dilation, tuple) else (dilation, dilation)
        self.groups = groups
        self.out = output_size((h, w), self.k, self.stride, self.padding, self.dilation)

    def valid(self) -> bool:
        return (min(self.out) >= 1 and self.c % self.groups == 0 and self.o % self.groups == 0)

    def macs(self) -> int:
        return self.n * self.o * (self.c // self.groups) * self.k[0] * self.k[1] * self.out[0] * self.out[1]

    def geometry(self) -> tuple:
        return self.stride, self.padding, self.dilation, self.groups

    def __repr__(self) -> str:
        return (f"x({self.n},{self.c},{self.h},{self.w}) w({self.o},{self.c // self.groups},{self.k[0]},{self.k[1]}) "
                f"s{self.stride} p{self.padding} d{self.dilation} g{self.groups}")

    def make(self, rng):
        x = rng.standard_normal((self.n, self.c, self.h, self.w)).astype(np.float32)
        w = rng.standard_normal((self.o, self.c // self.groups) + self.k).astype(np.float32)
        b = rng.standard_normal(self.o).astype(np.float32)
        g = rng.standard_normal((self.n, self.o) + self.out).astype(np.float32)
        return x, w, b, g


GRID = {
    "n": (1, 2, 3),
    "c": (1, 3, 8, 17, 64),
    "o": (1, 3, 8, 17, 64),
    "hw": (1, 5, 7, 16, 33),
    "k": (1, 3, 5, 7),
    "stride": (1, 2, 3),
    "padding": (0, 1, 3),
    "dilation": (1, 2),
    "groups": ("1", "2", "C"),
}
MAX_MACS = 4_000_000  # keeps the float64 reference (run twice per kernel) fast


def _draw(rng, fixed: dict) -> Case:
    """A valid case with the `fixed` values, the other parameters drawn from GRID."""
    for _ in range(10_000):
        p = {name: fixed.get(name, values[rng.integers(len(values))]) for name, values in GRID.items()}
        hw = p["hw"]
        w = hw if rng.random() < 0.5 else GRID["hw"][rng.integers(len(GRID["hw"]))]
        c, o = p["c"], p["o"]
        if p["groups"] == "C":
            groups, o = c, c * (1 if rng.random() < 0.6 else 2)  # depthwise, channel multiplier 1 or 2
        elif p["groups"] == "2":
            groups, c, o = 2, 2 * max(1, c // 2), 2 * max(1, o // 2)
        else:
            groups = 1
        case = Case(p["n"], c, hw, w, o, p["k"], p["stride"], p["padding"], p["dilation"], groups)
        if case.valid() and case.macs() <= MAX_MACS:
            return case
    raise RuntimeError(f"no valid case with {fixed}")


def grid_cases() -> list[Case]:
    """Every value of every GRID parameter at least three times (the others drawn at random, seeded),
    plus hand-picked shapes: multi-block reductions, split reductions, depthwise, ResNet layers."""
    rng = np.random.default_rng(2024)
    cases = [_draw(rng, {name: v}) for name, values in GRID.items() for v in values for _ in range(3)]
    cases += [
        Case(2, 64, 16, 16, 64, 3, 1, 1, 1, 1),     # K = 576: three reduction blocks
        Case(2, 64, 16, 16, 128, 3, 2, 1, 1, 1),    # ResNet downsample 3x3 (col2im input gradient)
        Case(2, 64, 16, 16, 128, 1, 2, 0, 1, 1),    # ResNet downsample 1x1
        Case(4, 8, 32, 32, 16, 3, 1, 1, 1, 1),      # N Ho Wo = 4096: the weight gradient's split reduction
        Case(1, 3, 33, 33, 17, 7, 2, 3, 1, 1),      # ResNet stem-like, odd sizes
        Case(2, 17, 9, 11, 8, (3, 5), (1, 2), (2, 0), (2, 1), 1),  # rectangular everything
        Case(3, 64, 7, 7, 64, 3, 1, 1, 1, 64),      # depthwise
        Case(2, 8, 16, 5, 24, 3, 2, 1, 2, 8),       # depthwise, multiplier 3, strided, dilated
        Case(2, 6, 8, 8, 9, 3, 1, 1, 1, 3),         # grouped, 2 in / 3 out per group
        Case(1, 1, 1, 1, 1, 1, 1, 0, 1, 1),         # 1x1x1x1
        Case(3, 5, 1, 40, 7, (1, 3), 1, (0, 1), 1, 1),  # conv1d as conv2d with height 1
    ]
    return cases


CASES = grid_cases()


# -- comparison --------------------------------------------------------------------------------------------------
def _bounds(case: Case, x, w, b, g):
    """(reference results, tolerance arrays, reduction lengths) for forward / input grad / weight grad."""
    s, p, d, groups = case.geometry()
    x64, w64, b64, g64 = (a.astype(np.float64) for a in (x, w, b, g))
    refs = (conv_forward_reference(x64, w64, b64, s, p, d, groups),
            conv_backward_input_reference(g64, w64, x.shape, s, p, d, groups),
            conv_backward_weight_reference(x64, g64, w.shape, s, p, d, groups))
    mags = (conv_forward_reference(abs(x64), abs(w64), abs(b64), s, p, d, groups),
            conv_backward_input_reference(abs(g64), abs(w64), x.shape, s, p, d, groups),
            conv_backward_weight_reference(abs(x64), abs(g64), w.shape, s, p, d, groups))
    kk = case.k[0] * case.k[1]
    lengths = ((case.c // groups) * kk, (case.o // groups) * kk, case.n * case.out[0] * case.out[1])
    tols = tuple((length + 8) * U32 * mag + 1e-35 for length, mag in zip(lengths, mags))
    return refs, tols


def assert_close(ours, ref, tol, what: str) -> float:
    """Shape, dtype float32, C-contiguous, and |ours - ref| <= tol; returns the worst error / tol."""
    assert ours.shape == ref.shape, f"{what}: shape {ours.shape}, reference {ref.shape}"
    assert ours.dtype == np.float32, f"{what}: dtype {ours.dtype}"
    assert ours.flags.c_contiguous, f"{what}: result not C-contiguous"
    if ours.size == 0:
        return 0.0
    ratio = np.abs(ours.astype(np.float64) - ref) / tol
    worst = float(ratio.max())
    assert worst <= 1.0, (f"{what}: error {worst:.3g} x the bound at {np.unravel_index(ratio.argmax(), ratio.shape)}"
                          f" (ours {ours.flat[ratio.argmax()]}, reference {ref.flat[ratio.argmax()]})")
    return worst


def run_native(case: Case, x, w, b, g):
    s, p, d, groups = case.geometry()
    return (conv2d_forward_native(x, w, b, s, p, d, groups),
            conv2d_backward_input_native(g, w, x.shape, s, p, d, groups),
            conv2d_backward_weight_native(x, g, w.shape, s, p, d, groups))


def check_case(case: Case, rng, transform=None) -> float:
    x, w, b, g = case.make(rng)
    refs, tols = _bounds(case, x, w, b, g)
    if transform is not None:
        x, w, b, g = transform(x), transform(w), b[::-1].copy()[::-1], transform(g)
    ours = run_native(case, x, w, b, g)
    return max(assert_close(o, r, t, f"{case} {name}")
               for o, r, t, name in zip(ours, refs, tols, ("forward", "backward_input", "backward_weight")))


# -- correctness ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES, ids=[repr(c) for c in CASES])
def test_grid_matches_reference(case):
    check_case(case, np.random.default_rng(zlib.crc32(repr(case).encode())))


def _strided(a):
    """The same values in a non-contiguous array (every other element of a twice-as-large buffer)."""
    if a.ndim == 0 or a.size == 0:
        return a
    big = np.zeros(a.shape[:-1] + (2 * a.shape[-1],), a.dtype)
    big[..., ::2] = a
    return big[..., ::2]


@pytest.mark.parametrize("layout", ["strided", "fortran", "transposed-batch"])
def test_non_contiguous_inputs(layout):
    rng = np.random.default_rng(11)

    def transform(a):
        if layout == "strided":
            return _strided(a)
        if layout == "fortran":
            return np.asfortranarray(a)
        return np.swapaxes(np.ascontiguousarray(np.swapaxes(a, 0, 1)), 0, 1)  # (C, N, ...) memory, NCHW view

    for case in (CASES[0], CASES[-9], CASES[-6], Case(2, 5, 9, 8, 6, 3, 2, 1, 1, 1)):
        check_case(case, rng, transform)


def test_big_endian_input():
    rng = np.random.default_rng(12)
    case = Case(2, 3, 6, 6, 4, 3, 1, 1, 1, 1)
    x, w, b, g = case.make(rng)
    y = conv2d_forward_native(x.astype(">f4"), w, b, *case.geometry())
    np.testing.assert_array_equal(y, conv2d_forward_native(x, w, b, *case.geometry()))


def test_errors_are_far_below_the_bound():
    """A sanity check of the bound's tightness: errors stay well inside the worst case."""
    rng = np.random.default_rng(13)
    worst = max(check_case(case, rng) for case in CASES[::7])
    assert worst < 0.5, f"errors reach {worst:.2f} of the worst-case bound: suspicious"


def test_zero_size_inputs_match_reference():
    rng = np.random.default_rng(14)
    for n, c, o in [(0, 3, 4), (2, 0, 4), (2, 3, 0), (0, 0, 0)]:
        x = rng.standard_normal((n, c, 6, 5)).astype(np.float32)
        w = rng.standard_normal((o, c, 3, 3)).astype(np.float32)
        b = rng.standard_normal(o).astype(np.float32)
        y = conv2d_forward_native(x, w, b, (1, 1), (1, 1), (1, 1), 1)
        np.testing.assert_array_equal(y, conv_forward_reference(x, w, b, (1, 1), (1, 1), (1, 1), 1))
        g = rng.standard_normal(y.shape).astype(np.float32)
        np.testing.assert_array_equal(conv2d_backward_input_native(g, w, x.shape, (1, 1), (1, 1), (1, 1), 1),
                                      np.zeros(x.shape, np.float32))
        gw = conv2d_backward_weight_native(x, g, w.shape, (1, 1), (1, 1), (1, 1), 1)
        assert gw.shape == w.shape and not gw.any()


def test_input_gradient_of_rows_the_windows_never_reach_is_zero():
    """input_shape may exceed what the output needs (stride > 1): the extra rows get 0."""
    rng = np.random.default_rng(15)
    w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    g = rng.standard_normal((2, 4, 3, 3)).astype(np.float32)
    for shape in [(2, 3, 7, 7), (2, 3, 8, 8)]:  # both give a 3x3 output at stride 2
        gx = conv2d_backward_input_native(g, w, shape, (2, 2), (0, 0), (1, 1), 1)
        ref = conv_backward_input_reference(g.astype(np.float64), w.astype(np.float64), shape, (2, 2), (0, 0), (1, 1), 1)
        np.testing.assert_allclose(gx, ref, rtol=1e-5, atol=1e-5)
        if shape[-1] == 8:
            assert not gx[..., 7, :].any() and not gx[..., :, 7].any()


def test_other_dtypes_run_the_reference():
    """float64 (and integer) inputs go to the reference: same results, bit for bit."""
    rng = np.random.default_rng(16)
    case = Case(2, 4, 7, 6, 6, 3, 2, 1, 1, 2)
    s, p, d, groups = case.geometry()
    for dtype in (np.float64, np.int64):
        x, w, b, g = (a.astype(dtype) for a in case.make(rng))
        np.testing.assert_array_equal(conv2d_forward_native(x, w, b, s, p, d, groups),
                                      conv_forward_reference(x, w, b, s, p, d, groups))
        np.testing.assert_array_equal(conv2d_backward_input_native(g, w, x.shape, s, p, d, groups),
                                      conv_backward_input_reference(g, w, x.shape, s, p, d, groups))
        np.testing.assert_array_equal(conv2d_backward_weight_native(x, g, w.shape, s, p, d, groups),
                                      conv_backward_weight_reference(x, g, w.shape, s, p, d, groups))


# -- determinism, threads, CPU paths -------------------------------------------------------------------------------
DET_CASES = [Case(4, 8, 32, 32, 16, 3, 1, 1, 1, 1), Case(3, 64, 16, 16, 128, 3, 2, 1, 1, 1),
             Case(2, 32, 8, 8, 32, 3, 1, 1, 1, 32), Case(2, 48, 12, 12, 40, 1, 1, 0, 1, 1)]


def _det_results(seed: int = 17) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    out = []
    for case in DET_CASES:
        out.extend(run_native(case, *case.make(rng)))
    return out


def test_deterministic_across_calls():
    assert_same_across_calls(_det_results)


def test_results_do_not_depend_on_the_thread_count(tmp_path):
    """Bitwise the same with 1, 3 OpenMP threads: the work split changes, the arithmetic does not."""
    assert_same_across_thread_counts("test_kernels_conv", _det_results, tmp_path, threads=("1", "3"))


def _supported_paths() -> list[str]:
    return supported_paths(NATIVE)


@pytest.mark.parametrize("path", ["portable", "avx2", "avx512"])
def test_every_cpu_path_matches_reference(path):
    if path not in _supported_paths():
        pytest.skip(f"CPU path {path!r} not available here (or the extension has no path control)")
    from tensorlite.kernels import cpu

    rng = np.random.default_rng(18)
    with cpu.force_path(path):
        assert NATIVE.kernel_paths().get("conv2d") == path
        assert NATIVE.conv2d_path() == path
        for case in CASES[::4] + DET_CASES:
            check_case(case, rng)


_ENV_PATH_SCRIPT = """
import json, numpy as np
import tensorlite._C as C
from tensorlite.kernels.conv import conv_forward_reference as ref
x = np.random.default_rng(0).standard_normal((2, 8, 9, 9)).astype(np.float32)
w = np.random.default_rng(1).standard_normal((16, 8, 3, 3)).astype(np.float32)
y = C.conv2d_forward(x, w, None, (1, 1), (1, 1), (1, 1), 1)
err = float(np.abs(y - ref(x.astype(np.float64), w.astype(np.float64), None, (1, 1), (1, 1), (1, 1), 1)).max())
print(json.dumps([C.conv2d_path(), C.kernel_paths()["conv2d"], err]))
"""


@pytest.mark.parametrize("path", ["portable", "avx2"])
def test_environment_variable_selects_the_path(path):
    if path not in _supported_paths():
        pytest.skip(f"CPU path {path!r} not available here")
    proc = run_script(_ENV_PATH_SCRIPT, TENSORLITE_CPU_PATH=path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    used, declared, err = json.loads(proc.stdout.strip().splitlines()[-1])
    assert used == declared == path
    assert err < 1e-4


# -- dispatch and errors ---------------------------------------------------------------------------------------------
def test_registered_and_selected():
    for name in ("conv2d_forward", "conv2d_backward_input", "conv2d_backward_weight"):
        assert "native" in K.available("cpu")[name]
        assert K.resolve(name).name == "native"  # the default on CPU: native before reference
        with K.use("native"):
            assert K.resolve(name).name == "native"


def test_bad_inputs_raise_naming_the_kernel():
    f32 = np.ones((2, 4, 6, 6), np.float32)
    w32 = np.ones((8, 4, 3, 3), np.float32)
    one = ((1, 1), (0, 0), (1, 1))
    with K.use("native"):
        with pytest.raises(TypeError, match="conv2d_forward.*same dtype.*float32.*float64"):
            conv2d_forward(f32, w32.astype(np.float64), None, *one, 1)
        with pytest.raises(TypeError, match="conv2d_forward.*bias float64"):
            conv2d_forward(f32, w32, np.ones(8), *one, 1)
        with pytest.raises(TypeError, match="conv2d_backward_input.*float32.*float16"):
            conv2d_backward_input(np.ones((2, 8, 4, 4), np.float32), w32.astype(np.float16), f32.shape, *one, 1)
        with pytest.raises(TypeError, match="conv2d_backward_weight native: expected NumPy arrays.*list"):
            conv2d_backward_weight(f32, [[1.0]], w32.shape, *one, 1)
        with pytest.raises(ValueError, match=r"conv2d_forward native: expected x to be 4-d, got shape \(4, 6, 6\)"):
            conv2d_forward(f32[0], w32, None, *one, 1)
        with pytest.raises(ValueError, match=r"conv2d_forward: .*\(2, 4, 6, 6\).*\(8, 3, 3, 3\).*groups=1"):
            conv2d_forward(f32, w32[:, :3], None, *one, 1)
        with pytest.raises(ValueError, match=r"conv2d_forward: .*groups=3"):
            conv2d_forward(f32, w32[:, :1], None, *one, 3)
        with pytest.raises(ValueError, match=r"conv2d_forward: bias has shape \(7,\), expected \(8,\)"):
            conv2d_forward(f32, w32, np.ones(7, np.float32), *one, 1)
        with pytest.raises(ValueError, match=r"conv2d_forward: the dilated kernel \(7, 7\) is larger than the padded "
                                             r"input \(6, 6\)"):
            conv2d_forward(f32, w32, None, (1, 1), (0, 0), (3, 3), 1)
        with pytest.raises(ValueError, match=r"conv2d_forward: stride must be >= 1, got \(0, 1\)"):
            conv2d_forward(f32, w32, None, (0, 1), (0, 0), (1, 1), 1)
        with pytest.raises(ValueError, match=r"conv2d_forward: padding must be >= 0"):
            conv2d_forward(f32, w32, None, (1, 1), (-1, 0), (1, 1), 1)
        with pytest.raises(ValueError, match=r"conv2d_backward_input: grad_out has shape \(2, 8, 3, 4\), expected "
                                             r"\(2, 8, 4, 4\)"):
            conv2d_backward_input(np.ones((2, 8, 3, 4), np.float32), w32, f32.shape, *one, 1)
        with pytest.raises(ValueError, match=r"conv2d_backward_input: input_shape must have 4 entries"):
            conv2d_backward_input(np.ones((2, 8, 4, 4), np.float32), w32, (2, 4, 6), *one, 1)
        with pytest.raises(ValueError, match=r"conv2d_backward_weight: grad_out has shape \(3, 8, 4, 4\)"):
            conv2d_backward_weight(f32, np.ones((3, 8, 4, 4), np.float32), w32.shape, *one, 1)
    # The extension checks what it is handed, the wrapper is not its only caller.
    with pytest.raises(TypeError, match="conv2d_forward: native kernel takes float32.*x of dtype float64"):
        NATIVE.conv2d_forward(f32.astype(np.float64), w32, None, *one, 1)
    with pytest.raises(ValueError, match="conv2d_backward_weight: expected x to be 4-d"):
        NATIVE.conv2d_backward_weight(f32[0], np.ones((2, 8, 4, 4), np.float32), w32.shape, *one, 1)


# -- the op registry's convolution entries under the native kernels --------------------------------------------------
ENTRIES = ("conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d")  # conv3d has no native kernel
CHECKS = ["gradcheck", "gradgradcheck", "parity-float32-contig", "parity-float32-noncontig",
          "parity-float64-contig", "parity-float64-noncontig", "errors"]


def _entry(name):
    from tensorlite.testing.opinfo import all_ops

    found = [info for info in all_ops() if info.name == name]
    if not found:
        pytest.skip(f"no {name} entry in the registry")
    return found[0]


@pytest.mark.parametrize("which", CHECKS)
@pytest.mark.parametrize("name", ENTRIES)
def test_registry_entries_with_native_kernels(name, which):
    """tests/test_ops.py's checks of the convolution entries, with every conv kernel forced to native."""
    from tensorlite.testing import check

    info = _entry(name)
    with K.use("native"):
        assert K.resolve("conv2d_forward").name == "native"
        try:
            if which == "gradcheck":
                check.check_gradcheck(info)
            elif which == "gradgradcheck":
                check.check_gradgradcheck(info)
            elif which == "errors":
                check.check_errors(info)
            else:
                _, dtype, layout = which.split("-")
                check.check_torch_parity(info, dtype, layout == "contig")
        except check.NotApplicable as exc:
            pytest.skip(str(exc))


# -- memory: workspaces are reused --------------------------------------------------------------------------------------
def test_workspace_is_reused_and_can_be_released():
    """A second call of the same shape allocates no new workspace (the first call's buffers are kept)."""
    if not Path("/proc/self/status").exists():
        pytest.skip("needs /proc (Linux)")
    script = """
import json, numpy as np
import tensorlite._C as C
def rss():
    return int(next(l for l in open('/proc/self/status') if l.startswith('VmRSS')).split()[1]) * 1024
x = np.ones((8, 64, 32, 32), np.float32); w = np.ones((64, 64, 3, 3), np.float32)
C.conv2d_forward(x, w, None, (1, 1), (1, 1), (1, 1), 1)
before = rss()
for _ in range(5):
    C.conv2d_forward(x, w, None, (1, 1), (1, 1), (1, 1), 1)
grown = rss() - before
C.conv2d_release_workspace()
y = C.conv2d_forward(x, w, None, (1, 1), (1, 1), (1, 1), 1)  # the workspaces are made again
print(json.dumps([grown, float(y[0, 0, 5, 5])]))
"""
    proc = run_script(script)
    assert proc.returncode == 0, proc.stderr[-2000:]
    grown, value = json.loads(proc.stdout.strip().splitlines()[-1])
    assert grown < 4 * 2**20, f"RSS grew by {grown} bytes over 5 calls of one shape"
    assert value == 64 * 9
