"""Self-test: every deliberately broken backend in ``tests/mutants`` makes the conformance
suite fail — in one of the tests it names in ``catches`` — while the real adapter the
mutants are built on, run alongside as the control, passes.  The control is NumPy unless the
area's module names another in ``CONTROL`` (torch, for areas NumPy cannot run)."""

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
CONTROLS: dict[str, str] = {}


def _mutants() -> dict[str, list[type[Backend]]]:
    """Mutant classes per area (module name), in definition order."""
    found: dict[str, list[type[Backend]]] = {}
    for info in pkgutil.iter_modules(tests.mutants.__path__):
        module = importlib.import_module(f"tests.mutants.{info.name}")
        CONTROLS[info.name] = getattr(module, "CONTROL", "numpy")
        found[info.name] = [c for name, c in inspect.getmembers(module, inspect.isclass)
                            if issubclass(c, Backend) and c.__module__ == module.__name__
                            and not name.startswith("_") and "catches" in vars(c)]
    return found


MUTANTS = _mutants()
pytestmark = pytest.mark.timeout(900)


def _run_area(area: str, classes: list[type[Backend]], report: Path) -> dict[str, dict[str, str]]:
    """Run ``conformance/test_<area>.py`` against the control and every mutant of the area,
    each mutant limited to the tests it names; return {backend: {test id: outcome}}."""
    control = CONTROLS[area]
    backends = [control] + [f"{c.__module__}:{c.__name__}" for c in classes]
    selected = sorted({name for c in classes for name in c.catches})
    command = [sys.executable, "-m", "pytest", f"conformance/test_{area}.py", f"--backend={','.join(backends)}",
               "-k", " or ".join(selected), "-q", "-p", "no:cacheprovider", "-p", "tests.mutant_select",
               "--hypothesis-profile=mutants", f"--junitxml={report}"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=850,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert report.exists(), f"the mutant run did not produce a report:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    names = [control] + [c.name for c in classes]
    outcomes: dict[str, dict[str, str]] = defaultdict(dict)
    for case in ET.parse(report).iter("testcase"):
        test, _, params = case.get("name", "").partition("[")
        owner = next((n for n in names if params.startswith(f"{n}-") or params == f"{n}]"), None)
        if owner is not None:
            failed = case.find("failure") is not None or case.find("error") is not None
            outcomes[owner][f"{test}[{params}"] = "failed" if failed else "passed"
    return outcomes


@pytest.mark.parametrize("area", sorted(MUTANTS))
def test_every_mutant_is_caught(area, tmp_path):
    """Each mutant of the area fails at least one of the tests it names, and the real adapter
    they are built on passes the same selection, so the failures are the mutants' own."""
    outcomes = _run_area(area, MUTANTS[area], tmp_path / "report.xml")
    control = outcomes.get(CONTROLS[area], {})
    assert control, "the control backend ran no test"
    assert not [t for t, o in control.items() if o == "failed"], f"the control backend {CONTROLS[area]} failed"
    survivors = []
    for mutant in MUTANTS[area]:
        results = outcomes.get(mutant.name, {})
        caught = [t for t, o in results.items() if o == "failed" and t.startswith(mutant.catches)]
        if not caught:
            survivors.append(f"{mutant.name} ({mutant.__doc__.strip()}): none of {mutant.catches} failed "
                             f"in {len(results)} tests")
    assert not survivors, "mutants survived:\n" + "\n".join(survivors)
