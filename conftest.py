"""Root conftest: loads the dlspec pytest plugin for every folder (conformance, docs, perf,
tests), so ``--backend`` and ``--device`` work with ``pytest <any of them>``."""

pytest_plugins = ["dlspec.plugin"]
