"""The pytest plugin: ``--backend`` / ``--device``, the ``backend`` fixture, the run header,
the hypothesis profiles and the closing summary of native / composed / not-implemented.

Loaded by the root ``conftest.py`` and by the ``pytest11`` entry point, so ``pytest``,
``pytest conformance``, ``pytest perf`` and ``pytest docs`` all see the same options.
A third party may also override the ``backend`` fixture in its own conftest; that fixture
does not request ``backend_name``, so no parametrization over ``--backend`` happens.
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings

from dlspec import testing
from dlspec.api import Backend
from dlspec.registry import BackendError, known_names, resolve
from dlspec.report import ConformanceReport, backend_of, outcome

settings.register_profile(
    "ci", parent=settings.get_profile("ci"), max_examples=25, deadline=None, derandomize=True,
    database=None, print_blob=True, suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=25, deadline=None)
# Self-tests run the suite against broken backends: fail fast, no shrinking.
settings.register_profile("mutants", parent=settings.get_profile("ci"), phases=[Phase.explicit, Phase.generate])
settings.register_profile(
    "thorough", max_examples=1000, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

_BACKENDS = pytest.StashKey[dict[str, Backend]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("dlspec", "dlspec backends")
    group.addoption(
        "--backend", default=os.environ.get("DLSPEC_BACKEND", "reference"),
        help="backend(s) to test: a comma list of built-in names, 'package.module:Attr' paths or "
             "entry-point names (default: $DLSPEC_BACKEND or 'reference')",
    )
    group.addoption("--device", default=os.environ.get("DLSPEC_DEVICE", "cpu"), choices=("cpu", "cuda"),
                    help="device for the backend's arrays (default: cpu)")
    group.addoption("--spec-report", default=None, metavar="DIR",
                    help="write the conformance report (conformance.json, .md, .html) into DIR")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "spec(*ids): catalogue IDs (../shared/catalogue.md) a test covers")
    config.addinivalue_line("markers", f"{testing.UNGUARDED}: run spec operations without input snapshots (perf/)")
    if config.getoption("hypothesis_profile", None) is None:
        settings.load_profile("ci")  # deterministic by default: the same command gives the same results
    names = [n for n in config.getoption("backend").split(",") if n.strip()]
    if not names:
        raise pytest.UsageError(f"--backend is empty; {known_names()}")
    backends: dict[str, Backend] = {}
    for name in names:
        try:
            backend = resolve(name, config.getoption("device"))
        except BackendError as exc:
            raise pytest.UsageError(str(exc)) from None
        backend.selector = name.strip()  # what --backend must say to select it again
        backends[name if backend.name in backends else backend.name] = backend
    config.stash[_BACKENDS] = backends
    config.pluginmanager.register(_Tally(backends), "dlspec-tally")
    if (out := config.getoption("spec_report")) is not None:
        config.pluginmanager.register(ConformanceReport(config, Path(out)), "dlspec-report")


def backends_of(config: pytest.Config) -> dict[str, Backend]:
    """The backends selected for this run, by their test-id name."""
    return config.stash[_BACKENDS]


def pytest_report_header(config: pytest.Config) -> list[str]:
    lines = []
    for name, b in config.stash[_BACKENDS].items():
        caps = b.capabilities
        flags = ", ".join(f"{c}={'yes' if getattr(caps, c) else 'no'}" for c in ("views", "strides", "inplace", "autograd"))
        lines.append(f"dlspec backend {name}: {b.library}, device {b.device}; {flags}; "
                     f"dtypes {', '.join(sorted(caps.dtypes))}")
        if (reason := b.unavailable()) is not None:
            lines.append(f"  {name} is unavailable here and its tests are skipped: {reason}")
    lines.append(f"hypothesis profile: {settings._current_profile}")
    return lines


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend_name" in metafunc.fixturenames:
        names = list(metafunc.config.stash[_BACKENDS])
        metafunc.parametrize("backend_name", names, ids=names, indirect=True, scope="session")


@pytest.fixture(scope="session")
def backend_name(request: pytest.FixtureRequest) -> str:
    """The name of the backend this test runs against (one per ``--backend`` entry)."""
    return request.param


@pytest.fixture(scope="session")
def backend(request: pytest.FixtureRequest, backend_name: str) -> Backend:
    """The selected backend; skipped, with the reason, when it cannot run here."""
    b = request.config.stash[_BACKENDS][backend_name]
    if (reason := b.unavailable()) is not None:
        pytest.skip(f"{testing.NOT_APPLICABLE} {backend_name}: {reason}")
    return b


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    testing._current["item"] = item
    callspec = getattr(item, "callspec", None)
    if callspec is not None and "backend_name" in callspec.params:
        item.user_properties.append(("dlspec_backend", callspec.params["backend_name"]))


def pytest_runtest_teardown(item: pytest.Item) -> None:
    testing._current["item"] = None


class _Tally:
    """Counts outcomes per backend, with skips split into not implemented / not applicable,
    and how each backend provides every operation the tests reached."""

    def __init__(self, backends: dict[str, Backend]) -> None:
        self.backends = backends
        self.outcomes: dict[str, Counter] = defaultdict(Counter)
        self.ops: dict[str, dict[str, str]] = defaultdict(dict)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when != "call" and report.outcome == "passed":
            return
        name = backend_of(report, list(self.backends)) or "(no backend)"
        self.outcomes[name][outcome(report)] += 1
        for key, value in report.user_properties:
            if key == "dlspec_op":
                self.ops[value[0]][value[1]] = value[2]

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.outcomes:
            return
        tr = terminalreporter
        tr.section("dlspec conformance summary")
        cols = ("passed", "failed", "not implemented", "not applicable", "skipped")
        tr.write_line(f"{'backend':<24}" + "".join(f"{c:>16}" for c in cols))
        for name in sorted(self.outcomes):
            tr.write_line(f"{name:<24}" + "".join(f"{self.outcomes[name][c]:>16}" for c in cols))
        for name in sorted(self.ops):
            kinds: dict[str, list[str]] = defaultdict(list)
            for op, kind in sorted(self.ops[name].items()):
                kinds[kind].append(op)
            parts = [f"{kind} {len(v)} ({', '.join(v)})" for kind, v in sorted(kinds.items())]
            tr.write_line(f"{name} operations: " + "; ".join(parts))
