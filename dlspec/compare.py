"""``assert_conforms``: the single comparison every conformance test makes.

It checks, in order, the shape, the dtype (canonical names, see :data:`dlspec.api.DTYPES`)
and the values under :mod:`dlspec.tolerance`, and on failure reports the largest absolute
and relative error, where it occurs, the tolerance rule used and a line to reproduce it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlspec import tolerance
from dlspec.api import Backend
from dlspec.testing import record, reproduction


class ConformanceError(AssertionError):
    """A backend result that differs from the reference."""


def assert_conforms(
    backend: Backend,
    actual: Any,
    expected: np.ndarray,
    *,
    op: str,
    dtype: str | None = None,
    exact: bool = False,
    terms: int = 0,
    scale: np.ndarray | float = 0.0,
    lowp_expected: np.ndarray | None = None,
    products: str | None = None,
    inputs: str = "",
) -> None:
    """Assert that backend array ``actual`` matches reference values ``expected``.

    ``dtype`` is the canonical dtype the result must have (default: ``expected``'s);
    ``exact`` demands equal bits (data movement); ``terms``/``scale`` describe accumulation
    for the tolerance policy; ``lowp_expected`` is the reference evaluated in the result's
    low precision, enabling the float16/bfloat16 error-ratio rule; ``products`` is the
    backend's declared precision of float32 products (``"tf32"`` widens the bound, see
    :func:`dlspec.tolerance.for_dtype`).
    """
    expected = np.asarray(expected)
    want_dtype = dtype or expected.dtype.name
    where = f"{backend.name} {op}"
    repro = reproduction(backend, op, inputs)
    shape = backend.shape(actual)
    if shape != expected.shape:
        raise ConformanceError(f"{where}: shape {shape}, expected {expected.shape}\n{repro}")
    got_dtype = backend.dtype_name(actual)
    if got_dtype != want_dtype:
        raise ConformanceError(f"{where}: dtype {got_dtype}, expected {want_dtype}\n{repro}")
    values = backend.to_numpy(actual)
    tol = tolerance.exact() if exact else tolerance.for_dtype(want_dtype, terms=terms, scale=scale, products=products)
    check_values(values, expected, tol, want_dtype, lowp_expected, where, repro)


def check_values(
    values: np.ndarray,
    expected: np.ndarray,
    tol: tolerance.Tolerance,
    dtype: str,
    lowp_expected: np.ndarray | None,
    where: str,
    repro: str,
) -> None:
    if tol.rule == "exact" or values.dtype.kind in "biu":
        same = (values == expected) | (_isnan(values) & _isnan(expected))
        if not np.all(same):
            bad = np.argwhere(~np.asarray(same))[0]
            raise ConformanceError(
                f"{where}: values differ (exact comparison) at index {tuple(int(i) for i in bad)}: "
                f"got {values[tuple(bad)].tolist()!r}, expected {expected[tuple(bad)].tolist()!r}; "
                f"{int(np.sum(~same))} of {same.size} elements differ\n{repro}"
            )
        return
    got, want = values.astype(np.complex128 if values.dtype.kind == "c" else np.float64), expected
    nan_mismatch = _isnan(got) != _isnan(want)
    inf_mismatch = np.isinf(want) & (got != want)
    with np.errstate(invalid="ignore", over="ignore"):
        # A NaN where the reference has a number is an infinite error, not an unordered one.
        err = np.where(_isnan(want) | np.isinf(want), 0.0, np.where(_isnan(got), np.inf, np.abs(got - want)))
    bound = tol.bound(np.where(np.isfinite(want), want, 0.0)) * np.ones_like(err)
    rule = tol.rule
    if dtype in tolerance.LOW_PRECISION and lowp_expected is not None:
        ref_err = np.max(np.abs(np.asarray(lowp_expected, dtype=np.float64) - want), initial=0.0)
        bound = np.maximum(bound, tolerance.LOWP_FACTOR * ref_err)
        rule += f", or {tolerance.LOWP_FACTOR:g}× the {dtype} reference's max error {ref_err:.3g}"
    failing = nan_mismatch | inf_mismatch | (err > bound)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(err > 0, err / bound, 0.0)
    record("dlspec_error", {"op": where, "max_abs_err": float(np.max(err, initial=0.0)),
                            "error_over_tolerance": float(np.max(ratio, initial=0.0)), "rule": rule})
    if np.any(failing):
        worst = np.unravel_index(int(np.argmax(np.where(failing, err - bound, -np.inf))), err.shape) if err.ndim else ()
        rel = err / np.maximum(np.abs(want), np.finfo(np.float64).tiny)
        nans = int(np.sum(nan_mismatch & _isnan(got)))
        raise ConformanceError(
            f"{where}: {int(np.sum(failing))} of {err.size} elements out of tolerance"
            + (f" ({nans} NaN where the reference has a number)" if nans else "") + "; "
            f"max abs err {np.max(err):.3g}, max rel err {np.nanmax(rel):.3g}; worst at index {tuple(int(i) for i in worst)}: "
            f"got {got[worst].item()!r}, expected {want[worst].item()!r}, allowed {bound[worst]:.3g}; tolerance: {rule}\n{repro}"
        )


def _isnan(a: np.ndarray) -> np.ndarray:
    return np.isnan(a) if np.asarray(a).dtype.kind in "fc" else np.zeros(np.shape(a), dtype=bool)
