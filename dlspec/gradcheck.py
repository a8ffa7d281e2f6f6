"""Gradient conformance: a backend's vector-Jacobian product of a spec operation against
float64 central finite differences of the reference (tolerance:
:func:`dlspec.tolerance.finite_difference`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from dlspec import testing
from dlspec.api import Backend
from dlspec.checks import ORACLE
from dlspec.compare import ConformanceError, check_values
from dlspec.tolerance import FD_STEP, finite_difference


def _reference_output(name: str, args: Sequence[Any], kwargs: dict[str, Any]) -> np.ndarray:
    wrapped = [ORACLE.asarray(a) if isinstance(a, np.ndarray) else a for a in args]
    return np.asarray(ORACLE.to_numpy(getattr(ORACLE, name)(*wrapped, **kwargs)), dtype=np.float64)


def numerical_vjp(name: str, args: Sequence[Any], kwargs: dict[str, Any], wrt: int, cotangent: np.ndarray) -> np.ndarray:
    """``d/dx_j Σ cotangent·f(x)`` for every element of ``args[wrt]``, by central differences
    of the reference operation ``name`` with step ``FD_STEP·max(1, |x_j|)``."""
    x = np.asarray(args[wrt], dtype=np.float64)
    grad = np.zeros_like(x)
    for j in np.ndindex(x.shape):
        h = FD_STEP * max(1.0, abs(float(x[j])))
        sides = []
        for sign in (1.0, -1.0):
            moved = x.copy()
            moved[j] += sign * h
            sides.append(float(np.sum(cotangent * _reference_output(name, [*args[:wrt], moved, *args[wrt + 1:]], kwargs))))
        grad[j] = (sides[0] - sides[1]) / (2 * h)
    return grad


def check_gradient(backend: Backend, name: str, args: Sequence[Any], *, wrt: Sequence[int] = (0,),
                   kwargs: dict[str, Any] | None = None, seed: int = 0) -> None:
    """Check the backend's gradient of spec operation ``name`` at ``args`` (NumPy float64
    arrays for tensors, anything else passed through) with respect to ``args[i]`` for ``i``
    in ``wrt``, contracted with a seeded random cotangent.  Skips, as *not applicable*,
    backends that declare no autograd, and as *not implemented* when the op is missing."""
    testing.require(backend, "autograd")
    testing.op(backend, name)  # counts the op, or skips it as not implemented
    fn = getattr(backend, name)  # unguarded: the primals may be tracers
    kwargs = dict(kwargs or {})
    out = _reference_output(name, args, kwargs)
    cotangent = np.random.default_rng(seed).standard_normal(out.shape)
    scale = float(np.sum(np.abs(cotangent * out)))
    # Integer arrays (indices, targets) stay integers; everything else is differentiated in float64.
    converted = [backend.asarray(a, "float64" if a.dtype.kind == "f" else "int64") if isinstance(a, np.ndarray) else a
                 for a in args]

    def partial(*primals: Any) -> Any:
        full = list(converted)
        for i, p in zip(wrt, primals):
            full[i] = p
        return fn(*full, **kwargs)

    inputs = ", ".join(f"array{np.shape(a)}" if isinstance(a, np.ndarray) else repr(a) for a in args)
    try:
        grads = backend.vjp(partial, [converted[i] for i in wrt], backend.asarray(cotangent, "float64"))
    except Exception as exc:
        raise ConformanceError(f"{backend.name}: the gradient of {name} raised {type(exc).__name__}: {exc}\n"
                               f"{testing.reproduction(backend, f'vjp of {name}', inputs)}") from exc
    for i, got in zip(wrt, grads):
        want = numerical_vjp(name, args, kwargs, i, cotangent)
        _compare(backend, got, want, scale, f"d/d(argument {i}) of {name}", inputs)


def _compare(backend: Backend, got: Any, want: np.ndarray, scale: float, what: str, inputs: str) -> None:
    repro = testing.reproduction(backend, what, inputs)
    if backend.shape(got) != want.shape:
        raise ConformanceError(f"{backend.name} {what}: gradient shape {backend.shape(got)}, expected {want.shape}\n{repro}")
    values = np.asarray(backend.to_numpy(got), dtype=np.float64)
    check_values(values, want, finite_difference(scale), "float64", None, f"{backend.name} {what}", repro)
