"""The backend API: what a library implements to be checked and benchmarked by dlspec.

A backend is a thin adapter over one library.  It converts arrays to and from NumPy,
names dtypes, answers ``shares_memory``, declares its :class:`Capabilities`, and overrides
one method per spec operation it supports.  An operation it does not override is reported
as *not implemented*; one it builds from several of the library's own public calls is
decorated with :func:`composed` and reported as such.  Nothing falls back to the reference.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np

from dlspec.spec import SPEC_OPS, Array, OpNotImplemented, Shape, composed, spec_op
from dlspec.spec.attention import AttentionOps
from dlspec.spec.autograd import AutogradOps
from dlspec.spec.broadcasting import BroadcastingOps
from dlspec.spec.decoding import DecodingOps
from dlspec.spec.dtypes import DtypeOps
from dlspec.spec.einsum import EinsumOps
from dlspec.spec.elementwise import ElementwiseOps
from dlspec.spec.kvcache import KVCacheOps
from dlspec.spec.layers import LayerOps
from dlspec.spec.losses import LossOps
from dlspec.spec.matmul import MatmulOps
from dlspec.spec.memory import MemoryOps
from dlspec.spec.modules import ModuleOps
from dlspec.spec.normalization import NormalizationOps
from dlspec.spec.optimizers import OptimizerOps
from dlspec.spec.parallel import ParallelOps
from dlspec.spec.quantization import QuantizationOps
from dlspec.spec.sequences import SequenceOps
from dlspec.spec.shapes import ShapeOps

__all__ = ["DTYPES", "SPEC_OPS", "Array", "Backend", "Capabilities", "OpNotImplemented", "Shape", "composed", "spec_op"]

Implementation = Literal["native", "composed", "not implemented"]

#: Canonical dtype names; every backend maps its own dtypes to these.
DTYPES: tuple[str, ...] = (
    "float64", "float32", "float16", "bfloat16",
    "int64", "int32", "int8", "uint16", "uint8", "bool", "complex64",
)


@dataclass(frozen=True)
class Capabilities:
    """What a backend's arrays can do; a test needing a missing capability is reported as
    *not applicable* with the reason given here, never silently skipped."""

    views: bool = True
    strides: bool = True
    inplace: bool = True
    #: ``vjp`` works: gradients of spec operations (functional, as in JAX, or by a tape, as in torch).
    autograd: bool = False
    #: torch-like tensors with ``.grad``, ``.is_leaf``, ``backward()``: the graph rules (A, C).
    graph: bool = False
    #: torch-like modules with parameters, buffers, ``state_dict`` and ``train()``/``eval()`` (MD, TR).
    modules: bool = False
    #: several processes with collectives (all-reduce, all-gather) can be started (P, DA).
    distributed: bool = False
    dtypes: frozenset[str] = frozenset(DTYPES)
    devices: tuple[str, ...] = ("cpu",)
    reasons: dict[str, str] = field(default_factory=dict)

    def reason(self, capability: str) -> str:
        """Why the capability is missing, as declared by the backend."""
        return self.reasons.get(capability, f"the backend declares no {capability!r} capability")


class Backend(MemoryOps, ShapeOps, BroadcastingOps, MatmulOps, EinsumOps, ElementwiseOps, DtypeOps,
              AutogradOps, LayerOps, NormalizationOps, LossOps, OptimizerOps, ModuleOps,
              AttentionOps, KVCacheOps, DecodingOps, SequenceOps, QuantizationOps, ParallelOps, abc.ABC):
    """Base class of every adapter.  Subclasses set ``name`` and ``capabilities``, implement
    the abstract conversions and override the spec operations they support (the stubs come
    from one mixin per area in :mod:`dlspec.spec`)."""

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

    def behaviour(self, name: str) -> str | None:
        """The backend's declared choice where libraries legitimately differ (e.g.
        ``squeeze_non_singleton``: ``"noop"`` in torch, ``"error"`` in numpy), looked up in the
        ``behaviours`` dicts of its classes; ``None`` when undeclared."""
        for cls in type(self).__mro__:
            declared = cls.__dict__.get("behaviours", {})
            if name in declared:
                return declared[name]
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

    def vjp(self, fn: Callable[..., Array], primals: Sequence[Array], cotangent: Array) -> list[Array]:
        """The vector-Jacobian product of ``fn`` at ``primals``: for ``out = fn(*primals)``, the
        gradients of ``sum(cotangent * out)`` with respect to each primal (zeros where ``out``
        does not depend on it).  Backends declaring ``autograd`` override this."""
        raise OpNotImplemented(f"backend {self.name!r} has no autograd: {self.capabilities.reason('autograd')}")

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
