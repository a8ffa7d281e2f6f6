"""Perf: convolution by unfold + einsum, by unfold + matmul and by conv2d (catalogue E09),
and an einsum contraction against the equivalent matmul (E02; U02 claims einsum is slower).

A convolution of an (N, C, H, W) input with a (K, C, R, S) weight into (N, K, P, Q) does
2·N·K·P·Q·C·R·S FLOPs, reported as TFLOP/s.  Its algorithmic minimum of bytes is the input,
weight and output; the two unfold routes also write the im2col matrix, N·C·R·S·P·Q·s bytes,
and read it back, so their ``bytes_min`` counts it twice and ``extra_info["im2col_bytes"]``
records it.  Inputs are random normal values in the workload's dtype.  With
``--benchmark-disable`` each workload runs once at a small size and is checked against
``reference.einsum`` under the tolerance policy (these are accumulations, not data movement,
so :meth:`dlspec.bench.Perf.check`'s exact comparison does not apply).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from dlspec import bench, testing
from dlspec.api import Backend
from dlspec.checks import ORACLE
from dlspec.compare import assert_conforms
from dlspec.tolerance import LOW_PRECISION
from reference.dtypes import round_to

spec = pytest.mark.spec

#: (N, C, H, W, K, R, S): small when benchmarks are disabled, else per device.
CONV_SIZES = {"small": (2, 4, 8, 8, 4, 3, 3), "cpu": (8, 32, 32, 32, 32, 3, 3), "cuda": (32, 128, 56, 56, 128, 3, 3)}
#: Attention scores (batch, heads, queries, keys, head size), the same way.
SCORE_SIZES = {"small": (2, 2, 8, 8, 4), "cpu": (4, 8, 256, 256, 64), "cuda": (16, 16, 1024, 1024, 128)}


def _size(perf: bench.Perf, sizes: dict[str, tuple[int, ...]]) -> tuple[int, ...]:
    if not perf.benchmark.enabled:
        return sizes["small"]
    return sizes.get(perf.backend.device, sizes["cpu"])


def _inputs(perf: bench.Perf, *shapes: tuple[int, ...]) -> tuple[list[Any], list[np.ndarray]]:
    """Random normal arrays on the backend in the workload's dtype, and their float64 values."""
    rng = np.random.default_rng(0)
    values = [round_to(rng.standard_normal(shape), perf.dtype) for shape in shapes]
    return [perf.backend.asarray(v, dtype=perf.dtype) for v in values], values


def _check(perf: bench.Perf, actual: Any, reference: Callable[..., Any], values: list[np.ndarray], *, terms: int,
           op: str) -> None:
    """When benchmarks are disabled, ``actual`` against ``reference`` (an ORACLE call on the
    inputs' float64 values) under the tolerance policy: ``terms`` products summed, their
    magnitude the same call on the absolute values."""
    if perf.benchmark.enabled:
        return
    expected = ORACLE.to_numpy(reference(*(ORACLE.asarray(v) for v in values)))
    scale = ORACLE.to_numpy(reference(*(ORACLE.asarray(np.abs(v)) for v in values)))
    lowp = round_to(expected, perf.dtype) if perf.dtype in LOW_PRECISION else None
    assert_conforms(perf.backend, actual, expected, op=op, dtype=perf.dtype, terms=terms, scale=scale, lowp_expected=lowp)


def _convolution(backend: Backend, route: str, x: Any, weight: Any, shapes: tuple[int, ...]) -> Callable[[], Any]:
    """The workload of one route.  The unfold routes flatten the weight once, outside the
    timed region, as a layer would keep it."""
    n, c, _, _, k, r, s, p, q = shapes
    if route == "conv2d":
        conv2d = testing.op(backend, "conv2d")
        return lambda: conv2d(x, weight)
    unfold, reshape = testing.op(backend, "unfold"), testing.op(backend, "reshape")
    flat = reshape(weight, (k, c * r * s))
    if route == "unfold+einsum":
        einsum = testing.op(backend, "einsum")
        return lambda: reshape(einsum("oc,bcn->bon", flat, unfold(x, (r, s))), (n, k, p, q))
    matmul = testing.op(backend, "matmul_nd")
    return lambda: reshape(matmul(flat, unfold(x, (r, s))), (n, k, p, q))


@spec("E09")
@pytest.mark.parametrize("route", ["unfold+einsum", "unfold+matmul", "conv2d"])
def test_convolution(perf, backend, route):
    """E09: one convolution three ways: unfold then einsum('oc,bcn->bon'), unfold then a
    broadcast matmul (K, C·R·S) @ (N, C·R·S, L), and the library's conv2d."""
    n, c, h, w, k, r, s = _size(perf, CONV_SIZES)
    p, q = h - r + 1, w - s + 1
    (x, weight), values = _inputs(perf, (n, c, h, w), (k, c, r, s))
    im2col = 0 if route == "conv2d" else perf.nbytes((n, c * r * s, p * q))
    out = perf.measure(_convolution(backend, route, x, weight, (n, c, h, w, k, r, s, p, q)), shape=(n, c, h, w),
                       flops=2 * n * k * p * q * c * r * s,
                       bytes_min=perf.nbytes((n, c, h, w)) + perf.nbytes((k, c, r, s)) + perf.nbytes((n, k, p, q)) + 2 * im2col)
    perf.benchmark.extra_info["im2col_bytes"] = im2col
    _check(perf, out, ORACLE.conv2d, values, terms=c * r * s + 1, op=route)


@spec("E02")
@pytest.mark.parametrize("route", ["einsum", "matmul"])
def test_contraction(perf, backend, route):
    """E02/U02: attention scores, einsum('bhqd,bhkd->bhqk') against the equivalent batched
    matmul(q, transpose(k, -2, -1)): 2·b·h·q·k·d FLOPs; the bytes of q, k and the scores."""
    b, h, m, t, d = _size(perf, SCORE_SIZES)
    (queries, keys), values = _inputs(perf, (b, h, m, d), (b, h, t, d))
    if route == "einsum":
        einsum = testing.op(backend, "einsum")
        run = lambda: einsum("bhqd,bhkd->bhqk", queries, keys)  # noqa: E731
    else:
        matmul, transpose = testing.op(backend, "matmul_nd"), testing.op(backend, "transpose")
        run = lambda: matmul(queries, transpose(keys, -2, -1))  # noqa: E731
    out = perf.measure(run, shape=(b, h, m, d), flops=2 * b * h * m * t * d,
                       bytes_min=perf.nbytes((b, h, m, d)) + perf.nbytes((b, h, t, d)) + perf.nbytes((b, h, m, t)))
    _check(perf, out, lambda q, k: ORACLE.einsum("bhqd,bhkd->bhqk", q, k), values, terms=d + 1, op=route)
