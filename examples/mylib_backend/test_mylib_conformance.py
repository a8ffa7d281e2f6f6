"""dlspec's memory conformance tests, collected here so the conftest's fixture applies."""

from conformance.test_memory import *  # noqa: F403
