"""The perf harness: how ``perf/`` times a workload on a backend and what it records.

Each measurement uses one of two timing modes (research notes: shared/anchors/gpu-benchmarking.md):

* ``"device events"``: the backend has timing events (CUDA) and the workload launches a
  kernel.  Every sample flushes the L2 cache, records ``start``, runs the workload, records
  ``end`` and waits for it.  pytest-benchmark's timer is a :class:`Clock` that only
  ``start.elapsed_time(end)`` moves, so ``benchmark.pedantic`` collects device seconds.
* ``"wall clock"``: the CPU, or a metadata-only workload anywhere.  The :class:`Clock` waits
  for the device, then reads ``time.perf_counter()`` around pytest-benchmark's calibrated loop.

Every result's ``benchmark.extra_info`` holds the workload (backend, dtype, shape, bytes,
FLOPs), the timing mode, the median and IQR, the achieved GB/s and TFLOP/s, and their
fractions of :class:`Limits`: the copy bandwidth measured once per run, and a known GPU's
datasheet peaks.  Decimal units throughout (1 GB/s = 1e9 B/s).
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from dlspec import testing
from dlspec.api import Array, Backend, Shape
from dlspec.checks import ORACLE, oracle_dtype
from dlspec.compare import assert_conforms
from dlspec.strategies import distinct_values

TimingMode = Literal["device events", "wall clock"]

MiB = 2**20
#: Workload size by device when benchmarks run (on the CPU, input and output together exceed
#: a 32 MiB L3); with ``--benchmark-disable`` it is SMALL_BYTES.
WORKLOAD_BYTES: dict[str, int] = {"cpu": 32 * MiB, "cuda": 256 * MiB}
SMALL_BYTES = 16 * 1024
#: The copy-bandwidth limit is measured on this many bytes, or 8× the L2 where that is larger.
COPY_BYTES = 128 * MiB
COPY_REPEATS = 5
#: Device-events sampling, after triton's do_bench: warm up for ~25 ms, then sample ~100 ms.
WARMUP_S, TARGET_S, MIN_ROUNDS, MAX_ROUNDS = 0.025, 0.1, 30, 1000


@dataclass(frozen=True)
class Datasheet:
    """A GPU's published dense peaks, matched on substrings of its device name."""

    name: str
    matches: tuple[str, ...]
    bytes_per_s: float
    flops_per_s: Mapping[str, float] = field(default_factory=dict)


#: Dense tensor-core bf16/fp16 and non-tensor fp32 FLOP/s of the H100 SXM die, which the H200 SXM shares.
_HOPPER_FLOPS = {"bfloat16": 989.4e12, "float16": 989.4e12, "float32": 66.9e12}

#: First match wins, so variants come before the names they contain.
DATASHEETS: tuple[Datasheet, ...] = (
    Datasheet("H100 PCIe", ("H100 PCIe",), 2.0e12),
    Datasheet("H100 SXM", ("H100 SXM", "H100 80GB HBM3"), 3.35e12, _HOPPER_FLOPS),
    Datasheet("H200 NVL", ("H200 NVL",), 4.8e12),
    Datasheet("H200 SXM", ("H200",), 4.8e12, _HOPPER_FLOPS),
)


def datasheet(device_name: str) -> Datasheet | None:
    """The first of :data:`DATASHEETS` with a substring in ``device_name`` (ignoring case), or None."""
    name = device_name.lower()
    return next((d for d in DATASHEETS if any(m.lower() in name for m in d.matches)), None)


@dataclass(frozen=True)
class Limits:
    """What a backend's results are fractions of: the copy bandwidth measured in this run
    (``copy_method`` says how) and the datasheet of its device; either may be unknown."""

    copy_bytes_per_s: float | None = None
    copy_method: str = "not measured"
    datasheet: Datasheet | None = None


def rates(seconds: float | None, *, bytes_min: int = 0, flops: int = 0, dtype: str = "float32",
          limits: Limits | None = None) -> dict[str, float | None]:
    """Achieved GB/s (``bytes_min / seconds / 1e9``) and TFLOP/s, and each as a fraction
    (achieved / limit) of ``limits``; ``None`` where a time, an amount or a limit is missing or zero.
    ``fraction_of_roofline`` is the larger of the two datasheet fractions."""
    limits = limits or Limits()
    sheet = limits.datasheet
    peak_bw = sheet.bytes_per_s if sheet else None
    peak_flops = sheet.flops_per_s.get(dtype) if sheet else None
    bw, fl = _ratio(bytes_min, seconds), _ratio(flops, seconds)
    of_peak = [f for f in (_ratio(bw, peak_bw), _ratio(fl, peak_flops)) if f is not None]
    return {
        "gb_per_s": _ratio(bw, 1e9),
        "tflop_per_s": _ratio(fl, 1e12),
        "copy_gb_per_s": _ratio(limits.copy_bytes_per_s, 1e9),
        "fraction_of_copy": _ratio(bw, limits.copy_bytes_per_s),
        "peak_gb_per_s": _ratio(peak_bw, 1e9),
        "fraction_of_peak_bandwidth": _ratio(bw, peak_bw),
        "peak_tflop_per_s": _ratio(peak_flops, 1e12),
        "fraction_of_peak_flops": _ratio(fl, peak_flops),
        "fraction_of_roofline": max(of_peak, default=None),
    }


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a and b else None


class Clock:
    """pytest-benchmark's timer in ``perf/``, switched per measurement.

    In wall-clock mode a reading waits for the device, then returns ``time.perf_counter()``;
    in device-events mode it returns a virtual time that only :meth:`advance` moves.
    """

    def __init__(self) -> None:
        self.mode: TimingMode = "wall clock"
        self.synchronize: Callable[[], None] | None = None
        self.seconds = 0.0

    def use_wall_clock(self, synchronize: Callable[[], None]) -> None:
        """Read ``time.perf_counter()`` after ``synchronize()``."""
        self.mode, self.synchronize = "wall clock", synchronize

    def use_device_events(self) -> None:
        """Read the virtual time, starting at 0."""
        self.mode, self.seconds = "device events", 0.0

    def advance(self, seconds: float) -> None:
        """Move the virtual time by an event-measured ``seconds``."""
        if self.mode != "device events":
            raise RuntimeError("Clock.advance() needs device-events mode")
        self.seconds += seconds

    def __call__(self) -> float:
        if self.mode == "device events":
            return self.seconds
        if self.synchronize is not None:
            self.synchronize()
        return time.perf_counter()

    def __repr__(self) -> str:
        return f"dlspec.bench.Clock({self.mode})"


def timed(backend: Backend, fn: Callable[[], Any], flush: Callable[[], None] | None = None) -> tuple[Any, float]:
    """Run ``fn`` once and return its result and its time in seconds.

    With device events: ``flush()`` (if given), ``start.record()``, ``fn()``, ``end.record()``,
    ``end.synchronize()``; nothing between the flush and the start event waits for the device.
    Without: the time between two wall-clock readings, each after ``backend.synchronize()``.
    """
    events = backend.event_pair()
    if events is None:
        backend.synchronize()
        begin = time.perf_counter()
        result = fn()
        backend.synchronize()
        return result, time.perf_counter() - begin
    start, end = events
    if flush is not None:
        flush()
    start.record()
    result = fn()
    end.record()
    end.synchronize()
    return result, start.elapsed_time(end) / 1e3


def l2_flush(backend: Backend) -> Callable[[], None] | None:
    """A function that evicts the device's last-level cache: the backend's own ``multiply``
    reads and writes a preallocated float32 buffer of at least 2× ``l2_cache_bytes()``.
    None when the backend reports no L2 size; skips, as *not implemented*, without ``multiply``."""
    l2 = backend.l2_cache_bytes()
    if not l2:
        return None
    multiply = testing.op(backend, "multiply")
    buffer = backend.asarray(np.zeros(-(-2 * l2 // 4), dtype=np.float32))

    def flush() -> None:
        multiply(buffer, buffer)

    return flush


def copy_bandwidth(backend: Backend, nbytes: int | None = None, repeats: int = COPY_REPEATS) -> tuple[float | None, str]:
    """The device's copy bandwidth in bytes/s, ``2 * nbytes / t`` for the fastest of ``repeats``
    :func:`timed` copies of a float32 buffer after one untimed copy, and how it was measured.
    ``nbytes`` defaults to the larger of COPY_BYTES and 8× the L2.

    On a GPU the copy is ``backend.clone`` (None without one), whose allocation the library's
    caching allocator serves after the first call.  On the CPU it is NumPy's ``copyto``
    between preallocated buffers, the same for every CPU backend: a clone there would also
    time the page faults of its fresh allocation (torch's clone of 128 MiB ran at a sixth of
    the copy rate on a 2-core EPYC)."""
    n = (nbytes or max(COPY_BYTES, 8 * (backend.l2_cache_bytes() or 0))) // 4
    if backend.device == "cpu":
        source, target = np.zeros(n, dtype=np.float32), np.empty(n, dtype=np.float32)
        copy, method = functools.partial(np.copyto, target, source), "numpy.copyto"
    elif backend.implementation("clone") == "not implemented":
        return None, f"not measured: {backend.name} has no clone"
    else:
        x = backend.asarray(np.zeros(n, dtype=np.float32))
        copy, method = functools.partial(backend.clone, x), f"{backend.name} clone"
    copy()
    best = min(timed(backend, copy)[1] for _ in range(repeats))
    return 2 * 4 * n / best, f"{method} of {4 * n / MiB:.0f} MiB, best of {repeats}"


def plan_rounds(per_round_s: float) -> tuple[int, int]:
    """``(warmup_rounds, rounds)`` for device-events sampling at ``per_round_s`` wall seconds a
    round, as do_bench plans them: warm up for WARMUP_S, then sample for TARGET_S, in at least
    MIN_ROUNDS and at most MAX_ROUNDS rounds."""
    per_round_s = max(per_round_s, 1e-9)
    return math.ceil(WARMUP_S / per_round_s), min(MAX_ROUNDS, max(MIN_ROUNDS, math.ceil(TARGET_S / per_round_s)))


def itemsize(dtype: str) -> int:
    """Bytes per element of canonical ``dtype``."""
    return 2 if dtype == "bfloat16" else np.dtype(dtype).itemsize


@dataclass
class Perf:
    """One workload's harness: inputs of the run's size, the timed measurement, the check
    against the reference, and the numbers recorded in ``benchmark.extra_info``.

    ``results`` collects the extra_info of every timed measurement, for the closing table.
    """

    benchmark: Any
    backend: Backend
    dtype: str
    clock: Clock
    limits: Limits = field(default_factory=Limits)
    flush: Callable[[], None] | None = None
    results: list[dict[str, Any]] = field(default_factory=list)

    @property
    def itemsize(self) -> int:
        """Bytes per element of the workload's dtype."""
        return itemsize(self.dtype)

    def nbytes(self, shape: Shape) -> int:
        """Bytes of an array of ``shape`` in the workload's dtype."""
        return self.itemsize * math.prod(shape)

    def matrix_shape(self) -> tuple[int, int]:
        """A power-of-two 2-D shape, about square, of the run's size: WORKLOAD_BYTES for the
        device when benchmarks run, SMALL_BYTES when they are disabled."""
        size = WORKLOAD_BYTES.get(self.backend.device, WORKLOAD_BYTES["cpu"]) if self.benchmark.enabled else SMALL_BYTES
        bits = (size // self.itemsize).bit_length() - 1
        return 2 ** (bits // 2), 2 ** (bits - bits // 2)

    def inputs(self, shape: Shape) -> tuple[Array, Any]:
        """Row-major distinct values of ``shape``: on the backend in the workload's dtype, and
        on the reference oracle (float32 for bfloat16, holding the same values)."""
        values = distinct_values(tuple(shape), self.dtype)
        return self.backend.asarray(values, dtype=self.dtype), ORACLE.asarray(values, dtype=oracle_dtype(self.dtype))

    def measure(self, fn: Callable[[], Any], *, shape: Shape, bytes_min: int = 0, flops: int = 0,
                kernel: bool = True) -> Any:
        """Benchmark ``fn``, a workload on inputs of ``shape`` that moves at least ``bytes_min``
        bytes and does ``flops`` useful FLOPs; record it in ``benchmark.extra_info`` (time-derived
        entries are None when benchmarks are disabled) and return ``fn``'s result.  A
        metadata-only workload passes ``kernel=False``: it is timed on the wall clock even
        where the device has events, which would read ~0 with no kernel between them."""
        mode: TimingMode = "device events" if kernel and self.backend.event_pair() is not None else "wall clock"
        if mode == "device events":
            result = self._sample_events(fn)
        else:
            self.clock.use_wall_clock(self.backend.synchronize)
            result = self.benchmark(fn)
        stats = self.benchmark.stats
        median, iqr = (stats["median"], stats["iqr"]) if stats else (None, None)
        info = {
            "backend": self.backend.name,
            "library": self.backend.library,
            "device": self.backend.device,
            "device_name": self.backend.device_name(),
            "dtype": self.dtype,
            "shape": list(shape),
            "timing_mode": mode,
            "l2_flushed": mode == "device events" and self.flush is not None,
            "copy_method": self.limits.copy_method,
            "bytes_min": bytes_min,
            "flops": flops,
            "median_s": median,
            "iqr_s": iqr,
            **rates(median, bytes_min=bytes_min, flops=flops, dtype=self.dtype, limits=self.limits),
        }
        self.benchmark.extra_info.update(info)
        if median is not None:
            self.results.append({"name": self.benchmark.name, **info})
        return result

    def _sample_events(self, fn: Callable[[], Any]) -> Any:
        self.clock.use_device_events()

        def sample() -> Any:
            result, seconds = timed(self.backend, fn, self.flush)
            self.clock.advance(seconds)
            return result

        if not self.benchmark.enabled:
            return self.benchmark.pedantic(sample)
        sample()  # the first call: compilation, allocation
        begin = time.perf_counter()
        for _ in range(5):
            sample()
        warmup_rounds, rounds = plan_rounds((time.perf_counter() - begin) / 5)
        return self.benchmark.pedantic(sample, rounds=rounds, warmup_rounds=warmup_rounds)

    def check(self, actual: Array, expected: Callable[[], Any], *, op: str) -> None:
        """When benchmarks are disabled, assert the backend's result equals, bit for bit, the
        reference tensor ``expected()`` builds.  A benchmark run skips it: the reference is
        written to be read, and takes minutes on some workloads at benchmark sizes."""
        if not self.benchmark.enabled:
            assert_conforms(self.backend, actual, ORACLE.to_numpy(expected()), op=op, dtype=self.dtype, exact=True)


def machine_info(backend: Backend, limits: Limits | None) -> dict[str, Any]:
    """A backend's entry in pytest-benchmark's ``machine_info``: library, device and its name,
    and, once measured in this run, the copy bandwidth and the datasheet peaks."""
    info: dict[str, Any] = {"library": backend.library, "device": backend.device, "device_name": backend.device_name()}
    if limits is not None:
        sheet = limits.datasheet
        info["copy_gb_per_s"] = _ratio(limits.copy_bytes_per_s, 1e9)
        info["copy_method"] = limits.copy_method
        info["datasheet"] = None if sheet is None else {
            "name": sheet.name,
            "peak_gb_per_s": sheet.bytes_per_s / 1e9,
            "peak_tflop_per_s": {k: v / 1e12 for k, v in sheet.flops_per_s.items()},
        }
    return info


def summary_lines(results: list[dict[str, Any]]) -> list[str]:
    """The closing table of timed results: median and IQR, GB/s, TFLOP/s and the fractions of
    the measured copy bandwidth and of the datasheet roofline ('-' where there is none), then
    each backend's measured copy bandwidth."""
    width = max(len("benchmark"), *(len(r["name"]) for r in results))
    lines = [f"{'benchmark':<{width}} {'mode':<13} {'median':>10} {'IQR':>10} {'GB/s':>8} {'TFLOP/s':>8} "
             f"{'of copy':>8} {'of peak':>8}"]
    for r in sorted(results, key=lambda r: (r["backend"], r["name"])):
        lines.append(f"{r['name']:<{width}} {r['timing_mode']:<13} {_time(r['median_s']):>10} {_time(r['iqr_s']):>10} "
                     f"{_num(r['gb_per_s'], '.2f'):>8} {_num(r['tflop_per_s'], '.3f'):>8} "
                     f"{_num(r['fraction_of_copy'], '.1%'):>8} {_num(r['fraction_of_roofline'], '.1%'):>8}")
    limits = {(r["backend"], r["device"], r["device_name"], r["copy_gb_per_s"], r["copy_method"]) for r in results}
    for backend, device, name, copy, method in sorted(limits, key=str):
        lines.append(f"copy limit of {backend} on {device} ({name}): {_num(copy, '.2f')} GB/s ({method})")
    return lines


def _num(x: float | None, spec: str) -> str:
    return "-" if x is None else format(x, spec)


def _time(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return f"{seconds * 1e6:.2f} us" if seconds < 1e-3 else f"{seconds * 1e3:.3f} ms"
