"""Self-test: every deliberately broken backend in ``tests/mutants`` makes the conformance
suite fail — in one of the tests it names in ``catches`` — while the real NumPy adapter,
run alongside as the control, passes."""

from __future__ import annotations

import importlib
import inspect
import os
import pkgutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

import pytest

import tests.mutants
from dlspec.api import Backend

ROOT = Path(__file__).resolve().parent.parent
CONTROL = "numpy"


def _mutants() -> dict[str, list[type[Backend]]]:
    """Mutant classes per area (module name), in definition order."""
    found: dict[str, list[type[Backend]]] = {}
    for info in pkgutil.iter_modules(tests.mutants.__path__):
        module = importlib.import_module(f"tests.mutants.{info.name}")
        found[info.name] = [c for name, c in inspect.getmembers(module, inspect.isclass)
                            if issubclass(c, Backend) and c.__module__ == module.__name__
                            and not name.startswith("_") and "catches" in vars(c)]
    return found


MUTANTS = _mutants()
CASES = [pytest.param(area, cls, id=cls.name) for area, classes in MUTANTS.items() for cls in classes]


def _run_area(area: str, classes: list[type[Backend]], report: Path) -> dict[str, dict[str, str]]:
    """Run ``conformance/test_<area>.py`` against the control and every mutant of the area,
    limited to the tests the mutants name; return {backend: {test id: outcome}}."""
    backends = [CONTROL] + [f"{c.__module__}:{c.__name__}" for c in classes]
    selected = sorted({name for c in classes for name in c.catches})
    command = [sys.executable, "-m", "pytest", f"conformance/test_{area}.py", f"--backend={','.join(backends)}",
               "-k", " or ".join(selected), "-q", "-p", "no:cacheprovider", "-p", "tests.mutant_select", "--hypothesis-profile=mutants",
               f"--junitxml={report}"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert report.exists(), f"the mutant run did not produce a report:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    names = [CONTROL] + [c.name for c in classes]
    outcomes: dict[str, dict[str, str]] = defaultdict(dict)
    for case in ET.parse(report).iter("testcase"):
        test, _, params = case.get("name", "").partition("[")
        owner = next((n for n in names if params.startswith(f"{n}-") or params == f"{n}]"), None)
        if owner is not None:
            failed = case.find("failure") is not None or case.find("error") is not None
            outcomes[owner][f"{test}[{params}"] = "failed" if failed else "passed"
    return outcomes


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, dict[str, str]]]:
    """Outcomes per area, one pytest run per area."""
    return {area: _run_area(area, classes, tmp_path_factory.mktemp(area) / "report.xml")
            for area, classes in MUTANTS.items()}


@pytest.mark.parametrize(("area", "mutant"), CASES)
def test_mutant_is_caught(outcomes, area, mutant):
    """The mutant fails at least one of the tests it names."""
    results = outcomes[area].get(mutant.name, {})
    assert results, f"no conformance test ran against mutant {mutant.name!r}"
    caught = sorted(t for t, outcome in results.items() if outcome == "failed" and t.startswith(mutant.catches))
    assert caught, (f"mutant {mutant.name!r} ({mutant.__doc__.strip()}) survived: none of {mutant.catches} failed; "
                    f"ran {len(results)} tests")


@pytest.mark.parametrize("area", sorted(MUTANTS))
def test_control_passes(outcomes, area):
    """The real NumPy adapter passes the same selection, so failures are the mutants' own."""
    failed = sorted(t for t, outcome in outcomes[area].get(CONTROL, {}).items() if outcome == "failed")
    assert outcomes[area].get(CONTROL), "the control backend ran no test"
    assert not failed, f"the control backend {CONTROL} failed: {failed}"
