"""The one tolerance policy every value comparison uses.

For a result of floating dtype with machine epsilon ``eps`` (from the bit layout,
:func:`reference.dtypes.eps`), an element passes when

    |actual - expected| <= ULPS * eps * |expected| + terms * eps * scale + smallest_normal

* ``ULPS * eps * |expected|``: the result may be a few units in the last place off the
  exactly rounded value (``ULPS = 4``; a correctly rounded result is within 0.5).
* ``terms * eps * scale``: an operation that accumulates ``terms`` products or summands may
  add the classical error of recursive summation, ``n * eps * Σ|term|`` (Higham, Thm 4.4);
  ``scale`` is that ``Σ|term|``, computed by the reference.  Zero for element-wise ops.
* ``smallest_normal``: results below the normal range are compared in absolute terms.

Integers and booleans, and any operation that only moves data (views, copies, indexing),
are compared exactly.

For float16 and bfloat16, the flash-attention rule is applied on top: the backend's largest
error against the float64 reference may be at most ``LOWP_FACTOR`` times the largest error of
the reference evaluated in that same low precision (inputs and output rounded, arithmetic in
float32) — or the eps bound above, whichever is larger.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reference.dtypes import LAYOUT, eps, smallest_normal

ULPS = 4
LOWP_FACTOR = 2.0
LOW_PRECISION = ("float16", "bfloat16")
#: Relative error of a product of two float32 values each rounded to TF32 (unit roundoff 2⁻¹¹).
TF32_PRODUCT_ERROR = 2 * 2.0**-11


@dataclass(frozen=True)
class Tolerance:
    """An element-wise bound ``atol + rtol * |expected|`` and the rule that produced it."""

    rtol: float
    atol: np.ndarray | float
    rule: str

    def bound(self, expected: np.ndarray) -> np.ndarray:
        return self.atol + self.rtol * np.abs(expected)


def exact() -> Tolerance:
    """Bit-for-bit equality (NaN equals NaN)."""
    return Tolerance(0.0, 0.0, "exact")


def for_dtype(dtype: str, *, terms: int = 0, scale: np.ndarray | float = 0.0, products: str | None = None) -> Tolerance:
    """The policy's bound for a result of ``dtype`` accumulating ``terms`` terms of total
    magnitude ``scale``; exact for non-floating dtypes.  ``products="tf32"``: the backend
    declares that it rounds float32 factors to TF32 (10 mantissa bits, NVIDIA's tensor-core
    default for cuDNN convolutions) before multiplying, which adds ``2·u_tf32·Σ|term|``
    (``u_tf32 = 2⁻¹¹``, the rounding of both factors) to the accumulation term."""
    if terms < 0:
        raise ValueError(f"terms must be >= 0, got {terms}")
    if products not in (None, "ieee", "tf32"):
        raise ValueError(f"products must be None, 'ieee' or 'tf32', got {products!r}")
    base = {"complex64": "float32", "complex128": "float64"}.get(dtype, dtype)
    if base not in LAYOUT:
        return exact()
    e = eps(base)
    per_term = terms * e + (TF32_PRODUCT_ERROR if products == "tf32" and base == "float32" and terms else 0.0)
    atol = per_term * np.asarray(scale, dtype=np.float64) + smallest_normal(base)
    rule = f"{ULPS} ulp·|expected|" + (f" + {terms}·eps·Σ|term|" if terms else "")
    if per_term > terms * e:
        rule += " + 2·u_tf32·Σ|term| (declared tf32 products)"
    return Tolerance(ULPS * e, atol, rule + f" + tiny ({base}, eps={e:.3g})")


#: Relative step of the central finite differences that gradients are checked against.
FD_STEP = float(np.finfo(np.float64).eps) ** (1 / 3)


def finite_difference(scale: np.ndarray | float) -> Tolerance:
    """The bound for a float64 gradient compared with central finite differences of the
    reference: ``sqrt(eps) * (|expected| + scale)``, ``scale`` being ``Σ|cotangent·output|``.

    A central difference with step ``h = eps^(1/3)·max(1, |x|)`` is off by about
    ``eps^(2/3)·scale`` (truncation ``h²·|f'''|/6`` plus rounding ``eps·|f|/h``); the bound
    allows ``sqrt(eps)``, two hundred times that, and still catches any wrong derivative."""
    e = eps("float64")
    return Tolerance(float(np.sqrt(e)), float(np.sqrt(e)) * np.asarray(scale, dtype=np.float64) + smallest_normal("float64"),
                     f"finite differences: sqrt(eps)·(|expected| + Σ|cotangent·output|) (float64, step eps^(1/3)={FD_STEP:.2g})")
