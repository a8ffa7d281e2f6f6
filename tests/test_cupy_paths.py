"""The cupy adapter's code paths, run on the CPU through ``tests.fake_cupy`` (NumPy under
cupy's name): its conformance run has no failure and skips nothing as unavailable, and its
perf workloads run once each, checked against the reference.  The real cupy needs a GPU."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.timeout(600)


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", *args, "--backend=cupy", "-p", "tests.fake_cupy", "-q",
                           "-p", "no:cacheprovider", "-x", "-rs"], cwd=ROOT, capture_output=True, text=True, timeout=580,
                          env={**os.environ, "PYTHONPATH": str(ROOT), "CI": "true"})


def test_cupy_adapter_conforms_on_the_fake_device():
    done = _run("conformance/test_memory.py", "conformance/test_elementwise.py", "conformance/test_matmul.py")
    assert done.returncode == 0, done.stdout[-4000:]
    summary = next(line.split() for line in done.stdout.splitlines() if line.startswith("cupy "))
    assert int(summary[1]) > 200 and summary[2] == "0", summary  # passed, failed
    assert "not installed" not in done.stdout and "cannot reach" not in done.stdout


def test_cupy_perf_workloads_run_and_conform():
    done = _run("perf/test_memory.py", "perf/test_matmul.py", "--benchmark-disable")
    assert done.returncode == 0, done.stdout[-4000:]
    assert " passed" in done.stdout
