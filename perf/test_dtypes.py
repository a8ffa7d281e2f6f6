"""Perf: float32 -> bfloat16 and float32 -> float16 casts (catalogue D01 D02 D03).

A cast reads 4 bytes and writes 2 per element: 6n bytes, reported as GB/s.  The inputs are
random normal float32 values, so nearly every element is rounded.  With
``--benchmark-disable`` the result is checked, bit for bit, against ``reference.dtypes``.
"""

from __future__ import annotations

from math import prod

import numpy as np
import pytest

from dlspec import testing
from dlspec.checks import ORACLE
from reference import dtypes as ref

spec = pytest.mark.spec


@spec("D01", "D02", "D03")
@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
def test_cast_from_float32(perf, backend, dtype):
    """D01/D02/D03: x.to(dtype) of a float32 matrix: 4 bytes read and 2 written per element."""
    cast = testing.op(backend, "cast")
    testing.require_dtype(backend, dtype)
    shape = perf.matrix_shape()
    values = np.random.default_rng(0).standard_normal(shape, dtype=np.float32)
    x = backend.asarray(values, dtype="float32")
    out = perf.measure(lambda: cast(x, dtype), shape=shape, bytes_min=(4 + 2) * prod(shape))
    perf.check(out, lambda: ORACLE.asarray(ref.from_bits16(ref.to_bits16(values, dtype), dtype)), op=f"cast to {dtype}")
