"""Self-test of the perf harness (:mod:`dlspec.bench`) with a fake GPU: NumPy arrays behind
timing events that report scripted times and log every call, so no GPU is needed."""

from __future__ import annotations

import itertools
import json
import os
import statistics
import subprocess
import sys
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from dlspec import bench
from dlspec.backends.numpy import NumpyBackend

ROOT = Path(__file__).resolve().parent.parent
H100_SXM = "NVIDIA H100 80GB HBM3"


class FakeGpu(NumpyBackend):
    """A CUDA-like NumPy backend: its events report ``elapsed_ms`` in turn, and its log holds
    every event call, ``synchronize`` and ``multiply`` (the L2 flush's op, with its bytes)."""

    name = "fakegpu"
    capabilities = replace(NumpyBackend.capabilities, devices=("cpu", "cuda"))

    def __init__(self, device: str = "cuda", elapsed_ms: Iterable[float] = (0.25,), l2_bytes: int = 4096) -> None:
        super().__init__(device)
        self.log: list[Any] = []
        self.elapsed = itertools.cycle(elapsed_ms)
        self.reported_ms: list[float] = []
        self.l2_bytes = l2_bytes

    def synchronize(self) -> None:
        self.log.append("synchronize")

    def device_name(self) -> str:
        return H100_SXM

    def event_pair(self) -> tuple[FakeEvent, FakeEvent]:
        return FakeEvent(self, "start"), FakeEvent(self, "end")

    def l2_cache_bytes(self) -> int:
        return self.l2_bytes

    def multiply(self, a: Any, b: Any) -> Any:
        self.log.append(("multiply", a.nbytes))
        return super().multiply(a, b)


class FakeEvent:
    """A CUDA event whose ``elapsed_time`` is the fake GPU's next scripted time."""

    def __init__(self, gpu: FakeGpu, name: str) -> None:
        self.gpu, self.name = gpu, name

    def record(self) -> None:
        self.gpu.log.append(f"{self.name}.record")

    def synchronize(self) -> None:
        self.gpu.log.append(f"{self.name}.synchronize")

    def elapsed_time(self, end: FakeEvent) -> float:
        ms = next(self.gpu.elapsed)
        self.gpu.reported_ms.append(ms)
        return ms


class FakeBenchmark:
    """The part of pytest-benchmark's fixture that Perf uses.  Like its runner, it reads the
    timer just before and just after each call, and calls once, untimed, when disabled."""

    name = "test_fake"

    def __init__(self, timer: Callable[[], float], enabled: bool = True) -> None:
        self.timer, self.enabled = timer, enabled
        self.extra_info: dict[str, Any] = {}
        self.stats: dict[str, float] | None = None
        self.data: list[float] = []

    def pedantic(self, target: Callable[[], Any], rounds: int = 1, warmup_rounds: int = 0) -> Any:
        if not self.enabled:
            return target()
        for _ in range(warmup_rounds):
            target()
        return self._rounds(target, rounds)

    def __call__(self, fn: Callable[[], Any]) -> Any:
        return self._rounds(fn, 5) if self.enabled else fn()

    def _rounds(self, fn: Callable[[], Any], rounds: int) -> Any:
        for _ in range(rounds):
            start = self.timer()
            result = fn()
            self.data.append(self.timer() - start)
        q1, _, q3 = statistics.quantiles(self.data, n=4)
        self.stats = {"median": statistics.median(self.data), "iqr": q3 - q1}
        return result


def make_perf(backend: NumpyBackend, enabled: bool = True, flush: Callable[[], None] | None = None,
              limits: bench.Limits | None = None) -> bench.Perf:
    clock = bench.Clock()
    return bench.Perf(FakeBenchmark(clock, enabled), backend, "float32", clock, limits or bench.Limits(), flush)


def logging_flush(gpu: FakeGpu) -> Callable[[], None]:
    return lambda: gpu.log.append("flush")


def workload(gpu: FakeGpu) -> Callable[[], np.ndarray]:
    x = np.arange(8, dtype=np.float32)

    def fn() -> np.ndarray:
        gpu.log.append("fn")
        return x.copy()

    return fn


# -- device events: the virtual clock and the flush ----------------------------------------


def test_virtual_clock_accumulates_exactly_the_event_times():
    gpu = FakeGpu(elapsed_ms=(0.5, 1.25, 2.0, 0.75))
    perf = make_perf(gpu, flush=logging_flush(gpu))
    out = perf.measure(workload(gpu), shape=(8,), bytes_min=64)
    np.testing.assert_array_equal(out, np.arange(8, dtype=np.float32))
    assert perf.clock.mode == "device events"
    assert perf.clock() == sum(ms / 1e3 for ms in gpu.reported_ms)
    timed_rounds = gpu.reported_ms[-len(perf.benchmark.data):]
    assert perf.benchmark.data == pytest.approx([ms / 1e3 for ms in timed_rounds], rel=1e-9, abs=0)
    assert len(perf.benchmark.data) >= bench.MIN_ROUNDS
    info = perf.benchmark.extra_info
    assert info["timing_mode"] == "device events" and info["l2_flushed"] is True
    assert info["median_s"] == pytest.approx(statistics.median(ms / 1e3 for ms in timed_rounds), rel=1e-9)


def test_flush_runs_before_each_start_event_and_never_inside_the_timed_region():
    gpu = FakeGpu()
    make_perf(gpu, flush=logging_flush(gpu)).measure(workload(gpu), shape=(8,), bytes_min=64)
    starts = [i for i, entry in enumerate(gpu.log) if entry == "start.record"]
    assert starts and gpu.log.count("flush") == len(starts)
    for i in starts:
        # directly before start.record(): no synchronize (or anything) between flush and start
        assert gpu.log[i - 1] == "flush", gpu.log[max(0, i - 3):i + 1]
        assert gpu.log[i:i + 4] == ["start.record", "fn", "end.record", "end.synchronize"]


def test_disabled_device_events_sample_once():
    gpu = FakeGpu()
    perf = make_perf(gpu, enabled=False, flush=logging_flush(gpu))
    perf.measure(workload(gpu), shape=(8,), bytes_min=64)
    assert gpu.log == ["flush", "start.record", "fn", "end.record", "end.synchronize"]


def test_metadata_only_workload_uses_the_synchronising_wall_clock():
    gpu = FakeGpu()
    perf = make_perf(gpu, flush=logging_flush(gpu))
    perf.measure(workload(gpu), shape=(8,), kernel=False)
    assert perf.benchmark.extra_info["timing_mode"] == "wall clock"
    assert perf.benchmark.extra_info["l2_flushed"] is False
    assert "start.record" not in gpu.log and "flush" not in gpu.log
    # every timer reading waits for the device: synchronize, fn, synchronize, fn, ...
    assert gpu.log[:4] == ["synchronize", "fn", "synchronize", "synchronize"]


def test_clock_modes():
    calls: list[str] = []
    clock = bench.Clock()
    clock.use_wall_clock(lambda: calls.append("sync"))
    before = clock()
    assert calls == ["sync"] and clock() >= before
    with pytest.raises(RuntimeError):
        clock.advance(1.0)
    clock.use_device_events()
    clock.advance(0.5)
    clock.advance(0.25)
    assert clock() == 0.75 and calls == ["sync", "sync"]


def test_l2_flush_writes_twice_the_l2_with_the_backends_multiply():
    gpu = FakeGpu(l2_bytes=1000)
    flush = bench.l2_flush(gpu)
    assert flush is not None
    flush()
    (op, nbytes), = gpu.log
    assert op == "multiply" and nbytes >= 2 * 1000
    assert bench.l2_flush(NumpyBackend()) is None


def test_plan_rounds():
    assert bench.plan_rounds(0.002) == (13, 50)
    assert bench.plan_rounds(0.5) == (1, bench.MIN_ROUNDS)
    assert bench.plan_rounds(0.0)[1] == bench.MAX_ROUNDS


# -- limits and arithmetic ------------------------------------------------------------------


def test_copy_bandwidth_is_twice_the_bytes_over_the_fastest_copy():
    gpu = FakeGpu(elapsed_ms=(4.0, 2.0, 3.0))
    rate, method = bench.copy_bandwidth(gpu, nbytes=4096, repeats=3)
    assert rate == 2 * 4096 / 0.002
    assert "fakegpu clone of" in method
    cpu_rate, cpu_method = bench.copy_bandwidth(NumpyBackend(), nbytes=1 << 20, repeats=2)
    assert cpu_rate > 0 and cpu_method.startswith("numpy.copyto")


@pytest.mark.parametrize(("device_name", "expected", "bytes_per_s"), [
    (H100_SXM, "H100 SXM", 3.35e12),
    ("NVIDIA H100 PCIe", "H100 PCIe", 2.0e12),
    ("NVIDIA H200", "H200 SXM", 4.8e12),
    ("NVIDIA H200 NVL", "H200 NVL", 4.8e12),
    ("NVIDIA H100 NVL", None, None),
    ("NVIDIA A100-SXM4-80GB", None, None),
    ("cpu", None, None),
])
def test_datasheet_lookup_by_device_name(device_name, expected, bytes_per_s):
    sheet = bench.datasheet(device_name)
    assert (sheet and sheet.name) == expected
    assert (sheet and sheet.bytes_per_s) == bytes_per_s


def test_rates_are_amounts_over_time_and_fractions_of_the_limits():
    limits = bench.Limits(8e9, "test copy", bench.datasheet(H100_SXM))
    r = bench.rates(0.5, bytes_min=2_000_000_000, flops=4 * 10**12, dtype="bfloat16", limits=limits)
    assert r["gb_per_s"] == pytest.approx(4.0)
    assert r["tflop_per_s"] == pytest.approx(8.0)
    assert r["copy_gb_per_s"] == pytest.approx(8.0)
    assert r["fraction_of_copy"] == pytest.approx(0.5)
    assert r["fraction_of_peak_bandwidth"] == pytest.approx(4e9 / 3.35e12)
    assert r["fraction_of_peak_flops"] == pytest.approx(8e12 / 989.4e12)
    assert r["fraction_of_roofline"] == pytest.approx(max(4e9 / 3.35e12, 8e12 / 989.4e12))
    latency_only = bench.rates(0.5, limits=limits)
    assert latency_only["gb_per_s"] is None and latency_only["fraction_of_copy"] is None
    assert all(v is None for v in bench.rates(None, bytes_min=8).values())


def test_extra_info_is_filled_without_stats():
    perf = make_perf(NumpyBackend(), enabled=False, limits=bench.Limits(1e10, "test copy"))
    perf.measure(lambda: np.zeros(4), shape=(2, 2), bytes_min=32)
    info = perf.benchmark.extra_info
    assert info["backend"] == "numpy" and info["device"] == "cpu" and info["device_name"] == "cpu"
    assert info["dtype"] == "float32" and info["shape"] == [2, 2] and info["bytes_min"] == 32
    assert info["timing_mode"] == "wall clock" and info["l2_flushed"] is False
    assert info["median_s"] is None and info["gb_per_s"] is None and info["fraction_of_copy"] is None
    assert info["copy_gb_per_s"] == pytest.approx(10.0)
    assert perf.results == []


def test_summary_and_machine_info():
    limits = bench.Limits(2e12, "test copy", bench.datasheet(H100_SXM))
    gpu = FakeGpu(elapsed_ms=(1.0,))
    perf = make_perf(gpu, limits=limits)
    perf.measure(workload(gpu), shape=(8,), bytes_min=10**9)
    row, = perf.results
    assert row["gb_per_s"] == pytest.approx(1000.0) and row["fraction_of_copy"] == pytest.approx(0.5)
    header, line, copy = bench.summary_lines(perf.results)
    assert "GB/s" in header and "1000.00" in line and "50.0%" in line and "2000.00 GB/s" in copy
    info = bench.machine_info(gpu, limits)
    assert info["device_name"] == H100_SXM and info["copy_gb_per_s"] == pytest.approx(2000.0)
    assert info["datasheet"]["name"] == "H100 SXM"


# -- end to end: the perf conftest and the real pytest-benchmark ----------------------------


def test_perf_conftest_gives_pytest_benchmark_the_virtual_clock(tmp_path):
    """A workload run by pytest with perf's conftest on the fake GPU records the scripted
    event times as its statistics, so the Clock really is pytest-benchmark's timer."""
    (tmp_path / "test_tiny.py").write_text(
        "import numpy as np\n"
        "def test_tiny(perf):\n"
        "    x = perf.backend.asarray(np.arange(8.0), dtype='float32')\n"
        "    perf.measure(lambda: perf.backend.clone(x), shape=(8,), bytes_min=64)\n"
    )
    report = tmp_path / "report.json"
    command = [sys.executable, "-m", "pytest", str(tmp_path / "test_tiny.py"), "-p", "perf.conftest", "-q",
               "-p", "no:cacheprovider", "--backend=tests.test_bench:FakeGpu", "--device=cuda",
               "-k", "float32", f"--benchmark-json={report}"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST")}  # else benchmarks save nothing
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    result, = json.loads(report.read_text())["benchmarks"]
    assert result["stats"]["median"] == pytest.approx(0.25e-3, rel=1e-9)
    assert result["stats"]["max"] == pytest.approx(0.25e-3, rel=1e-9)
    assert result["extra_info"]["timing_mode"] == "device events" and result["extra_info"]["l2_flushed"] is True
    assert result["extra_info"]["gb_per_s"] == pytest.approx(64 / 0.25e-3 / 1e9)
    assert "dlspec perf" in done.stdout
