"""Spec operations: the methods a backend may implement, one mixin per area.

Each area module declares its operations as stubs with :func:`spec_op`; the stub raises
:class:`OpNotImplemented`, which is how an operation a backend does not override is
detected and reported as *not implemented*.  :class:`dlspec.api.Backend` inherits every
area's mixin.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

Array = Any
Shape = Sequence[int]

#: Every spec operation's name, mapped to the catalogue IDs it covers.
SPEC_OPS: dict[str, str] = {}
#: The spec operations that write into one of their arguments by design.
SPEC_INPLACE: set[str] = set()


class OpNotImplemented(NotImplementedError):
    """Raised by the base class for a spec operation the backend does not provide."""


def spec_op(ids: str, *, inplace: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a base-class method as a spec operation covering catalogue ``ids``;
    ``inplace`` declares that it writes into an argument (every other op must not)."""

    def register(method: Callable[..., Any]) -> Callable[..., Any]:
        SPEC_OPS[method.__name__] = ids
        if inplace:
            SPEC_INPLACE.add(method.__name__)

        @functools.wraps(method)
        def stub(self: Any, *args: Any, **kwargs: Any) -> Any:
            raise OpNotImplemented(f"backend {self.name!r} does not implement {method.__name__!r}")

        stub.__dlspec_stub__ = True  # type: ignore[attr-defined]
        return stub

    return register


def composed(method: Callable[..., Any]) -> Callable[..., Any]:
    """Mark an adapter method built from several public calls of its library."""
    method.__dlspec_composed__ = True  # type: ignore[attr-defined]
    return method
