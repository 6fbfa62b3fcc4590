"""Every op of the registry, checked every way (see tensorlite/testing/check.py).

    test_gradcheck[add]                    first-order gradcheck, float64
    test_gradgradcheck[add]                second-order gradcheck
    test_parity[add-float32-noncontig]     forward + gradients vs PyTorch (float32/float64, contig/noncontig)
    test_errors[add]                       exception types for invalid inputs, vs PyTorch

A check that does not apply to an op (not differentiable, no error samples, dtype not
supported) is skipped with the reason. Entries with `extra={"slow": True}` are marked slow.
Run one op with `pytest tests/test_ops.py -k add`.
"""
from __future__ import annotations

import pytest

from tensorlite.testing import check
from tensorlite.testing.opinfo import all_ops

OPS = all_ops()


def _params(variants=None):
    params = []
    for info in OPS:
        marks = [pytest.mark.slow] if info.extra.get("slow") else []
        if variants is None:
            params.append(pytest.param(info, id=info.name, marks=marks))
        else:
            for values, suffix in variants:
                params.append(pytest.param(info, *values, id=f"{info.name}-{suffix}", marks=marks))
    return params


PARITY_VARIANTS = [((d, c), f"{d}-{'contig' if c else 'noncontig'}")
                   for d in ("float32", "float64", "bfloat16") for c in (True, False)]


def _run(fn, *args):
    try:
        fn(*args)
    except check.NotApplicable as exc:
        pytest.skip(str(exc))


@pytest.mark.parametrize("info", _params())
def test_gradcheck(info):
    _run(check.check_gradcheck, info)


@pytest.mark.parametrize("info", _params())
def test_gradgradcheck(info):
    _run(check.check_gradgradcheck, info)


@pytest.mark.parametrize("info, dtype, contiguous", _params(PARITY_VARIANTS))
def test_parity(info, dtype, contiguous):
    _run(check.check_torch_parity, info, dtype, contiguous)


@pytest.mark.parametrize("info", _params())
def test_errors(info):
    _run(check.check_errors, info)


def test_registry_names_are_unique():
    names = [info.name for info in OPS]
    dupes = sorted({n for n in names if names.count(n) > 1})
    assert not dupes, f"registry entries share names (test ids would be ambiguous): {dupes}"
