"""The pytest plugin and the backend registry, exercised as a user would: in a pytest
subprocess from the repository root."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dlspec.registry import BUILTINS, BackendError, resolve

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_SRC = ROOT / "examples" / "mylib_backend" / "src"


def run_pytest(*args: str, pythonpath: list[Path] = (), timeout: int = 300) -> subprocess.CompletedProcess:
    """``python -m pytest ARGS`` from the repository root, capturing its output."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(map(str, [ROOT, *pythonpath]))}
    env.pop("DLSPEC_BACKEND", None)
    return subprocess.run([sys.executable, "-m", "pytest", *args, "-p", "no:cacheprovider"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def test_unknown_backend_fails_at_start_listing_known_ones():
    done = run_pytest("conformance", "--backend=nosuchlib", "-q")
    assert done.returncode == 4, done.stdout + done.stderr  # pytest's usage-error exit code
    message = done.stderr
    assert "unknown backend 'nosuchlib'" in message
    for name in BUILTINS:
        assert name in message, f"the error does not list built-in {name!r}: {message}"
    assert "entry points" in message


def test_bad_module_path_names_the_problem():
    with pytest.raises(BackendError, match="cannot be imported"):
        resolve("no_such_module_xyz:Thing")
    with pytest.raises(BackendError, match="has no attribute"):
        resolve("dlspec.api:NoSuchBackend")
    with pytest.raises(BackendError, match=r"not a dlspec\.api\.Backend"):
        resolve("dlspec.api:Capabilities")


def test_comma_list_parametrizes_and_header_names_library_and_device():
    done = run_pytest("conformance/test_memory.py", "--backend=reference,numpy", "-k", "test_dtype_round_trip",
                      "-v", "--co")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "test_dtype_round_trip[reference-float32]" in done.stdout
    assert "test_dtype_round_trip[numpy-float32]" in done.stdout
    assert "dlspec backend numpy: numpy" in done.stdout and "device cpu" in done.stdout


def test_summary_separates_not_implemented_and_not_applicable():
    done = run_pytest("conformance/test_memory.py", "--backend=numpy", "-k", "dtype_round_trip or copy_or_alias", "-q")
    assert done.returncode == 0, done.stdout + done.stderr
    summary = done.stdout[done.stdout.index("dlspec conformance summary"):]
    row = next(line for line in summary.splitlines() if line.startswith("numpy "))
    passed, failed, not_implemented, not_applicable, skipped = map(int, row.split()[1:])
    assert not_implemented >= 1, "numpy's missing detach must be counted as not implemented"
    assert not_applicable >= 1, "numpy's missing bfloat16 must be counted as not applicable"
    assert failed == 0 and skipped == 0 and passed > 0
    assert "not implemented 1 (detach)" in summary


def test_module_attr_route():
    done = run_pytest("conformance/test_memory.py", "--backend=mylib_dlspec:MyLibBackend", pythonpath=[EXAMPLE_SRC])
    assert done.returncode == 0, done.stdout + done.stderr
    assert "dlspec backend mylib: mylib 0.1.0" in done.stdout


def test_entry_point_route(tmp_path):
    """A name registered under the ``dlspec.backends`` group, as ``pip install`` of the
    example would register it (here a bare dist-info on PYTHONPATH)."""
    info = tmp_path / "mylib_dlspec-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: mylib-dlspec\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text("[dlspec.backends]\nmylib = mylib_dlspec:MyLibBackend\n")
    done = run_pytest("conformance/test_memory.py", "--backend=mylib", "-q", pythonpath=[tmp_path, EXAMPLE_SRC])
    assert done.returncode == 0, done.stdout + done.stderr
    assert "mylib operations:" in done.stdout
    listed = run_pytest("conformance", "--backend=nosuchlib", pythonpath=[tmp_path, EXAMPLE_SRC])
    assert "installed entry points (dlspec.backends): mylib" in listed.stderr


def test_fixture_override_route():
    done = run_pytest("examples/mylib_backend", "-q", pythonpath=[EXAMPLE_SRC])
    assert done.returncode == 0, done.stdout + done.stderr
    assert "passed" in done.stdout and "not implemented" in done.stdout


def test_cupy_without_gpu_is_skipped_with_the_reason():
    done = run_pytest("conformance/test_memory.py", "--backend=cupy", "-rs", "-k", "dtype_round_trip")
    assert done.returncode == 0, done.stdout + done.stderr
    if "cupy is unavailable here" not in done.stdout:
        pytest.skip("this machine can run cupy")
    row = next(line for line in done.stdout.splitlines() if line.startswith("cupy "))
    passed, failed, not_implemented, not_applicable, skipped = map(int, row.split()[1:])
    assert (passed, failed, not_implemented, skipped) == (0, 0, 0, 0) and not_applicable > 0, row
