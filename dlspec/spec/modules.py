"""Spec operations of module parameters, buffers, state_dict, train/eval and training techniques (catalogue MD01–MD16, TR01–TR03).

Module trees are described in plain data (see :mod:`reference.modules`): a backend with the
``modules`` capability builds the tree with its own module system and reports what the spec
pins down — names, shapes and canonical dtype names, training flags, a saved and reloaded
state.  LoRA and gradient checkpointing are functional operations any library with autograd
can provide.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dlspec.spec import Array, spec_op

Entry = tuple[str, tuple[int, ...], str]


class ModuleOps:
    """Module parameters, buffers, state_dict, train/eval and training techniques."""

    @spec_op("MD01 MD02 MD04 MD06 MD07 MD14")
    def module_entries(self, tree: dict, what: str) -> list[Entry]:
        """``(name, shape, dtype)`` of the built tree's ``named_parameters()``,
        ``named_buffers()`` or ``state_dict()`` (``what``), in the library's order."""

    @spec_op("MD02 MD07")
    def module_names(self, tree: dict) -> list[str]:
        """The names of the built tree's ``named_modules()``, the root ``""`` first."""

    @spec_op("MD05")
    def module_modes(self, tree: dict, training: bool) -> list[tuple[str, bool]]:
        """Every module's ``training`` flag after ``train()`` (``training``) or ``eval()``
        on the root of a freshly built tree, switched the other way first."""

    @spec_op("MD10")
    def module_convert(self, tree: dict, dtype: str) -> list[Entry]:
        """The ``state_dict`` entries after ``module.to(dtype)``."""

    @spec_op("MD06 MD14")
    def module_save_load(self, tree: dict, state: dict[str, Any]) -> dict[str, Array]:
        """Load ``state`` (arrays by key) into a built tree (strict), save its ``state_dict``
        to bytes, load those into a freshly built tree and return its ``state_dict``."""

    @spec_op("MD03")
    def module_hooks(self, x: Array, weight: Array, bias: Array, scale: float,
                     calls: Sequence[str]) -> list[tuple[Array, int, int]]:
        """A ``Linear`` of ``weight`` and ``bias`` with a counting forward pre-hook and a counting
        forward hook that returns ``scale`` times the output; for each of ``calls`` (``"call"``:
        ``m(x)``, ``"forward"``: ``m.forward(x)``) the output and both hooks' counts so far."""

    @spec_op("MD09")
    def module_to_device(self, tree: dict, device: str | None = None) -> dict[str, Any]:
        """``module.to(device)`` on a built tree; ``None`` means a device of the backend's other
        than the one it runs on.  Returns ``{"device": device type, "same_module": whether
        .to returned the module itself, "entries": [(name, device type)]}`` over
        ``named_parameters()`` then ``named_buffers()`` afterwards."""

    @spec_op("MD15")
    def module_pickle_round_trip(self, tree: dict, state: dict[str, Any], class_available: bool,
                                 weights_only: bool) -> dict[str, Array]:
        """Load ``state`` into a built tree held by a module of a class of its own, save the
        whole module (pickled, not its ``state_dict``), make the class unimportable unless
        ``class_available``, load it with ``weights_only`` and return its tree's ``state_dict``."""

    @spec_op("TR02 TR03")
    def lora_module_grads(self, x: Array, weight: Array, a: Array, b: Array, alpha: float) -> dict[str, Array | None]:
        """A LoRA module over a frozen base ``Linear`` of ``weight``: the gradients its
        parameters hold after ``backward`` of the output's sum (``None`` where none)."""

    @spec_op("TR03")
    def lora_init(self, weight: Array, rank: int, seed: int) -> tuple[Array, Array]:
        """LoRA's initial ``(A, B)`` for a base weight of shape ``(out, in)``: ``A``
        ``(rank, in)`` drawn as ``nn.Linear`` draws its weight, ``B`` ``(out, rank)``."""

    @spec_op("TR03")
    def lora_linear(self, x: Array, weight: Array, a: Array, b: Array, alpha: float) -> Array:
        """``x @ W.T + (alpha / r)·(x @ A.T) @ B.T``."""

    @spec_op("TR03")
    def lora_merge(self, weight: Array, a: Array, b: Array, alpha: float) -> Array:
        """The merged weight ``W + (alpha / r)·B @ A``."""

    @spec_op("TR01")
    def checkpointed_mlp(self, x: Array, w1: Array, w2: Array, checkpoint: bool = True) -> Array:
        """``tanh(x @ w1.T) @ w2.T``, the hidden segment under the library's gradient
        checkpointing when ``checkpoint``."""
