"""The README's two commands are what a new user runs and what CI runs: keep them in sync
with ``.ci/run``, and keep the project ruff-clean."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def readme_commands() -> list[str]:
    """The first two ``bash`` blocks of the README, without comments."""
    blocks = re.findall(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)
    return [" ".join(line for line in block.splitlines() if not line.startswith("#")).strip() for block in blocks[:2]]


def test_readme_starts_with_the_main_job_and_the_test_suite():
    main_job, suite = readme_commands()
    assert 'pip install -e ".[torch,test]" "torch==2.13.0"' in main_job
    assert main_job.endswith("pytest conformance --backend=torch")
    assert '"torch==2.13.0"' in suite


def test_ci_runs_the_readme_install_and_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    _, suite = readme_commands()
    install, test = (part.strip() for part in suite.split("&&")[-2:])
    assert install in ci, f"CI does not install as the README says: {install}"
    assert test in ci, f"CI does not run the README's test command: {test}"


def test_ruff_clean():
    if importlib.util.find_spec("ruff") is None:
        pytest.skip("ruff is not installed (it comes with the 'test' extra)")
    done = subprocess.run([sys.executable, "-m", "ruff", "check", str(ROOT)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout
