"""Fixtures of the perf suite: ``perf`` (a :class:`dlspec.bench.Perf` per workload and
dtype), each backend's limits and L2 flush (once per run), and the reports: the backends in
pytest-benchmark's ``machine_info`` and a closing table of GB/s and fractions of the limits.

``pytest perf --backend=NAME`` benchmarks; with ``--benchmark-disable`` (CI) each workload
runs once, at a small size, and is checked against the reference.  Every perf benchmark
reads a :class:`dlspec.bench.Clock`, with warm-up on (up to 100 iterations) and a ``max_time``
of 0.2 s; a workload's own ``@pytest.mark.benchmark(...)`` overrides all but the timer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from dlspec import bench, testing
from dlspec.api import Backend
from dlspec.backends.reference import ReferenceBackend
from dlspec.plugin import backends_of

DTYPES = ("float32", "bfloat16", "float16")
BENCHMARK_DEFAULTS: dict[str, Any] = {"warmup": True, "warmup_iterations": 100, "max_time": 0.2}

_CLOCK = pytest.StashKey[bench.Clock]()
_LIMITS = pytest.StashKey[dict[str, bench.Limits]]()
_RESULTS = pytest.StashKey[list[dict[str, Any]]]()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Benchmarks time the operations themselves, without the conformance input snapshots."""
    for item in items:
        if "benchmark" in getattr(item, "fixturenames", ()):
            item.add_marker(testing.UNGUARDED)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Before the ``benchmark`` fixture is made, give it this test's Clock as its timer."""
    if "benchmark" not in getattr(item, "fixturenames", ()):
        return
    own = item.get_closest_marker("benchmark")
    clock = item.stash[_CLOCK] = bench.Clock()
    options = {**BENCHMARK_DEFAULTS, **(own.kwargs if own else {}), "timer": clock}
    item.add_marker(pytest.mark.benchmark(**options), append=False)


@pytest.fixture(params=DTYPES)
def dtype(request: pytest.FixtureRequest, backend: Backend) -> str:
    """Each workload dtype the backend declares; the others are reported as not applicable."""
    testing.require_dtype(backend, request.param)
    return request.param


@pytest.fixture(scope="session")
def limits(request: pytest.FixtureRequest, backend: Backend) -> bench.Limits:
    """The backend's limits, once per run: its copy bandwidth (measured only when benchmarks
    run) and its device's datasheet.  A benchmark run skips the reference as not applicable:
    it is written to be read, not timed (its repeat loops in Python for minutes)."""
    config = request.config
    enabled = config.getoption("benchmark_enable") or not config.getoption("benchmark_disable")
    if enabled and isinstance(backend, ReferenceBackend):
        pytest.skip(f"{testing.NOT_APPLICABLE} {backend.name}: the reference is checked with --benchmark-disable, "
                    "never timed")
    rate, method = bench.copy_bandwidth(backend) if enabled else (None, "not measured: benchmarks are disabled")
    measured = bench.Limits(rate, method, bench.datasheet(backend.device_name()))
    config.stash.setdefault(_LIMITS, {})[backend.name] = measured
    return measured


@pytest.fixture(scope="session")
def l2_flush(backend: Backend) -> Callable[[], None] | None:
    """The backend's L2 flush (:func:`dlspec.bench.l2_flush`), its buffer allocated once per run."""
    return bench.l2_flush(backend)


@pytest.fixture
def perf(request: pytest.FixtureRequest, backend: Backend, dtype: str, limits: bench.Limits,
         l2_flush: Callable[[], None] | None, benchmark: Any) -> bench.Perf:
    """The harness of one workload on ``backend`` in ``dtype``.  The fixtures that may skip
    come before ``benchmark``, which would otherwise warn that it was never used."""
    results = request.config.stash.setdefault(_RESULTS, [])
    return bench.Perf(benchmark, backend, dtype, request.node.stash[_CLOCK], limits, l2_flush, results)


def pytest_benchmark_update_machine_info(config: pytest.Config, machine_info: dict[str, Any]) -> None:
    """Record each available backend, with the limits measured in this run, under ``dlspec``."""
    measured = config.stash.get(_LIMITS, {})
    machine_info["dlspec"] = {name: bench.machine_info(b, measured.get(b.name))
                              for name, b in backends_of(config).items() if b.unavailable() is None}


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """Print the closing table of GB/s and fractions (:func:`dlspec.bench.summary_lines`)."""
    results = config.stash.get(_RESULTS, [])
    if results:
        terminalreporter.section("dlspec perf: throughput and fractions of the limits")
        for line in bench.summary_lines(results):
            terminalreporter.write_line(line)
