"""The backend API: what a library implements to be checked and benchmarked by dlspec.

A backend is a thin adapter over one library.  It converts arrays to and from NumPy,
names dtypes, answers ``shares_memory``, declares its :class:`Capabilities`, and overrides
one method per spec operation it supports.  An operation it does not override is reported
as *not implemented*; one it builds from several of the library's own public calls is
decorated with :func:`composed` and reported as such.  Nothing falls back to the reference.
"""

from __future__ import annotations

import abc
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np

Array = Any
Shape = Sequence[int]
Implementation = Literal["native", "composed", "not implemented"]

#: Canonical dtype names; every backend maps its own dtypes to these.
DTYPES: tuple[str, ...] = (
    "float64", "float32", "float16", "bfloat16",
    "int64", "int32", "int8", "uint8", "bool", "complex64",
)


@dataclass(frozen=True)
class Capabilities:
    """What a backend's arrays can do; a test needing a missing capability is reported as
    *not applicable* with the reason given here, never silently skipped."""

    views: bool = True
    strides: bool = True
    inplace: bool = True
    autograd: bool = False
    dtypes: frozenset[str] = frozenset(DTYPES)
    devices: tuple[str, ...] = ("cpu",)
    reasons: dict[str, str] = field(default_factory=dict)

    def reason(self, capability: str) -> str:
        """Why the capability is missing, as declared by the backend."""
        return self.reasons.get(capability, f"the backend declares no {capability!r} capability")


class OpNotImplemented(NotImplementedError):
    """Raised by the base class for a spec operation the backend does not provide."""


SPEC_OPS: dict[str, str] = {}


def spec_op(ids: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a base-class method as a spec operation covering catalogue ``ids``."""

    def register(method: Callable[..., Any]) -> Callable[..., Any]:
        SPEC_OPS[method.__name__] = ids

        @functools.wraps(method)
        def stub(self: Backend, *args: Any, **kwargs: Any) -> Any:
            raise OpNotImplemented(f"backend {self.name!r} does not implement {method.__name__!r}")

        stub.__dlspec_stub__ = True  # type: ignore[attr-defined]
        return stub

    return register


def composed(method: Callable[..., Any]) -> Callable[..., Any]:
    """Mark an adapter method built from several public calls of its library."""
    method.__dlspec_composed__ = True  # type: ignore[attr-defined]
    return method


class Backend(abc.ABC):
    """Base class of every adapter.  Subclasses set ``name`` and ``capabilities``, implement
    the abstract conversions and override the spec operations they support."""

    name: ClassVar[str] = "backend"
    capabilities: ClassVar[Capabilities] = Capabilities()
    #: Exceptions that count as "the library raised" where the spec says an op must raise.
    error_types: ClassVar[tuple[type[BaseException], ...]] = (ValueError, TypeError, IndexError, RuntimeError)

    def __init__(self, device: str = "cpu") -> None:
        if device not in self.capabilities.devices:
            raise ValueError(f"backend {self.name!r} supports devices {self.capabilities.devices}, not {device!r}")
        self.device = device

    # -- identity -------------------------------------------------------------------

    @property
    @abc.abstractmethod
    def library(self) -> str:
        """The library's name and version, e.g. ``'torch 2.13.0'``."""

    def unavailable(self) -> str | None:
        """Why this backend cannot run here (e.g. no GPU), or ``None`` when it can."""
        return None

    def implementation(self, op: str) -> Implementation:
        """How this backend provides spec operation ``op``."""
        if op not in SPEC_OPS:
            raise KeyError(f"{op!r} is not a spec operation; known: {', '.join(sorted(SPEC_OPS))}")
        method = getattr(type(self), op)
        if getattr(method, "__dlspec_stub__", False):
            return "not implemented"
        return "composed" if getattr(method, "__dlspec_composed__", False) else "native"

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} ({self.library}, {self.device})>"

    # -- conversions ----------------------------------------------------------------

    @abc.abstractmethod
    def asarray(self, values: np.ndarray, dtype: str | None = None) -> Array:
        """A new contiguous backend array holding ``values`` (cast to canonical ``dtype``)."""

    @abc.abstractmethod
    def to_numpy(self, x: Array) -> np.ndarray:
        """The values of ``x`` as NumPy (bfloat16 comes back as float32, exactly)."""

    @abc.abstractmethod
    def dtype(self, name: str) -> Any:
        """The library's dtype object for canonical dtype ``name``; raises ``TypeError`` for a
        dtype outside ``capabilities.dtypes``."""

    @abc.abstractmethod
    def dtype_name(self, x: Array) -> str:
        """The canonical name (one of :data:`DTYPES`) of ``x``'s dtype."""

    @abc.abstractmethod
    def shape(self, x: Array) -> tuple[int, ...]:
        """The shape of ``x`` as a tuple of ints."""

    def shares_memory(self, a: Array, b: Array) -> bool:
        """True when ``a`` and ``b`` are backed by the same memory, so a write through one
        is seen through the other.  Backends without views have no aliasing."""
        return False

    def strides(self, x: Array) -> tuple[int, ...] | None:
        """Strides of ``x`` in elements, or ``None`` when the library does not expose them."""
        return None

    def synchronize(self) -> None:
        """Block until all queued work on the device is done (no-op on the CPU)."""

    # -- device facts for perf/ -----------------------------------------------------

    def device_name(self) -> str:
        """A human-readable name of the device the arrays live on."""
        return self.device

    def event_pair(self) -> tuple[Any, Any] | None:
        """Two device timing events ``(start, end)`` with ``record()``, ``synchronize()`` and
        ``start.elapsed_time(end)`` in milliseconds (the CUDA event API), or ``None`` when the
        device has none and wall-clock timing is used."""
        return None

    def l2_cache_bytes(self) -> int | None:
        """The device's last-level cache size in bytes, when the library reports it."""
        return None

    # -- spec operations: tensor memory (T01–T28) -----------------------------------

    @spec_op("T08 T15 T17")
    def view(self, x: Array, shape: Shape) -> Array:
        """A view with a new shape; raises when the strides cannot express it."""

    @spec_op("T13 T16 T25")
    def reshape(self, x: Array, shape: Shape) -> Array:
        """A view when possible, otherwise a copy."""

    @spec_op("T10 T11")
    def transpose(self, x: Array, dim0: int, dim1: int) -> Array:
        """Swap two dimensions (a view)."""

    @spec_op("T12")
    def permute(self, x: Array, dims: Shape) -> Array:
        """Reorder all dimensions (a view)."""

    @spec_op("T24")
    def reverse_dims(self, x: Array) -> Array:
        """``x.T``: reverse all dimensions (a view)."""

    @spec_op("T18 T19")
    def expand(self, x: Array, shape: Shape) -> Array:
        """Broadcast to ``shape`` without copying (stride 0); ``-1`` keeps a size."""

    @spec_op("T05")
    def unsqueeze(self, x: Array, dim: int) -> Array:
        """Insert a size-1 dimension (a view)."""

    @spec_op("T05")
    def squeeze(self, x: Array, dim: int | None = None) -> Array:
        """Remove size-1 dimensions (a view)."""

    @spec_op("T04 T28")
    def getitem(self, x: Array, index: tuple[int | slice, ...]) -> Array:
        """Basic indexing with ints and positive-step slices (a view)."""

    @spec_op("T08 T18 T20")
    def setitem(self, x: Array, index: tuple[int | slice, ...], value: float) -> None:
        """Write ``value`` into ``x[index]`` in place."""

    @spec_op("T06 T14")
    def contiguous(self, x: Array) -> Array:
        """``x`` itself when contiguous, else a row-major copy."""

    @spec_op("T07")
    def is_contiguous(self, x: Array) -> bool:
        """Whether ``x`` is row-major contiguous."""

    @spec_op("T21")
    def repeat(self, x: Array, sizes: Shape) -> Array:
        """Tile ``x`` (always a copy)."""

    @spec_op("T20")
    def detach(self, x: Array) -> Array:
        """The same memory, cut from the autograd graph."""

    @spec_op("T21")
    def clone(self, x: Array) -> Array:
        """A copy with its own memory."""

    @spec_op("T22")
    def sum(self, x: Array, dim: int) -> Array:
        """Sum along one dimension, which disappears."""

    @spec_op("T23")
    def add(self, a: Array, b: Array) -> Array:
        """Element-wise ``a + b``."""

    @spec_op("T23")
    def subtract(self, a: Array, b: Array) -> Array:
        """Element-wise ``a - b``."""

    @spec_op("T23")
    def multiply(self, a: Array, b: Array) -> Array:
        """Element-wise ``a * b``."""

    @spec_op("T23")
    def divide(self, a: Array, b: Array) -> Array:
        """Element-wise ``a / b``."""

    @spec_op("T23")
    def matmul(self, a: Array, b: Array) -> Array:
        """The matrix product ``a @ b``."""

    @spec_op("T26")
    def gather(self, x: Array, dim: int, index: Array) -> Array:
        """Pick elements along ``dim`` by an index array of the same ndim."""

    @spec_op("T27")
    def vmap(self, fn: Callable[[Array], Array], x: Array) -> Array:
        """Map a per-sample function over dimension 0."""
