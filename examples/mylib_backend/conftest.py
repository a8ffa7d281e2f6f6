"""Route 2: override the ``backend`` fixture.  Tests under this folder (here: dlspec's
memory conformance tests, re-exported by test_mylib_conformance.py) run against MyLib
with no ``--backend`` option at all."""

import pytest
from mylib_dlspec import MyLibBackend


@pytest.fixture(scope="session")
def backend() -> MyLibBackend:
    return MyLibBackend()
