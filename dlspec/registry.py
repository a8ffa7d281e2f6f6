"""Resolve a ``--backend`` name to a :class:`~dlspec.api.Backend` instance.

A name is a built-in (:data:`BUILTINS`), a ``package.module:Attr`` path, or the name of an
entry point in the :data:`ENTRY_POINT_GROUP` group registered by a third party's package.
``Attr`` may be a Backend subclass, a factory taking ``device=``, or an instance.
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points
from typing import Any

from dlspec.api import Backend

ENTRY_POINT_GROUP = "dlspec.backends"

BUILTINS: dict[str, str] = {
    "reference": "dlspec.backends.reference:ReferenceBackend",
    "numpy": "dlspec.backends.numpy:NumpyBackend",
    "torch": "dlspec.backends.torch:TorchBackend",
    "cupy": "dlspec.backends.cupy:CupyBackend",
    "jax": "dlspec.backends.jax:JaxBackend",
}

#: The package that provides each built-in's library, for the install hint.
_EXTRAS = {"torch": "torch", "jax": "jax", "cupy": "cuda12"}


class BackendError(Exception):
    """A backend name that cannot be resolved or loaded; the message says what to do."""


def known_names() -> str:
    """Built-in and installed entry-point names, for error messages and ``--help``."""
    plugins = sorted(ep.name for ep in entry_points(group=ENTRY_POINT_GROUP))
    return f"built-in: {', '.join(BUILTINS)}; installed entry points ({ENTRY_POINT_GROUP}): {', '.join(plugins) or 'none'}"


def resolve(name: str, device: str = "cpu") -> Backend:
    """Load and instantiate the backend called ``name`` on ``device``."""
    name = name.strip()
    if name in BUILTINS:
        target = _load_path(BUILTINS[name], hint=_install_hint(name))
    elif ":" in name:
        target = _load_path(name, hint="check that the module is importable from this directory or installed")
    else:
        found = [ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name == name]
        if not found:
            raise BackendError(f"unknown backend {name!r}; {known_names()}; or give a 'package.module:Attr' path")
        target = found[0].load()
    return _instantiate(target, name, device)


def _install_hint(name: str) -> str:
    extra = _EXTRAS.get(name)
    return f"install it with: pip install 'dlspec[{extra}]'" if extra else ""


def _load_path(path: str, hint: str) -> Any:
    module_name, _, attr = path.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise BackendError(f"backend {path!r} cannot be imported ({exc}); {hint}") from exc
    try:
        return getattr(module, attr)
    except AttributeError as exc:
        raise BackendError(f"module {module_name!r} has no attribute {attr!r}") from exc


def _instantiate(target: Any, name: str, device: str) -> Backend:
    if isinstance(target, type) and not issubclass(target, Backend):
        raise BackendError(f"{name!r} is the class {target.__name__}, not a dlspec.api.Backend")
    try:
        backend = target if isinstance(target, Backend) else target(device=device)
    except ImportError as exc:
        raise BackendError(f"backend {name!r} needs a library that is not installed ({exc}); {_install_hint(name)}") from exc
    except ValueError as exc:
        raise BackendError(f"backend {name!r}: {exc}") from exc
    if not isinstance(backend, Backend):
        raise BackendError(f"{name!r} gave {type(backend).__name__}, not a dlspec.api.Backend")
    return backend
