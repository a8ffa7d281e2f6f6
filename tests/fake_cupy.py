"""A stand-in ``cupy`` for machines without a GPU: NumPy under cupy's name, with the few
``cupy.cuda`` calls the adapter makes (device count and properties, synchronise, events
timed by the host clock).  Loaded as a pytest plugin (``-p tests.fake_cupy``) it makes
``--backend=cupy`` run the cupy adapter's own code paths on the CPU."""

from __future__ import annotations

import sys
import time
import types
from typing import Any

import numpy as np


class _Event:
    def __init__(self) -> None:
        self.at = 0.0

    def record(self) -> None:
        self.at = time.perf_counter()

    def synchronize(self) -> None:
        """Host work is already done when recorded."""

    def elapsed_time(self, end: _Event) -> float:
        return (end.at - self.at) * 1e3


class _Device:
    id = 0

    def synchronize(self) -> None:
        """Nothing is queued on a fake device."""


def _properties(device: int) -> dict[str, Any]:
    return {"name": b"fake GPU (NumPy on the host)", "l2CacheSize": 4 * 2**20}


def _module() -> types.ModuleType:
    fake = types.ModuleType("cupy", "NumPy standing in for cupy (tests.fake_cupy)")
    fake.__dict__.update({k: v for k, v in vars(np).items() if not k.startswith("__")})
    fake.__version__ = f"fake (numpy {np.__version__})"
    fake.random, fake.linalg, fake.fft = np.random, np.linalg, np.fft  # lazily loaded in NumPy
    fake.asnumpy = lambda x: np.array(x, copy=True)
    runtime = types.SimpleNamespace(getDeviceCount=lambda: 1, getDeviceProperties=_properties)
    fake.cuda = types.SimpleNamespace(runtime=runtime, Device=_Device, Event=_Event)
    return fake


sys.modules["cupy"] = _module()
