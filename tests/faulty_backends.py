"""Faulty backends: the NumPy adapter with ``atan`` broken the ways real libraries break.
``tests/test_reliability.py`` runs the suite against them: each must fail its test alone,
with a readable message, and the run must go on."""

from __future__ import annotations

import faulthandler
import time
from typing import Any, ClassVar

import numpy as np

from dlspec.backends.numpy import NumpyBackend


class Raises(NumpyBackend):
    """atan raises an exception of the library's own."""

    name = "atan-raises"

    def atan(self, x: Any) -> Any:
        raise RuntimeError("faulty kernel: atan exploded")


class Hangs(NumpyBackend):
    """atan never returns."""

    name = "atan-hangs"

    def atan(self, x: Any) -> Any:
        time.sleep(3600)


class WrongShape(NumpyBackend):
    """atan returns an extra trailing dimension."""

    name = "atan-wrong-shape"

    def atan(self, x: Any) -> Any:
        return np.arctan(x)[..., None]


class WrongDtype(NumpyBackend):
    """atan returns float32 whatever the input dtype."""

    name = "atan-wrong-dtype"

    def atan(self, x: Any) -> Any:
        return np.arctan(x).astype(np.float32)


class MutatesInput(NumpyBackend):
    """atan returns the right values but zeroes its input (a real bug class: an in-place
    kernel behind an out-of-place API)."""

    name = "atan-mutates-input"

    def atan(self, x: Any) -> Any:
        out = np.arctan(x)
        x[...] = 0
        return out


class ReturnsNaN(NumpyBackend):
    """atan returns NaN in its first element."""

    name = "atan-returns-nan"

    def atan(self, x: Any) -> Any:
        out = np.arctan(x)
        out.flat[0] = np.nan
        return out


class Crashes(NumpyBackend):
    """atan kills the process with a segmentation fault."""

    name = "atan-crashes"

    def atan(self, x: Any) -> Any:
        faulthandler.disable()  # no traceback dump: the worker just dies
        faulthandler._sigsegv()


def _tf32(x: np.ndarray) -> np.ndarray:
    """float32 values rounded to TF32's 10 mantissa bits (round to nearest even)."""
    bits = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32)
    rounded = (bits + np.uint32(0xFFF) + ((bits >> np.uint32(13)) & np.uint32(1))) & np.uint32(0xFFFFE000)
    return rounded.view(np.float32)


class Tf32Undeclared(NumpyBackend):
    """float32 matmul on TF32-rounded factors, as tensor cores do, without declaring it."""

    name = "tf32-undeclared"

    def matmul_nd(self, a: Any, b: Any) -> Any:
        if a.dtype == b.dtype == np.float32:
            return np.matmul(_tf32(a), _tf32(b))
        return np.matmul(a, b)


class Tf32Declared(Tf32Undeclared):
    """The same matmul, declared: ``float32_matmul_precision = "tf32"``."""

    name = "tf32-declared"
    behaviours: ClassVar[dict[str, str]] = {"float32_matmul_precision": "tf32"}
