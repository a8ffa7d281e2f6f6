"""What a conformance test uses to reach a backend: operations (or a counted skip),
capability checks, expected errors and the reproduction line of a failure."""

from __future__ import annotations

import contextlib
import functools
import shlex
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

from dlspec.api import Backend
from dlspec.spec import SPEC_INPLACE

#: Skip-reason prefixes; the plugin counts skips by them, so they stay distinct.
NOT_IMPLEMENTED = "not implemented by backend"
NOT_APPLICABLE = "not applicable on backend"

_current: dict[str, Any] = {"item": None}

#: Marker of tests whose operations run unguarded (perf/: snapshots would be timed).
UNGUARDED = "dlspec_unguarded"


def current_nodeid() -> str | None:
    """The node id of the test now running (set by the plugin), if any."""
    item = _current["item"]
    return item.nodeid if item is not None else None


def record(key: str, value: Any) -> None:
    """Attach a ``(key, value)`` property to the running test's report."""
    item = _current["item"]
    if item is not None:
        item.user_properties.append((key, value))


def op(backend: Backend, name: str) -> Callable[..., Any]:
    """The backend's implementation of spec operation ``name``; skips the test, reported as
    *not implemented*, when the backend does not provide it.

    In conformance and docs tests the operation comes guarded: an exception it raises carries
    a note naming the backend, the op and the reproduction, and an operation the spec does not
    declare in-place (``spec_op(..., inplace=True)``) fails the test if it changed any of its
    array arguments."""
    kind = backend.implementation(name)
    if not getattr(backend, "is_oracle", False):
        record("dlspec_op", (backend.name, name, kind))
    if kind == "not implemented":
        pytest.skip(f"{NOT_IMPLEMENTED} {backend.name}: {name}")
    method = getattr(backend, name)
    item = _current["item"]
    if item is not None and item.get_closest_marker(UNGUARDED) is not None:
        return method
    return _guarded(backend, name, method)


def _arrays(backend: Backend, values: Any) -> Iterator[tuple[str, Any, np.ndarray]]:
    """``(position, array, snapshot)`` for the arrays among ``values`` (one level into lists
    and tuples); values the backend cannot read back (e.g. JAX tracers) are left out."""
    for position, value in values:
        inner = [(f"{position}[{i}]", v) for i, v in enumerate(value)] if isinstance(value, (list, tuple)) else [(position, value)]
        for where, v in inner:
            if not (hasattr(v, "shape") and hasattr(v, "dtype")) or isinstance(v, np.generic):
                continue
            try:
                yield where, v, backend.to_numpy(v)
            except Exception:  # not concrete: nothing to compare
                continue


def _guarded(backend: Backend, name: str, method: Callable[..., Any]) -> Callable[..., Any]:
    inplace = name in SPEC_INPLACE

    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> Any:
        before = [] if inplace else list(_arrays(backend, [*enumerate(args), *kwargs.items()]))
        try:
            result = method(*args, **kwargs)
        except Exception as exc:
            exc.add_note(f"raised by {backend.name}.{name}; {reproduction(backend, name, '')}")
            raise
        for where, array, snapshot in before:
            after = backend.to_numpy(array)
            if after.shape != snapshot.shape or after.tobytes() != snapshot.tobytes():
                raise AssertionError(f"{backend.name} {name}: mutated its argument {where}, but the spec says "
                                     f"{name} is out-of-place (inputs must be left unchanged)\n"
                                     f"{reproduction(backend, name, '')}")
        return result

    return call


def require(backend: Backend, capability: str) -> None:
    """Skip, reported as *not applicable*, unless the backend declares ``capability``."""
    if not getattr(backend.capabilities, capability):
        pytest.skip(f"{NOT_APPLICABLE} {backend.name}: {backend.capabilities.reason(capability)}")


def require_dtype(backend: Backend, dtype: str) -> None:
    """Skip, reported as *not applicable*, unless the backend declares ``dtype``."""
    if dtype not in backend.capabilities.dtypes:
        pytest.skip(f"{NOT_APPLICABLE} {backend.name}: {backend.capabilities.reason(dtype)}")


def declared(backend: Backend, name: str) -> str:
    """The backend's declared choice for behaviour ``name`` (see ``Backend.behaviour``);
    skips, reported as *not applicable*, when it declares none."""
    value = backend.behaviour(name)
    if value is None:
        pytest.skip(f"{NOT_APPLICABLE} {backend.name}: declares no {name!r} behaviour")
    return value


@contextlib.contextmanager
def raises_as_spec(backend: Backend, what: str) -> Iterator[None]:
    """Assert that the block raises one of the backend's declared error types, as the spec
    requires for ``what``."""
    try:
        yield
    except backend.error_types:
        return
    raise AssertionError(f"{backend.name}: the spec requires an error for {what}, but none was raised\n"
                         f"{reproduction(backend, what, '')}")


def reproduction(backend: Backend, op: str, inputs: str) -> str:
    """A line saying how to reproduce the current check: the op, its inputs and a command."""
    nodeid = current_nodeid()
    selector = getattr(backend, "selector", backend.name)
    command = f"pytest {shlex.quote(nodeid)} --backend={selector} --device={backend.device}" if nodeid else ""
    detail = f"{op}({inputs})" if inputs else op
    return f"reproduce: {detail} on {backend.name} ({backend.library}, {backend.device})" + (f"; rerun: {command}" if command else "")
