"""Module rules (catalogue MD01–MD16) and training techniques (TR01–TR03), as functions of plain data.

A module tree is described by nested dicts, each with a ``"type"``:

* ``{"type": "Linear", "in_features": i, "out_features": o, "bias": True}``: parameters
  ``weight`` ``(o, i)`` (out, in: M08) and, with ``bias``, ``bias`` ``(o,)``;
* ``{"type": "BatchNorm1d", "num_features": n}``: parameters ``weight``, ``bias`` ``(n,)`` and
  persistent buffers ``running_mean``, ``running_var`` (float32) and ``num_batches_tracked``
  (int64, a ``()`` counter);
* ``{"type": "Dropout", "p": p}`` and ``{"type": "ReLU"}``: nothing registered;
* ``{"type": "Sequential" | "ModuleList", "children": [tree, ...]}``: children named
  ``"0"``, ``"1"``, …; ``{"type": "ModuleDict", "children": {name: tree}}``;
* ``{"type": "Module", "parameters": {name: shape}, "buffers": {name: {"shape": shape,
  "dtype": dtype, "persistent": bool}}, "children": {name: tree}, "python_list": [tree, ...]}``:
  a custom module whose parameters and children are registered by attribute assignment (MD01,
  MD02), buffers by ``register_buffer`` (MD04); modules kept in a plain Python list are NOT
  registered (MD07).  Every key is optional.

The rules: parameters are float32; ``named_parameters``/``named_buffers`` walk the modules in
pre-order, each module's own entries in registration order, names joined with dots (MD02);
``state_dict`` holds, per module in the same walk, its parameters then its PERSISTENT buffers —
buffers are saved too (MD06, MD14: not only the parameters), non-persistent ones are not;
``train()``/``eval()`` set ``training`` on every module recursively (MD05); ``.to(dtype)``
converts floating parameters and buffers only — integer buffers such as
``num_batches_tracked`` keep int64 (MD10); ``load_state_dict`` needs exactly the state_dict's
keys and shapes (strict) and copies the values into the module's own dtypes (MD06).

Calling a module, ``m(x)``, runs its forward pre-hooks, ``forward`` and its forward hooks, a
hook's return value replacing the output; ``m.forward(x)`` runs no hook (MD03).
``.to(device)`` moves every parameter and buffer of every sub-module and returns the same
module (MD09).  Pickling the whole module saves its class's name, not its code (MD15);
``save_pretrained`` writes a config and the weights (MD16).

LoRA (TR02, TR03): a frozen ``(out, in)`` weight ``W`` plus ``(alpha / r)·B·A`` with trainable
``A`` ``(r, in)`` and ``B`` ``(out, r)``; ``B`` starts at zero so the output starts equal to the
base layer's; merging gives one weight ``W + (alpha/r)·B·A`` with the same output.  Gradient
checkpointing (TR01) recomputes a segment's forward during backward: values and gradients
are those of the plain function.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from reference.guards import check_choice, check_floats, check_int, typed

Entry = tuple[str, tuple[int, ...], str]
WHAT = ("parameters", "buffers", "state_dict")
FLOATING = ("float64", "float32", "float16", "bfloat16")
DTYPES = (*FLOATING, "int64", "int32", "int8", "uint8", "bool")
#: ``m(x)`` through ``__call__`` and ``m.forward(x)`` called directly (MD03).
HOOK_CALLS = ("call", "forward")
#: The files Hugging Face ``save_pretrained(dir)`` writes, which ``from_pretrained(dir)`` reads (MD16).
PRETRAINED_FILES = ("config.json", "model.safetensors")
_BATCHNORM_BUFFERS = (("running_mean", "float32"), ("running_var", "float32"), ("num_batches_tracked", "int64"))
_KEYS = {"Linear": {"in_features", "out_features", "bias"}, "BatchNorm1d": {"num_features"}, "Dropout": {"p"},
         "ReLU": set(), "Sequential": {"children"}, "ModuleList": {"children"}, "ModuleDict": {"children"},
         "Module": {"parameters", "buffers", "children", "python_list"}}


@typed
def named_entries(tree: dict, what: str) -> list[Entry]:
    """``(name, shape, dtype)`` of the tree's ``named_parameters()`` (MD01, MD02),
    ``named_buffers()`` (all buffers, MD04) or ``state_dict()`` (parameters and persistent
    buffers, MD06, MD07, MD14), in the library's order."""
    check_choice(what, "what", WHAT)
    entries: list[Entry] = []
    for prefix, node in _walk(tree, ""):
        params, buffers = _own(node)
        kept = {"parameters": params, "buffers": [(n, s, d) for n, s, d, _ in buffers],
                "state_dict": params + [(n, s, d) for n, s, d, persistent in buffers if persistent]}[what]
        entries += [(prefix + name, shape, dtype) for name, shape, dtype in kept]
    return entries


@typed
def module_names(tree: dict) -> list[str]:
    """``named_modules()``: the registered modules in pre-order, the root named ``""`` (MD02, MD07)."""
    return [prefix.removesuffix(".") for prefix, _ in _walk(tree, "")]


@typed
def training_flags(tree: dict, training: bool) -> list[tuple[str, bool]]:
    """Every module's ``training`` flag after ``train()`` (``True``) or ``eval()``
    (``False``) on the root: the call reaches every registered module (MD05)."""
    return [(name, bool(training)) for name in module_names(tree)]


@typed
def converted_entries(tree: dict, dtype: str) -> list[Entry]:
    """The ``state_dict`` entries after ``module.to(dtype)`` (MD10): floating parameters and
    buffers take ``dtype``, integer buffers keep theirs.  ``dtype`` must be floating."""
    check_choice(dtype, "dtype", DTYPES)
    if dtype not in FLOATING:
        raise TypeError(f"nn.Module.to only accepts floating point dtypes, got {dtype}")
    return [(name, shape, dtype if old in FLOATING else old) for name, shape, old in named_entries(tree, "state_dict")]


@typed
def load_state_dict(tree: dict, state: dict) -> dict[str, np.ndarray]:
    """What a module of ``tree`` holds after ``load_state_dict(state)`` (strict, MD06): the
    state_dict's keys in its order, each value cast to the entry's dtype; a missing or
    unexpected key, or a shape that differs, raises ``ValueError``."""
    entries = named_entries(tree, "state_dict")
    names = [name for name, _, _ in entries]
    missing, unexpected = [n for n in names if n not in state], [k for k in state if k not in names]
    if missing or unexpected:
        raise ValueError(f"load_state_dict: missing keys {missing}, unexpected keys {unexpected}")
    loaded = {}
    for name, shape, dtype in entries:
        value = state[name]
        if not isinstance(value, np.ndarray) or value.shape != shape:
            raise ValueError(f"load_state_dict: {name} needs an array of shape {shape}, got {_describe(value)}")
        loaded[name] = value.astype(np.float32 if dtype == "bfloat16" else dtype)
    return loaded


# -- hooks, devices, saving the whole model (MD03 MD09 MD15 MD16) ------------------------------


@typed
def hook_counts(calls: Sequence[str]) -> list[tuple[int, int]]:
    """``(forward pre-hook, forward hook)`` call counts so far after each of ``calls`` on one
    module (MD03): ``"call"`` (``m(x)``, ``__call__``) runs both hooks around ``forward``,
    ``"forward"`` (``m.forward(x)`` called directly) runs neither."""
    counts, found = (0, 0), []
    for how in calls:
        check_choice(how, "call", HOOK_CALLS)
        counts = (counts[0] + 1, counts[1] + 1) if how == "call" else counts
        found.append(counts)
    return found


@typed
def hooked_linear(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, scale: float, how: str) -> np.ndarray:
    """The output of a ``Linear`` of ``weight`` ``(out, in)`` and ``bias`` ``(out,)`` whose forward
    hook returns ``scale · output`` (MD03): ``m(x)`` gives the hook's value, which replaces the
    output, ``scale · (x @ W.T + b)``; ``m.forward(x)`` the plain ``x @ W.T + b``."""
    check_choice(how, "how", HOOK_CALLS)
    for value, what in ((x, "x"), (weight, "weight"), (bias, "bias")):
        check_floats(value, what, 1)
    if weight.ndim != 2 or bias.shape != weight.shape[:1]:
        raise ValueError(f"weight must be (out, in) and bias (out,), got {weight.shape} and {bias.shape}")
    if x.shape[-1] != weight.shape[1]:
        raise ValueError(f"x must end in in_features = {weight.shape[1]}, got shape {x.shape}")
    out = _product(x, weight) + np.asarray(bias, np.float64)
    return scale * out if how == "call" else out


@typed
def to_device(tree: dict, device: str) -> dict[str, Any]:
    """``module.to(device)`` (MD09): converts in place, so the same module comes back
    (``same_module``), and leaves the structure alone while every parameter and every buffer
    — persistent or not, of every sub-module — ends on ``device``: ``entries`` holds
    ``(name, device type)`` in ``named_parameters()`` then ``named_buffers()`` order."""
    kind = device.partition(":")[0]
    if not kind.isidentifier():
        raise ValueError(f"device must name a device type such as 'cuda' or 'cuda:1', got {device!r}")
    names = [name for what in ("parameters", "buffers") for name, _, _ in named_entries(tree, what)]
    return {"device": kind, "same_module": True, "entries": [(name, kind) for name in names]}


@typed
def pickle_round_trip(tree: dict, state: dict, class_available: bool, weights_only: bool) -> dict[str, np.ndarray]:
    """Saving the whole module (pickling it, ``torch.save(model)``) and loading it back (MD15).
    The pickle names the module's class but does not hold its code: where the class cannot be
    imported, loading raises ``ValueError``; ``weights_only=True`` (``torch.load``'s default
    since torch 2.6) refuses any pickled module, class or not.  Otherwise the module comes back
    holding the state :func:`load_state_dict` gives it."""
    loaded = load_state_dict(tree, state)
    if weights_only:
        raise ValueError("weights_only=True loads tensors and plain containers only: a pickled module is refused")
    if not class_available:
        raise ValueError("the pickle names the module's class but holds no code: loading needs the class definition")
    return loaded


# -- LoRA and gradient checkpointing (TR01-TR03) ------------------------------------------


@typed
def lora_linear(x: np.ndarray, weight: np.ndarray, a: np.ndarray, b: np.ndarray, alpha: float) -> np.ndarray:
    """``x @ W.T + (alpha / r) · (x @ A.T) @ B.T`` for ``x`` ``(*, in)``, ``W`` ``(out, in)``,
    ``A`` ``(r, in)``, ``B`` ``(out, r)`` (TR03), summed explicitly in float64."""
    rank = _lora_shapes(weight, a, b)
    x = np.asarray(x, dtype=np.float64)
    if x.ndim < 1 or x.shape[-1] != weight.shape[1]:
        raise ValueError(f"x must end in in_features = {weight.shape[1]}, got shape {x.shape}")
    return _product(x, weight) + (alpha / rank) * _product(_product(x, a), b)


@typed
def lora_merge(weight: np.ndarray, a: np.ndarray, b: np.ndarray, alpha: float) -> np.ndarray:
    """The merged weight ``W + (alpha / r) · B @ A`` (TR03): ``linear(x, merged)`` equals
    :func:`lora_linear`."""
    rank = _lora_shapes(weight, a, b)
    return np.asarray(weight, dtype=np.float64) + (alpha / rank) * _product(np.asarray(b, np.float64), np.asarray(a, np.float64).T)


@typed
def lora_init(out_features: int, in_features: int, rank: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """LoRA's initial ``(A, B)`` (TR03): ``A`` ``(r, in)`` uniform in ``±1/sqrt(in)``
    (``kaiming_uniform_(a=sqrt(5))``, as ``nn.Linear``), ``B`` ``(out, r)`` all zero, so the
    adapted layer starts equal to the base."""
    for value, what in ((out_features, "out_features"), (in_features, "in_features"), (rank, "rank"), (seed, "seed")):
        if check_int(value, what) < (0 if what == "seed" else 1):
            raise ValueError(f"{what} must be {'>= 0' if what == 'seed' else '>= 1'}, got {value}")
    bound = lora_a_bound(in_features)
    return np.random.default_rng(seed).uniform(-bound, bound, (rank, in_features)), np.zeros((out_features, rank))


@typed
def lora_a_bound(in_features: int) -> float:
    """The bound of ``A``'s uniform initialisation, ``gain·sqrt(3 / fan_in)`` with
    ``gain = sqrt(2 / (1 + 5))``: ``1 / sqrt(in_features)``."""
    if check_int(in_features, "in_features") < 1:
        raise ValueError(f"in_features must be >= 1, got {in_features}")
    return float(np.sqrt(2.0 / (1.0 + 5.0)) * np.sqrt(3.0 / in_features))


@typed
def lora_grads(x: np.ndarray, weight: np.ndarray, a: np.ndarray, b: np.ndarray, alpha: float,
               grad_output: np.ndarray) -> dict[str, np.ndarray | None]:
    """The gradients a LoRA module's parameters receive from ``grad_output`` (TR02), in
    ``named_parameters`` order (the module's own ``lora_A``, ``lora_B``, then its child's
    ``base.weight``): ``None`` for the frozen base; ``lora_A`` gets ``s · B.T @ g.T @ x`` and ``lora_B``
    gets ``s · g.T @ (x @ A.T)``, ``s = alpha / r``, summed over every leading dimension."""
    rank = _lora_shapes(weight, a, b)
    x = np.asarray(x, dtype=np.float64).reshape(-1, weight.shape[1])
    g = np.asarray(grad_output, dtype=np.float64)
    if g.size != x.shape[0] * weight.shape[0]:
        raise ValueError(f"grad_output must have the output's shape, got {g.shape}")
    g = g.reshape(-1, weight.shape[0])
    scale = alpha / rank
    return {"lora_A": scale * _product(_product(g, np.asarray(b, np.float64).T).T, x.T),
            "lora_B": scale * _product(g.T, _product(x, a).T), "base.weight": None}


@typed
def checkpointed_mlp(x: np.ndarray, w1: np.ndarray, w2: np.ndarray) -> np.ndarray:
    """``tanh(x @ w1.T) @ w2.T``, the function a checkpointed segment computes (TR01):
    recomputing it during backward changes neither its value nor its gradients."""
    w1, w2 = np.asarray(w1, np.float64), np.asarray(w2, np.float64)
    if w1.ndim != 2 or w2.ndim != 2 or w2.shape[1] != w1.shape[0]:
        raise ValueError(f"w1 (hidden, in) and w2 (out, hidden) must chain, got {w1.shape} and {w2.shape}")
    x = np.asarray(x, dtype=np.float64)
    if x.ndim < 1 or x.shape[-1] != w1.shape[1]:
        raise ValueError(f"x must end in in_features = {w1.shape[1]}, got shape {x.shape}")
    return _product(np.tanh(_product(x, w1)), w2)


# -- helpers and guards --------------------------------------------------------------------


def _product(x: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """``x @ weight.T`` as an explicit sum over the shared last dimension, in float64."""
    return np.sum(np.asarray(x, np.float64)[..., np.newaxis, :] * np.asarray(weight, np.float64), axis=-1)


def _lora_shapes(weight: np.ndarray, a: np.ndarray, b: np.ndarray) -> int:
    if weight.ndim != 2 or a.ndim != 2 or b.ndim != 2:
        raise ValueError(f"W, A and B must be 2-D, got shapes {weight.shape}, {a.shape}, {b.shape}")
    (out, inp), rank = weight.shape, a.shape[0]
    if rank < 1 or a.shape != (rank, inp) or b.shape != (out, rank):
        raise ValueError(f"for W of shape {weight.shape}, A must be (r, {inp}) and B ({out}, r) with r >= 1, "
                         f"got {a.shape} and {b.shape}")
    for array in (weight, a, b):
        if array.dtype.kind not in "f":
            raise TypeError(f"LoRA weights must be floating, got {array.dtype}")
    return rank


def _describe(value: Any) -> str:
    return f"shape {value.shape}" if isinstance(value, np.ndarray) else type(value).__name__


def _shape(value: Any, what: str) -> tuple[int, ...]:
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise TypeError(f"{what} must be a sequence of ints, got {type(value).__name__}")
    shape = tuple(check_int(s, what) for s in value)
    if any(s < 0 for s in shape):
        raise ValueError(f"{what} must have sizes >= 0, got {shape}")
    return shape


def _names(value: Any, what: str) -> dict:
    if not isinstance(value, dict):
        raise TypeError(f"{what} must be a dict, got {type(value).__name__}")
    for name in value:
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"{what} names must be identifiers, got {name!r}")
    return value


def _children(node: dict) -> list[tuple[str, dict]]:
    """A node's registered children, named as the library names them."""
    kind, children = node["type"], node.get("children", {} if node["type"] in ("Module", "ModuleDict") else [])
    if kind in ("Sequential", "ModuleList"):
        if not isinstance(children, list):
            raise TypeError(f"{kind} children must be a list, got {type(children).__name__}")
        return [(str(i), child) for i, child in enumerate(children)]
    if kind in ("ModuleDict", "Module"):
        return list(_names(children, f"{kind} children").items())
    return []


def _walk(tree: Any, prefix: str) -> list[tuple[str, dict]]:
    """``(prefix, node)`` for every registered module in pre-order, each prefix ending in a dot."""
    _check_node(tree)
    found = [(prefix, tree)]
    for name, child in _children(tree):
        found += _walk(child, f"{prefix}{name}.")
    unregistered = tree.get("python_list", [])
    if not isinstance(unregistered, list):
        raise TypeError(f"python_list must be a list, got {type(unregistered).__name__}")
    for node in unregistered:
        _walk(node, "")  # validated, yet invisible to the module system (MD07)
    return found


def _check_node(node: Any) -> None:
    if not isinstance(node, dict):
        raise TypeError(f"a module description must be a dict, got {type(node).__name__}")
    kind = node.get("type")
    if kind not in _KEYS:
        raise ValueError(f"unknown module type {kind!r}; known: {sorted(_KEYS)}")
    extra = set(node) - _KEYS[kind] - {"type"}
    if extra:
        raise ValueError(f"{kind} takes keys {sorted(_KEYS[kind])}, got {sorted(extra)}")


def _own(node: dict) -> tuple[list[Entry], list[tuple[str, tuple[int, ...], str, bool]]]:
    """A module's own parameters ``(name, shape, dtype)`` and buffers ``(…, persistent)``."""
    kind = node["type"]
    if kind == "Linear":
        out, inp = (_shape([node.get(k)], k)[0] for k in ("out_features", "in_features"))
        bias = node.get("bias", True)
        if not isinstance(bias, bool):
            raise TypeError(f"Linear bias must be a bool, got {type(bias).__name__}")
        return [("weight", (out, inp), "float32")] + ([("bias", (out,), "float32")] if bias else []), []
    if kind == "BatchNorm1d":
        (n,) = _shape([node.get("num_features")], "num_features")
        return ([("weight", (n,), "float32"), ("bias", (n,), "float32")],
                [(name, (n,) if dtype == "float32" else (), dtype, True) for name, dtype in _BATCHNORM_BUFFERS])
    if kind != "Module":
        return [], []
    params = [(name, _shape(shape, f"parameter {name}"), "float32")
              for name, shape in _names(node.get("parameters", {}), "parameters").items()]
    buffers = []
    for name, spec in _names(node.get("buffers", {}), "buffers").items():
        if not isinstance(spec, dict) or set(spec) - {"shape", "dtype", "persistent"}:
            raise ValueError(f"buffer {name} must be a dict with shape, dtype and persistent, got {spec!r}")
        dtype, persistent = spec.get("dtype", "float32"), spec.get("persistent", True)
        check_choice(dtype, f"buffer {name} dtype", DTYPES)
        if not isinstance(persistent, bool):
            raise TypeError(f"buffer {name} persistent must be a bool, got {type(persistent).__name__}")
        buffers.append((name, _shape(spec.get("shape", ()), f"buffer {name} shape"), dtype, persistent))
    return params, buffers
