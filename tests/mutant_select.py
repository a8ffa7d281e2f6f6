"""pytest plugin for the mutant runs (``-p tests.mutant_select``): a mutant backend runs
only the tests it names in ``catches``; backends without ``catches`` run everything."""

from __future__ import annotations

import pytest

from dlspec.plugin import backends_of


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    backends = backends_of(config)
    keep, drop = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        backend = backends.get(callspec.params.get("backend_name")) if callspec else None
        catches = getattr(backend, "catches", None)
        (keep if catches is None or getattr(item, "originalname", item.name) in catches else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
