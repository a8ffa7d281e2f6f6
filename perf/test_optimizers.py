"""Perf: one Adam / AdamW step (catalogue OP04, OP06) over a list of parameter tensors, with
torch's three kernels: a Python loop over the tensors (``foreach=False``), the multi-tensor
``foreach`` kernels and the ``fused`` kernel.

An Adam step is memory-bound: for every parameter element it must read p, g, m and v and
write p, m and v, 7 values, so in float32 at least 28 bytes per parameter; the workload
reports GB/s against that minimum and the fraction of the device's copy bandwidth.  The
parameters fill the run's size (32 MiB of float32 on the CPU, 8 Mi parameters) split into
TENSORS equal tensors.  With ``--benchmark-disable`` one step is taken and compared with the
reference's step under the tolerance policy (each element a few roundings of its update).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from dlspec import bench, testing
from dlspec.compare import assert_conforms
from reference import optimizers as ref
from reference.dtypes import round_to

spec = pytest.mark.spec
TENSORS = 100
#: Values each Adam step reads (p, g, m, v) and writes (p, m, v) per parameter element.
VALUES_PER_PARAM = 7
#: Rounded operations in one element's Adam/AdamW update (see conformance/test_optimizers.py).
ROUNDINGS_PER_STEP = 16
HYPER = {"lr": 1e-3, "weight_decay": 1e-2}


@pytest.fixture
def dtype(backend) -> str:
    """float32 only: the 28-bytes-per-parameter minimum is float32's, and Adam's default eps
    (1e-8) is 0 in float16, where a step of a tiny gradient divides by zero."""
    testing.require_dtype(backend, "float32")
    return "float32"


@spec("OP04", "OP06")
@pytest.mark.parametrize("implementation", ["per-tensor", "foreach", "fused"])
@pytest.mark.parametrize("name", ["adam", "adamw"])
def test_adam_step(perf: bench.Perf, backend, name, implementation):
    """OP04/OP06: one optimizer step over TENSORS tensors holding the run's parameters;
    bytes_min = 28 bytes per float32 parameter."""
    fn = testing.op(backend, "optimizer_stepper")
    per_tensor = max(1, math.prod(perf.matrix_shape()) // TENSORS)
    rng = np.random.default_rng(0)
    params = [round_to(rng.uniform(-1, 1, per_tensor), perf.dtype) for _ in range(TENSORS)]
    grads = [round_to(rng.standard_normal(per_tensor), perf.dtype) for _ in range(TENSORS)]
    step = fn(name, [backend.asarray(p, dtype=perf.dtype) for p in params],
              [backend.asarray(g, dtype=perf.dtype) for g in grads], HYPER, implementation)
    total = TENSORS * per_tensor
    out = perf.measure(step, shape=(TENSORS, per_tensor), bytes_min=VALUES_PER_PARAM * perf.itemsize * total)
    if not perf.benchmark.enabled:
        expected, _ = ref.run(name, params, [grads], HYPER)
        for actual, want, p0 in zip(out, expected, params):
            assert_conforms(backend, actual, want, op=f"{name} step ({implementation})", dtype=perf.dtype,
                            terms=ROUNDINGS_PER_STEP, scale=np.abs(p0) + np.abs(want) + np.abs(want - p0))
