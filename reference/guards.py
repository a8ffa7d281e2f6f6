"""Argument guards shared by the reference modules: each raises ``TypeError`` or
``ValueError`` with a message saying what is wrong."""

from __future__ import annotations

import collections.abc
import functools
import inspect
import types
import typing
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

T = TypeVar("T")


def check_int(value: object, what: str) -> int:
    """``value`` as an int; ``TypeError`` for anything else (bool included)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{what} must be an int, got {type(value).__name__}")
    return int(value)


def dim_position(dim: int, ndim: int) -> int:
    """``dim`` in ``[-ndim, ndim)`` as a position; a 0-d tensor has no dimensions."""
    check_int(dim, "dim")
    if not -ndim <= dim < ndim:
        raise ValueError(f"dimension out of range (expected to be in range of [{-ndim}, {ndim - 1}], but got {dim})")
    return dim % ndim


def check_floats(x: object, what: str, min_ndim: int = 0) -> np.ndarray:
    """``x`` as a NumPy array of a floating dtype with at least ``min_ndim`` dims;
    ``TypeError`` or ``ValueError`` otherwise."""
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{what} must be a NumPy array, got {type(x).__name__}")
    if x.dtype.kind != "f":
        raise TypeError(f"{what} must have a floating dtype, got {x.dtype}")
    if x.ndim < min_ndim:
        raise ValueError(f"{what} must have at least {min_ndim} dims, got shape {x.shape}")
    return x


def check_choice(value: str, name: str, choices: tuple[str, ...]) -> None:
    """``ValueError`` unless ``value`` is one of ``choices``."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")


def typed(fn: Callable[..., T]) -> Callable[..., T]:
    """Check every argument of ``fn`` against its annotation before the call (``np.ndarray``,
    ``Tensor``, ``int``, ``float``, ``bool``, ``str``, unions with ``None``, sequences of them,
    callables, literals), raising ``TypeError`` naming the parameter; annotations it cannot
    check are left to the function's own guard clauses."""
    signature = inspect.signature(fn)
    hints: dict[str, Any] = {}

    @functools.wraps(fn)
    def checked(*args: Any, **kwargs: Any) -> T:
        if not hints:
            hints.update(typing.get_type_hints(fn))
            hints.setdefault("return", None)
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise TypeError(f"{fn.__name__}: {exc}") from None
        for name, value in bound.arguments.items():
            hint = hints.get(name)
            if hint is not None and signature.parameters[name].kind not in (inspect.Parameter.VAR_POSITIONAL,
                                                                           inspect.Parameter.VAR_KEYWORD):
                if _accepts(value, hint) is False:
                    raise TypeError(f"{fn.__name__}: {name} must be {_describe(hint)}, got {type(value).__name__}")
        return fn(*args, **kwargs)

    return checked


def _accepts(value: object, hint: Any) -> bool | None:
    """Whether ``value`` fits ``hint``; None where the hint is beyond this simple check."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is None or hint is type(None):
        return value is None
    if origin in (typing.Union, types.UnionType):
        results = [_accepts(value, a) for a in args]
        return any(r is not False for r in results)
    if origin is typing.Literal:
        return value in args
    if hint is Any or isinstance(hint, typing.TypeVar):
        return None
    if hint is bool:
        return isinstance(value, (bool, np.bool_))
    if hint is int:  # 0-d integer arrays count (torch sizes may be 0-d tensors, O20); bools do not
        return _real(value, "iu") and not isinstance(value, (bool, np.bool_))
    if hint is float:
        return _real(value, "biuf")
    if origin is collections.abc.Callable or hint is collections.abc.Callable:
        return callable(value)
    if origin in (list, tuple, collections.abc.Sequence):
        if isinstance(value, (range, np.ndarray)):
            return isinstance(value, range) or value.ndim == 1
        if not isinstance(value, (list, tuple)):  # a list where a tuple is annotated is fine
            return False
        inner = args[0] if len(args) == 1 or (len(args) == 2 and args[1] is Ellipsis) else None
        return None if inner is None else all(_accepts(v, inner) is not False for v in value)
    if hint is np.ndarray:  # NumPy's reductions hand back 0-d scalars, arrays in all but name
        return isinstance(value, (np.ndarray, np.generic))
    if isinstance(hint, type) and origin is None:
        return isinstance(value, hint)
    return None


def _real(value: object, kinds: str) -> bool:
    """A Python or NumPy real number, or a 0-d array of one, whose dtype kind is in ``kinds``."""
    if isinstance(value, bool):
        return "b" in kinds
    if isinstance(value, int):
        return True
    if isinstance(value, float):
        return "f" in kinds
    return isinstance(value, (np.generic, np.ndarray)) and np.ndim(value) == 0 and value.dtype.kind in kinds


def _describe(hint: Any) -> str:
    if typing.get_origin(hint) is None and isinstance(hint, type):
        return hint.__name__
    return str(hint).replace("typing.", "").replace("collections.abc.", "").replace("numpy.", "np.")
