"""Generate the polynomial that ``kernels/special.py`` uses for erfc on z >= 0.5.

Run once by hand (needs ``mpmath``, which the dev install pulls in with torch):

    .venv/bin/python kernels/gen_erfc_coeffs.py

Math.  For z >= Z0 = 0.5 write

    t = 2 / (2 + z)            in (0, 0.8]
    y = 2 t / 0.8 - 1          in (-1, 1]
    erfc(z) = t * exp(-z**2 + g(y))

g is smooth on [-1, 1], including the end y = -1 (z = inf), where
erfc(z) ~ exp(-z**2) / (z sqrt(pi)) and z t -> 2 give g(-1) = -log(2 sqrt(pi)).
This is the change of variable of Numerical Recipes' ``erfccheb`` restricted
to z >= 0.5 (smaller z uses the Taylor series of erf), which needs fewer terms.

g is expanded in Chebyshev polynomials at 40-digit precision (interpolation at
the Chebyshev nodes), truncated where the coefficients fall below 1e-17, and
converted to the monomial basis in y.  The conversion is well conditioned here
(sum of |monomial coefficients| < 2), so Horner's rule in float64 evaluates g to
about 2e-16 absolute, which is the relative error it contributes to erfc.
"""

from __future__ import annotations

import mpmath as mp

Z0 = mp.mpf("0.5")
K = mp.mpf(2)
T0 = K / (K + Z0)  # 0.8
NODES = 60
CUTOFF = mp.mpf("1e-17")


def g(y: mp.mpf) -> mp.mpf:
    t = (y + 1) / 2 * T0
    if t == 0:
        return -mp.log(K * mp.sqrt(mp.pi))
    z = K / t - K
    return mp.log(mp.erfc(z) / t) + z * z


def chebyshev_coefficients(n: int) -> list[mp.mpf]:
    theta = [mp.pi * (j + mp.mpf(1) / 2) / n for j in range(n)]
    values = [g(mp.cos(th)) for th in theta]
    return [2 * mp.fsum(v * mp.cos(k * th) for v, th in zip(values, theta)) / n for k in range(n)]


def to_monomial(cheb: list[mp.mpf]) -> list[mp.mpf]:
    """sum' c_k T_k(y) (first term halved) as coefficients of 1, y, y**2, ..."""
    polys = [[mp.mpf(1)], [mp.mpf(0), mp.mpf(1)]]  # T_0, T_1
    while len(polys) < len(cheb):
        a = [mp.mpf(0)] + [2 * v for v in polys[-1]]  # 2 y T_{k-1}
        b = polys[-2] + [mp.mpf(0)] * (len(a) - len(polys[-2]))
        polys.append([u - v for u, v in zip(a, b)])
    mono = [mp.mpf(0)] * len(cheb)
    for k, c in enumerate(cheb):
        w = c / 2 if k == 0 else c
        for i, v in enumerate(polys[k]):
            mono[i] += w * v
    return mono


def main() -> None:
    mp.mp.dps = 40
    cheb = chebyshev_coefficients(NODES)
    n = max(k for k, c in enumerate(cheb) if abs(c) > CUTOFF) + 1
    mono = to_monomial(cheb[:n])
    print(f"# {n} terms; last Chebyshev coefficient kept: {mp.nstr(cheb[n - 1], 3)}")
    print("_ERFC_G = (  # coefficients of y**0, y**1, ...")
    for c in mono:
        print(f"    {float(c)!r},")
    print(")")


if __name__ == "__main__":
    main()
