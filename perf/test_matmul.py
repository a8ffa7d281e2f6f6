"""Perf: matmul and bmm (catalogue M02 M03 M07) in float32 and bfloat16.

A product of an (m, k) and a (k, n) matrix does 2·m·n·k FLOPs (a multiply and an add per
term), reported as TFLOP/s, and moves at least s·(mk + kn + mn) bytes for s bytes per
element.  The matrices are square, their side the smaller side of the run's matrix shape
(at most CPU_SIDE on the CPU); bmm multiplies BMM_BATCH pairs of half that side, the same
FLOPs.  With ``--benchmark-disable`` the inputs hold -1, 0 and 1, so every entry of the
result is an integer of at most k = 64 terms that both dtypes hold exactly, and the result
is checked, bit for bit, against the reference's explicit sums.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from dlspec import bench, testing
from dlspec.checks import ORACLE

spec = pytest.mark.spec
DTYPES = ("float32", "bfloat16")
#: The CPU's side: bfloat16 has no fast path on many CPUs (a 1024-side bfloat16 matmul took
#: 2.4 s on a 2-core EPYC, float32 90 ms), and larger sides only lengthen the run.
CPU_SIDE = 512
BMM_BATCH = 8


def _side(perf: bench.Perf) -> int:
    """The square side of the workload's matrices."""
    side = min(perf.matrix_shape())
    return min(side, CPU_SIDE) if perf.backend.device == "cpu" else side


def _operands(perf: bench.Perf, *shapes: tuple[int, ...]) -> list[tuple[Any, Any]]:
    """Random -1/0/1 arrays of ``shapes``, each on the backend in the workload's dtype and on
    the reference (float32, holding the same values)."""
    rng = np.random.default_rng(0)
    pairs = []
    for shape in shapes:
        values = rng.integers(-1, 2, shape).astype(np.float32)
        pairs.append((perf.backend.asarray(values, dtype=perf.dtype), ORACLE.asarray(values)))
    return pairs


@spec("M02", "M03", "M07")
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["matmul_nd", "bmm"])
def test_matrix_product(perf, backend, dtype, name):
    """M02: (n, n) @ (n, n); M03/M07: bmm of BMM_BATCH pairs of (n/2, n/2) matrices, the same
    2·n³ FLOPs in smaller products."""
    fn = testing.op(backend, name)
    testing.require_dtype(backend, dtype)
    side = _side(perf)
    batch, n = ((), side) if name == "matmul_nd" else ((BMM_BATCH,), side // 2)
    shape = (*batch, n, n)
    (a, a_ref), (b, b_ref) = _operands(perf, shape, shape)
    count = BMM_BATCH if batch else 1
    out = perf.measure(lambda: fn(a, b), shape=shape, flops=2 * count * n**3, bytes_min=3 * perf.nbytes(shape))
    perf.check(out, lambda: getattr(ORACLE, name)(a_ref, b_ref), op=f"{name} of two {shape}")
