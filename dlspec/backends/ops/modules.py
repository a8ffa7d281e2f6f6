"""Adapters' implementations of module parameters, buffers, state_dict, train/eval and training techniques (MD01–MD16, TR01–TR03), one mixin per library;
each backend class in ``dlspec.backends`` inherits its library's mixin.

Only torch has a module system; the reference pins the module rules as functions (the tests
compare with them directly).  LoRA and checkpointing are functions, provided by every library
that can compute them.
"""

from __future__ import annotations

import io
import math
import pickle
import sys
import types
import uuid
from typing import Any

from dlspec.spec import composed
from reference import memory
from reference import modules as ref


def _entries(named: Any) -> list[tuple[str, tuple[int, ...], str]]:
    return [(name, tuple(t.shape), str(t.dtype).removeprefix("torch.")) for name, t in named]


class ReferenceModules:
    """The reference: the functional operations, on ``reference.memory.Tensor`` objects."""

    def lora_linear(self, x: memory.Tensor, weight: memory.Tensor, a: memory.Tensor, b: memory.Tensor,
                    alpha: float) -> memory.Tensor:
        out = ref.lora_linear(*(memory.to_numpy(t) for t in (x, weight, a, b)), alpha)
        return memory.from_numpy(out.astype(x.dtype))

    def lora_merge(self, weight: memory.Tensor, a: memory.Tensor, b: memory.Tensor, alpha: float) -> memory.Tensor:
        return memory.from_numpy(ref.lora_merge(*(memory.to_numpy(t) for t in (weight, a, b)), alpha).astype(weight.dtype))

    def lora_init(self, weight: memory.Tensor, rank: int, seed: int) -> tuple[memory.Tensor, memory.Tensor]:
        a, b = ref.lora_init(weight.shape[0], weight.shape[1], rank, seed)
        return memory.from_numpy(a.astype(weight.dtype)), memory.from_numpy(b.astype(weight.dtype))

    def checkpointed_mlp(self, x: memory.Tensor, w1: memory.Tensor, w2: memory.Tensor,
                         checkpoint: bool = True) -> memory.Tensor:
        return memory.from_numpy(ref.checkpointed_mlp(*(memory.to_numpy(t) for t in (x, w1, w2))).astype(x.dtype))


class XpModules:
    """Libraries with NumPy's API under ``self.xp``: LoRA composed from products."""

    @composed
    def lora_linear(self, x: Any, weight: Any, a: Any, b: Any, alpha: float) -> Any:
        xp = self.xp
        return xp.matmul(x, weight.T) + (alpha / a.shape[0]) * xp.matmul(xp.matmul(x, a.T), b.T)

    @composed
    def lora_merge(self, weight: Any, a: Any, b: Any, alpha: float) -> Any:
        return weight + (alpha / a.shape[0]) * self.xp.matmul(b, a)


class NumpyModules(XpModules):
    """NumPy (and CuPy, through ``self.xp``): no module system, no gradients to checkpoint."""

    @composed
    def lora_init(self, weight: Any, rank: int, seed: int) -> tuple[Any, Any]:
        out, inp = weight.shape
        bound = 1.0 / math.sqrt(inp)  # kaiming_uniform_(a=sqrt(5)), as nn.Linear
        a = self.xp.random.default_rng(seed).uniform(-bound, bound, (rank, inp)).astype(weight.dtype)
        return a, self.xp.zeros((out, rank), dtype=weight.dtype)


class TorchModules:
    """PyTorch: trees built from ``nn`` modules, parameters and children registered by
    attribute assignment, buffers by ``register_buffer``."""

    def module_entries(self, tree: dict, what: str) -> list[tuple[str, tuple[int, ...], str]]:
        module = self._build(tree)
        if what == "state_dict":
            return _entries(module.state_dict().items())
        if what not in ("parameters", "buffers"):
            raise ValueError(f"what must be parameters, buffers or state_dict, got {what!r}")
        return _entries(getattr(module, f"named_{what}")())

    def module_names(self, tree: dict) -> list[str]:
        return [name for name, _ in self._build(tree).named_modules()]

    def module_modes(self, tree: dict, training: bool) -> list[tuple[str, bool]]:
        module = self._build(tree)
        module.train(not training)
        module.train() if training else module.eval()
        return [(name, m.training) for name, m in module.named_modules()]

    def module_convert(self, tree: dict, dtype: str) -> list[tuple[str, tuple[int, ...], str]]:
        return _entries(self._build(tree).to(self.dtype(dtype)).state_dict().items())

    @composed
    def module_save_load(self, tree: dict, state: dict[str, Any]) -> dict[str, Any]:
        module = self._build(tree)
        module.load_state_dict(state)
        saved = io.BytesIO()
        self.torch.save(module.state_dict(), saved)
        saved.seek(0)
        fresh = self._build(tree)
        fresh.load_state_dict(self.torch.load(saved, weights_only=True))
        return dict(fresh.state_dict())

    @composed
    def module_hooks(self, x: Any, weight: Any, bias: Any, scale: float, calls: Any) -> list[tuple[Any, int, int]]:
        torch = self.torch
        layer = torch.nn.Linear(weight.shape[1], weight.shape[0], device=weight.device, dtype=weight.dtype)
        with torch.no_grad():
            layer.weight.copy_(weight)
            layer.bias.copy_(bias)
        counts = [0, 0]

        def pre_hook(module: Any, inputs: Any) -> None:
            counts[0] += 1  # returns None: the input is kept

        def hook(module: Any, inputs: Any, output: Any) -> Any:
            counts[1] += 1
            return scale * output  # MD03: a hook's return value replaces the output

        layer.register_forward_pre_hook(pre_hook)
        layer.register_forward_hook(hook)
        found = []
        for how in calls:
            with torch.no_grad():
                out = self._invoke(layer, x, how)
            found.append((out, *counts))
        return found

    def module_to_device(self, tree: dict, device: str | None = None) -> dict[str, Any]:
        module = self._build(tree)
        target = self.torch.device(self._spare_device() if device is None else device)
        moved = self._move(module, target)
        tensors = [*module.named_parameters(), *module.named_buffers()]
        return {"device": target.type, "same_module": moved is module,
                "entries": [(name, t.device.type) for name, t in tensors]}

    @composed
    def module_pickle_round_trip(self, tree: dict, state: dict[str, Any], class_available: bool,
                                 weights_only: bool) -> dict[str, Any]:
        torch = self.torch
        home = types.ModuleType(f"dlspec_pickled_{uuid.uuid4().hex}")  # a throwaway module defining the class
        home.Net = type("Net", (torch.nn.Module,), {"__module__": home.__name__})
        sys.modules[home.__name__] = home
        try:
            net = home.Net()
            net.body = self._build(tree)
            net.body.load_state_dict(state)
            saved = io.BytesIO()
            torch.save(net, saved)  # the whole module, pickled: its class by name, not its code
            saved.seek(0)
            if not class_available:
                del sys.modules[home.__name__]  # as in a process that never defined it
            loaded = self._load_module(saved, weights_only)
        finally:
            sys.modules.pop(home.__name__, None)
        return dict(loaded.body.state_dict())

    @composed
    def lora_module_grads(self, x: Any, weight: Any, a: Any, b: Any, alpha: float) -> dict[str, Any]:
        torch, nn = self.torch, self.torch.nn
        module = nn.Module()
        module.base = nn.Linear(weight.shape[1], weight.shape[0], bias=False, device=weight.device, dtype=weight.dtype)
        with torch.no_grad():
            module.base.weight.copy_(weight)
        module.base.requires_grad_(False)  # the pre-trained body is frozen
        module.lora_A, module.lora_B = nn.Parameter(a.clone()), nn.Parameter(b.clone())
        out = module.base(x) + (alpha / a.shape[0]) * (x @ module.lora_A.T) @ module.lora_B.T
        out.sum().backward()
        return {name: p.grad for name, p in module.named_parameters()}

    @composed
    def lora_init(self, weight: Any, rank: int, seed: int) -> tuple[Any, Any]:
        torch = self.torch
        a = torch.empty(rank, weight.shape[1], dtype=weight.dtype, device=weight.device)
        torch.nn.init.kaiming_uniform_(a, a=math.sqrt(5), generator=torch.Generator(device=weight.device).manual_seed(seed))
        return a, torch.zeros(weight.shape[0], rank, dtype=weight.dtype, device=weight.device)

    @composed
    def lora_linear(self, x: Any, weight: Any, a: Any, b: Any, alpha: float) -> Any:
        linear = self.torch.nn.functional.linear
        return linear(x, weight) + (alpha / a.shape[0]) * linear(linear(x, a), b)

    @composed
    def lora_merge(self, weight: Any, a: Any, b: Any, alpha: float) -> Any:
        return weight + (alpha / a.shape[0]) * (b @ a)

    @composed
    def checkpointed_mlp(self, x: Any, w1: Any, w2: Any, checkpoint: bool = True) -> Any:
        functional = self.torch.nn.functional

        def segment(inputs: Any, weight: Any) -> Any:
            return self.torch.tanh(functional.linear(inputs, weight))

        hidden = self.torch.utils.checkpoint.checkpoint(segment, x, w1, use_reentrant=False) if checkpoint else segment(x, w1)
        return functional.linear(hidden, w2)

    def _invoke(self, module: Any, x: Any, how: str) -> Any:
        """``m(x)`` through ``__call__`` (``"call"``) or ``m.forward(x)`` directly (``"forward"``)."""
        if how not in ref.HOOK_CALLS:
            raise ValueError(f"how must be one of {ref.HOOK_CALLS}, got {how!r}")
        return module(x) if how == "call" else module.forward(x)

    def _spare_device(self) -> str:
        """A device other than the backend's: CUDA from the CPU where there is one, else the
        tensor-less ``meta`` device; the CPU from CUDA."""
        if self.device != "cpu":
            return "cpu"
        return "cuda" if self.torch.cuda.is_available() else "meta"

    def _move(self, module: Any, device: Any) -> Any:
        """``module.to(device)``: what it returns."""
        return module.to(device)

    def _load_module(self, saved: io.BytesIO, weights_only: bool) -> Any:
        """``torch.load`` of a pickled module; pickle's own errors (the class cannot be found,
        ``weights_only`` refuses the pickle) become the spec's ``ValueError``."""
        try:
            return self.torch.load(saved, weights_only=weights_only)
        except (pickle.UnpicklingError, AttributeError, ImportError) as exc:
            raise ValueError(f"torch.load cannot rebuild the pickled module: {type(exc).__name__}: {exc}") from exc

    def _build(self, tree: dict) -> Any:
        """The tree as torch modules (float32 parameters, zero-filled buffers) on the device."""
        ref.named_entries(tree, "parameters")  # the description's own guards
        return self._node(tree).to(self.device)

    def _node(self, node: dict) -> Any:
        nn, kind = self.torch.nn, node["type"]
        if kind == "Linear":
            return nn.Linear(node["in_features"], node["out_features"], bias=node.get("bias", True))
        if kind == "BatchNorm1d":
            return nn.BatchNorm1d(node["num_features"])
        if kind in ("Dropout", "ReLU"):
            return getattr(nn, kind)(**({"p": node["p"]} if "p" in node else {}))
        if kind == "Sequential":
            return nn.Sequential(*(self._node(c) for c in node.get("children", [])))
        if kind == "ModuleList":
            return nn.ModuleList([self._node(c) for c in node.get("children", [])])
        if kind == "ModuleDict":
            return nn.ModuleDict({name: self._node(c) for name, c in node.get("children", {}).items()})
        module = nn.Module()
        for name, shape in node.get("parameters", {}).items():
            setattr(module, name, nn.Parameter(self.torch.zeros(tuple(shape))))  # MD01: assignment registers it
        for name, spec in node.get("buffers", {}).items():
            values = self.torch.zeros(tuple(spec.get("shape", ())), dtype=self.dtype(spec.get("dtype", "float32")))
            module.register_buffer(name, values, persistent=spec.get("persistent", True))
        for name, child in node.get("children", {}).items():
            setattr(module, name, self._node(child))  # MD02: assignment registers the child
        module.python_list = [self._node(c) for c in node.get("python_list", [])]  # MD07: not registered
        return module


class JaxModules(XpModules):
    """JAX: no module system of its own; LoRA and ``jax.checkpoint``."""

    @composed
    def lora_init(self, weight: Any, rank: int, seed: int) -> tuple[Any, Any]:
        out, inp = weight.shape
        bound = 1.0 / math.sqrt(inp)
        a = self.jax.random.uniform(self.jax.random.key(seed), (rank, inp), weight.dtype, -bound, bound)
        return a, self.jnp.zeros((out, rank), dtype=weight.dtype)

    @composed
    def checkpointed_mlp(self, x: Any, w1: Any, w2: Any, checkpoint: bool = True) -> Any:
        jnp = self.jnp

        def segment(inputs: Any, weight: Any) -> Any:
            return jnp.tanh(jnp.matmul(inputs, weight.T))

        hidden = (self.jax.checkpoint(segment) if checkpoint else segment)(x, w1)
        return jnp.matmul(hidden, w2.T)
