"""Reliability under faulty backends: an op that raises, hangs, returns the wrong shape or
dtype, mutates its input or returns NaN fails its own test with a readable message while the
run goes on; a backend that crashes the process loses only that test under pytest-xdist, and
the summary and the report still appear."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import tests.faulty_backends as faulty

ROOT = Path(__file__).resolve().parent.parent
TEST = "conformance/test_elementwise.py::test_atan_notes_example"
pytestmark = pytest.mark.timeout(300)

#: What each faulty backend's failure must say.
EXPECTED = {
    faulty.Raises: ("faulty kernel: atan exploded", "raised by atan-raises.atan", "reproduce:"),
    faulty.Hangs: ("Timeout",),
    faulty.WrongShape: ("shape (9, 1), expected (9,)",),
    faulty.WrongDtype: ("dtype float32, expected float64",),
    faulty.MutatesInput: ("mutated its argument 0", "out-of-place"),
    faulty.ReturnsNaN: ("1 NaN where the reference has a number", "got nan"),
}


def _pytest(*args: str, report: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pytest", TEST, "-k", "float64", "-p", "no:cacheprovider", "-rf", "-q", "--tb=short",
               f"--spec-report={report}", *args]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=280,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


def _by_backend(report: Path) -> dict[str, dict]:
    return {t["backend"]: t for t in json.loads((report / "conformance.json").read_text())["tests"]}


def _path(cls: type) -> str:
    return f"{cls.__module__}:{cls.__name__}"


def test_each_fault_fails_its_own_test_with_a_readable_message(tmp_path):
    """The control passes; each faulty backend fails with the message naming its fault, the
    hang is stopped by the per-test timeout, and every test ran (the run went on)."""
    backends = ",".join(["numpy", *map(_path, EXPECTED)])
    done = _pytest(f"--backend={backends}", "--timeout=5", report=tmp_path)
    results = _by_backend(tmp_path)
    assert results["numpy"]["outcome"] == "passed", done.stdout[-3000:]
    for cls, phrases in EXPECTED.items():
        assert results[cls.name]["outcome"] == "failed", f"{cls.name} was not caught:\n{done.stdout[-3000:]}"
        section = done.stdout.split(f"test_atan_notes_example[{cls.name}-float64]", 2)[1]
        missing = [p for p in phrases if p not in section]
        assert not missing, f"{cls.name}: the failure does not say {missing}:\n{section[:2000]}"
    assert "dlspec conformance summary" in done.stdout


def test_a_crashing_backend_loses_only_its_test_under_xdist(tmp_path):
    """With ``-n 2`` a segfault kills one worker: xdist reports that test as failed (crashed),
    replaces the worker, the other tests pass, and the summary and the report still appear."""
    done = _pytest(f"--backend=numpy,reference,{_path(faulty.Crashes)}", "-n", "2", report=tmp_path)
    results = _by_backend(tmp_path)
    assert results[faulty.Crashes.name]["outcome"] == "failed", done.stdout[-3000:]
    assert results["numpy"]["outcome"] == results["reference"]["outcome"] == "passed"
    assert "crashed" in done.stdout + done.stderr
    assert "dlspec conformance summary" in done.stdout


def test_reduced_precision_passes_only_when_declared(tmp_path):
    """A float32 matmul on TF32-rounded factors (a GPU's tensor-core default) fails the
    policy's float32 bound unless the backend declares ``float32_matmul_precision = "tf32"``:
    the tolerance widens for a declared precision, never to hide an undeclared one."""
    backends = f"{_path(faulty.Tf32Undeclared)},{_path(faulty.Tf32Declared)}"
    command = [sys.executable, "-m", "pytest", "conformance/test_matmul.py::test_matmul_full_mantissa", "-k", "float32", "-p", "no:cacheprovider", "-q",
               f"--backend={backends}", f"--spec-report={tmp_path}"]
    subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=280,
                   env={**os.environ, "PYTHONPATH": str(ROOT)})
    results = _by_backend(tmp_path)
    assert results[faulty.Tf32Undeclared.name]["outcome"] == "failed"
    assert results[faulty.Tf32Declared.name]["outcome"] == "passed"
