#!/usr/bin/env python3
"""Fits the polynomial coefficients of relax-targets' math library.

Writes `src/llvm/math/coefficients.rs`. Run from the crate root:

    python3 tools/fit_math_polynomials.py > src/llvm/math/coefficients.rs

Each approximation is a weighted least-squares fit on Chebyshev nodes, done in
50-digit arithmetic (mpmath), which lands within a small factor of the minimax
polynomial. The weight turns the error of the fitted piece into the relative
error of the final function. The degree chosen is the smallest whose fit error
is below 2^-27 (f32) or 2^-57 (f64), a sixteenth of an ulp; the error reported
for each table is measured after rounding the coefficients to the target
precision (rounding the leading coefficient alone costs up to half an ulp), and
the evaluation's own rounding adds about one ulp on top. Coefficients are
rounded one at a time, lowest degree first, each time refitting the higher ones
to absorb the rounding error.
"""

import mpmath as mp

mp.mp.dps = 50

F32_BUDGET = mp.mpf(2) ** -27
F64_BUDGET = mp.mpf(2) ** -57
NODES = 160


def round_to(value, bits):
    """Rounds to a binary float with `bits` significant bits (24 or 53)."""
    if value == 0:
        return mp.mpf(0)
    m, e = mp.frexp(value)
    scale = mp.mpf(2) ** bits
    return mp.ldexp(mp.nint(m * scale), e - bits)


def fit(g, w, a, b, degree, center, scale, fixed=()):
    """Coefficients c_k of sum c_k s^k, s = (v - center) / scale, fitting g on [a, b].

    The first coefficients may be `fixed`; the others are fitted to what they leave."""
    nodes = [(a + b) / 2 + (b - a) / 2 * mp.cos(mp.pi * (k + mp.mpf(1) / 2) / NODES) for k in range(NODES)]
    rows = mp.matrix(NODES, degree + 1 - len(fixed))
    rhs = mp.matrix(NODES, 1)
    for i, v in enumerate(nodes):
        s = (v - center) / scale
        weight = w(v)
        for k in range(degree + 1 - len(fixed)):
            rows[i, k] = weight * s ** (k + len(fixed))
        rhs[i] = weight * (g(v) - sum(c * s**j for j, c in enumerate(fixed)))
    solution = mp.qr_solve(rows, rhs)[0]
    return list(fixed) + [solution[k] for k in range(degree + 1 - len(fixed))]


def fit_rounded(g, w, a, b, degree, center, scale, bits):
    """Rounds one coefficient at a time, lowest first, refitting the rest to absorb its error."""
    fixed = []
    for k in range(degree + 1):
        fixed.append(round_to(fit(g, w, a, b, degree, center, scale, fixed)[k], bits))
    return fixed


def max_error(g, w, a, b, coeffs, center, scale):
    worst = mp.mpf(0)
    for k in range(801):
        v = a + (b - a) * k / 800
        s = (v - center) / scale
        p = mp.mpf(0)
        for c in reversed(coeffs):
            p = p * s + c
        worst = max(worst, abs(p - g(v)) * w(v))
    return worst


def best_fit(name, g, w, a, b, bits, center=0, scale=1):
    budget = F32_BUDGET if bits == 24 else F64_BUDGET
    a, b, center, scale = mp.mpf(a), mp.mpf(b), mp.mpf(center), mp.mpf(scale)
    for degree in range(2, 40):
        exact = fit(g, w, a, b, degree, center, scale)
        if max_error(g, w, a, b, exact, center, scale) < budget:
            coeffs = fit_rounded(g, w, a, b, degree, center, scale, bits)
            return name, coeffs, max_error(g, w, a, b, coeffs, center, scale), (a, b), center, scale
    raise SystemExit(f"{name}: no degree below 40 meets the budget")


def safe(f, at_zero):
    return lambda v: at_zero if v == 0 else f(v)


def exp_tail(r):
    # (e^r - 1 - r) / r^2, so e^r = 1 + r + r^2 P(r) and expm1(r) = r + r^2 P(r).
    return safe(lambda r: (mp.exp(r) - 1 - r) / r**2, mp.mpf(1) / 2)(r)


def log_tail(z):
    # log(1 + f) = 2s + s^3 Q(s^2) with s = f / (2 + f): Q(z) = (2 atanh(s) - 2s) / s^3.
    return safe(lambda z: (2 * mp.atanh(mp.sqrt(z)) - 2 * mp.sqrt(z)) / mp.sqrt(z) ** 3, mp.mpf(2) / 3)(z)


def sin_tail(z):
    # sin(r) = r + r^3 S(r^2).
    return safe(lambda z: (mp.sin(mp.sqrt(z)) - mp.sqrt(z)) / mp.sqrt(z) ** 3, -mp.mpf(1) / 6)(z)


def cos_tail(z):
    # cos(r) = 1 - r^2/2 + r^4 C(r^2).
    return safe(lambda z: (mp.cos(mp.sqrt(z)) - 1 + z / 2) / z**2, mp.mpf(1) / 24)(z)


def atan_tail(z):
    # atan(t) = t + t^3 A(t^2).
    return safe(lambda z: (mp.atan(mp.sqrt(z)) - mp.sqrt(z)) / mp.sqrt(z) ** 3, -mp.mpf(1) / 3)(z)


def erf_small(u):
    # erf(x) = x P(x^2) for |x| <= 1.
    return safe(lambda u: mp.erf(mp.sqrt(u)) / mp.sqrt(u), 2 / mp.sqrt(mp.pi))(u)


def erfc_scaled(x):
    # erf(x) = 1 - exp(-x^2) Q(x) on the middle range.
    return mp.erfc(x) * mp.exp(x * x)


def erfc_tail(t):
    # erf(x) = 1 - exp(-x^2) R(1/x^2) / x on the far range.
    x = 1 / mp.sqrt(t)
    return x * mp.erfc(x) * mp.exp(x * x)


LN2_HALF = mp.log(2) / 2 + mp.mpf(2) ** -12
PI_QUARTER = mp.pi / 4 + mp.mpf(2) ** -12
# atan's reduced argument: |t| <= tan(pi/8), plus room for the rounding of the reduction.
TAN_PI_8 = mp.tan(mp.pi / 8) + mp.mpf(2) ** -20
S_MAX = (mp.sqrt(2) - 1) / (mp.sqrt(2) + 1) + mp.mpf(2) ** -20


def erf_middle_weight(x):
    return mp.exp(-x * x) / mp.erf(x)


def erf_tail_weight(t):
    x = 1 / mp.sqrt(t)
    return mp.exp(-x * x) / x / mp.erf(x)


FITS = [
    best_fit("EXP_F32", exp_tail, lambda r: r * r / mp.exp(r), -LN2_HALF, LN2_HALF, 24),
    best_fit("EXP_F64", exp_tail, lambda r: r * r / mp.exp(r), -LN2_HALF, LN2_HALF, 53),
    best_fit("LOG_F32", log_tail, lambda z: z / 2, 0, S_MAX**2, 24),
    best_fit("LOG_F64", log_tail, lambda z: z / 2, 0, S_MAX**2, 53),
    best_fit("SIN_F64", sin_tail, lambda z: z, 0, PI_QUARTER**2, 53),
    best_fit("COS_F64", cos_tail, lambda z: z * z, 0, PI_QUARTER**2, 53),
    best_fit("ATAN_F64", atan_tail, lambda z: z, 0, TAN_PI_8**2, 53),
    best_fit("ERF_SMALL_F32", erf_small, lambda u: 1 / erf_small(u), 0, 1, 24),
    best_fit("ERF_SMALL_F64", erf_small, lambda u: 1 / erf_small(u), 0, 1, 53),
    # f32: erf rounds to 1 beyond 4 (erfc(4) < 2^-26), so one middle piece suffices.
    best_fit("ERF_MIDDLE_F32", erfc_scaled, erf_middle_weight, 1, 4, 24, center=mp.mpf(5) / 2, scale=mp.mpf(3) / 2),
    best_fit("ERF_MIDDLE_F64", erfc_scaled, erf_middle_weight, 1, 2, 53, center=mp.mpf(3) / 2, scale=mp.mpf(1) / 2),
    # f64: [2, 6] in t = 1/x^2; erf rounds to 1 beyond 6.
    best_fit(
        "ERF_TAIL_F64",
        erfc_tail,
        erf_tail_weight,
        mp.mpf(1) / 36,
        mp.mpf(1) / 4,
        53,
        center=(mp.mpf(1) / 36 + mp.mpf(1) / 4) / 2,
        scale=(mp.mpf(1) / 4 - mp.mpf(1) / 36) / 2,
    ),
]


def rust_float(value):
    """The shortest decimal that reads back as exactly this double (f32 values included)."""
    return repr(float(value))


def main():
    print("//! Polynomial coefficients of the math library, lowest degree first.")
    print("//!")
    print("//! GENERATED by `tools/fit_math_polynomials.py` (weighted least squares on")
    print("//! Chebyshev nodes in 50-digit arithmetic); do not edit by hand. Each table")
    print("//! says what it approximates, on which range, in which variable, and the")
    print("//! largest error of the final function it contributes after the")
    print("//! coefficients are rounded to the target precision. f32 tables hold")
    print("//! values exactly representable in f32.")
    print()
    print("// A fitted leading coefficient can coincide with a named constant (2/sqrt(pi)).")
    print("#![allow(clippy::approx_constant)]")
    print()
    print("use super::poly::Polynomial;")
    for name, coeffs, err, (a, b), center, scale in FITS:
        print()
        print(f"/// {DOCS[name.rsplit('_', 1)[0]]}")
        print(f"/// Range [{mp.nstr(a, 8)}, {mp.nstr(b, 8)}], degree {len(coeffs) - 1}, weighted error {mp.nstr(err, 3)}.")
        print(f"pub const {name}: Polynomial = Polynomial {{")
        print(f"    center: {rust_float(center)},")
        print(f"    scale: {rust_float(scale)},")
        print("    coefficients: &[")
        for c in coeffs:
            print(f"        {rust_float(c)},")
        print("    ],")
        print("};")


DOCS = {
    "EXP": "`P(r) = (e^r - 1 - r) / r^2`, so `e^r = 1 + r + r^2 P(r)`.",
    "LOG": "`Q(z) = (2 atanh(s) - 2s) / s^3` at `z = s^2`, so `log(1 + f) = 2s + s^3 Q(s^2)` with `s = f / (2 + f)`.",
    "SIN": "`S(z) = (sin r - r) / r^3` at `z = r^2`.",
    "COS": "`C(z) = (cos r - 1 + r^2 / 2) / r^4` at `z = r^2`.",
    "ATAN": "`A(z) = (atan t - t) / t^3` at `z = t^2`.",
    "ERF_SMALL": "`P(u) = erf(x) / x` at `u = x^2`, for `|x| <= 1`.",
    "ERF_MIDDLE": "`Q(x) = erfc(x) e^(x^2)`, so `erf(x) = 1 - e^(-x^2) Q(x)`.",
    "ERF_TAIL": "`R(t) = x erfc(x) e^(x^2)` at `t = 1 / x^2`, so `erf(x) = 1 - e^(-x^2) R(t) / x`.",
}

if __name__ == "__main__":
    main()
