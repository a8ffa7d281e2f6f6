"""Perf: LayerNorm and softmax over the last dim of the run's matrix (catalogue NR01 NR08).

Both are memory-bound: they read each element once and write it once, ``2·s·rows·cols``
bytes for ``s`` bytes per element, reported as GB/s and as a fraction of the device's copy
bandwidth.  With ``--benchmark-disable`` the result is checked against the reference in
float64 under the conformance bounds of ``conformance/test_normalization.py``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from conformance.test_normalization import layer_norm_bound, log_softmax_bound, softmax_bound
from dlspec import bench, testing
from dlspec.checks import Bound
from dlspec.compare import assert_conforms
from dlspec.strategies import distinct_values
from reference import normalization as ref
from reference.dtypes import round_to

spec = pytest.mark.spec


def check(perf: bench.Perf, actual: Any, values: np.ndarray, rule: Any, rest: list[Any], bound: Bound, op: str) -> None:
    """With benchmarks disabled, ``actual`` against ``rule`` on ``values`` in float64."""
    if perf.benchmark.enabled:
        return
    args = [values, *rest]
    expected = rule(*args)
    ((terms, scale),) = bound(args, {}, (expected,))
    lowp = round_to(expected, perf.dtype) if perf.dtype in ("float16", "bfloat16") else None
    assert_conforms(perf.backend, actual, expected, op=op, dtype=perf.dtype, terms=terms, scale=scale,
                    lowp_expected=lowp)


def _input(perf: bench.Perf) -> tuple[tuple[int, int], np.ndarray, Any]:
    """The run's matrix shape, its values scaled into [-4, 4] (float64) and the backend array."""
    shape = perf.matrix_shape()
    values = np.asarray(round_to(distinct_values(shape, "float64") / 32, perf.dtype), dtype=np.float64)
    return shape, values, perf.backend.asarray(values, dtype=perf.dtype)


@spec("NR01")
def test_layer_norm(perf, backend):
    """NR01: LayerNorm over the last dim with weight and bias: 2 passes of the matrix's bytes."""
    fn = testing.op(backend, "layer_norm")
    shape, values, x = _input(perf)
    w_np, b_np = np.linspace(0.5, 1.5, shape[1]), np.linspace(-1, 1, shape[1])
    w, b = (backend.asarray(np.asarray(round_to(p, perf.dtype)), dtype=perf.dtype) for p in (w_np, b_np))
    out = perf.measure(lambda: fn(x, (shape[1],), w, b), shape=shape, bytes_min=2 * perf.nbytes(shape))
    rest = [(shape[1],), *(np.asarray(round_to(p, perf.dtype), dtype=np.float64) for p in (w_np, b_np)), 1e-5]
    check(perf, out, values, ref.layer_norm, rest, layer_norm_bound, f"layer_norm of {shape}")


@spec("NR08")
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax(perf, backend, name):
    """NR08: softmax / log_softmax over the last dim: 2 passes of the matrix's bytes."""
    fn = testing.op(backend, name)
    shape, values, x = _input(perf)
    out = perf.measure(lambda: fn(x, -1), shape=shape, bytes_min=2 * perf.nbytes(shape))
    bound = {"softmax": softmax_bound, "log_softmax": log_softmax_bound}[name]
    check(perf, out, values, getattr(ref, name), [-1], bound, f"{name} of {shape}")
