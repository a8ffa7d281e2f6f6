"""Broken backends for modules (MD01–MD16) and LoRA (TR03), built on the torch adapter (the only
library with a module system)."""

from __future__ import annotations

import copy
from typing import Any

from dlspec.backends.torch import TorchBackend

CONTROL = "torch"


class StateDictWithoutBuffers(TorchBackend):
    """state_dict holds only the parameters, as the notes claim: persistent buffers are missing (MD14)."""

    name, catches = "state-dict-without-buffers", ("test_module_entries", "test_notes_state_dict_keys")

    def module_entries(self, tree: dict, what: str) -> list[tuple[str, tuple[int, ...], str]]:
        return super().module_entries(tree, "parameters" if what == "state_dict" else what)


class StateDictWithNonPersistentBuffers(TorchBackend):
    """state_dict also holds the non-persistent buffers (MD06: 'tmp' must not be saved)."""

    name, catches = "state-dict-with-non-persistent-buffers", ("test_module_entries", "test_notes_state_dict_keys")

    def _build(self, tree: dict) -> Any:
        module = super()._build(tree)
        for m in module.modules():
            m._non_persistent_buffers_set.clear()
        return module


class ConvertCastsIntegerBuffers(TorchBackend):
    """module.to(dtype) also casts integer buffers such as num_batches_tracked (MD10)."""

    name, catches = "convert-casts-integer-buffers", ("test_module_convert", "test_notes_double_keeps_num_batches_tracked")

    def module_convert(self, tree: dict, dtype: str) -> list[tuple[str, tuple[int, ...], str]]:
        return [(name, shape, dtype) for name, shape, _ in super().module_convert(tree, dtype)]


class EvalNotRecursive(TorchBackend):
    """train()/eval() switch the root's flag only, not its children's (MD05)."""

    name, catches = "eval-not-recursive", ("test_module_modes",)

    def module_modes(self, tree: dict, training: bool) -> list[tuple[str, bool]]:
        module = self._build(tree)
        module.training = training
        return [(name, m.training) for name, m in module.named_modules()]


class LoraBNonZero(TorchBackend):
    """LoRA initialises B with small random values, so the adapted layer does not start at the base (TR03)."""

    name, catches = "lora-b-non-zero", ("test_lora_init_starts_at_the_base",)

    def lora_init(self, weight: Any, rank: int, seed: int) -> tuple[Any, Any]:
        a, b = super().lora_init(weight, rank, seed)
        return a, 0.01 * self.torch.randn(b.shape, dtype=b.dtype, device=b.device)


class LoraBaseNotFrozen(TorchBackend):
    """The LoRA module leaves its base layer trainable: the base weight receives a gradient (TR02)."""

    name, catches = "lora-base-not-frozen", ("test_lora_module_freezes_the_base",)

    def lora_module_grads(self, x: Any, weight: Any, a: Any, b: Any, alpha: float) -> dict[str, Any]:
        grads = super().lora_module_grads(x, weight, a, b, alpha)
        w = weight.clone().requires_grad_(True)
        (x @ w.T).sum().backward()
        return {**grads, "base.weight": w.grad}


class ForwardRunsHooks(TorchBackend):
    """Calling m.forward(x) directly also runs the hooks, as if it were m(x) (MD03)."""

    name, catches = "forward-runs-hooks", ("test_module_hooks",)

    def _invoke(self, module: Any, x: Any, how: str) -> Any:
        return super()._invoke(module, x, "call")


class CallSkipsHooks(TorchBackend):
    """Calling m(x) runs forward alone, without the module's hooks (MD03)."""

    name, catches = "call-skips-hooks", ("test_module_hooks",)

    def _invoke(self, module: Any, x: Any, how: str) -> Any:
        return super()._invoke(module, x, "forward")


class HookOutputIgnored(TorchBackend):
    """m(x) runs the hooks but returns forward's output, ignoring the forward hook's return value (MD03)."""

    name, catches = "hook-output-ignored", ("test_module_hooks",)

    def _invoke(self, module: Any, x: Any, how: str) -> Any:
        out = super()._invoke(module, x, how)
        return module.forward(x) if how == "call" else out


class ToMovesParametersOnly(TorchBackend):
    """module.to(device) moves the parameters of every sub-module but leaves the buffers behind (MD09)."""

    name, catches = "to-moves-parameters-only", ("test_module_to_device",)

    def _move(self, module: Any, device: Any) -> Any:
        for m in module.modules():
            for key, p in m._parameters.items():
                m._parameters[key] = self.torch.nn.Parameter(p.to(device), requires_grad=p.requires_grad)
        return module


class ToSkipsNonPersistentBuffers(TorchBackend):
    """module.to(device) leaves the non-persistent buffers (those kept out of state_dict) where they were (MD09)."""

    name, catches = "to-skips-non-persistent-buffers", ("test_module_to_device",)

    def _move(self, module: Any, device: Any) -> Any:
        kept = {(m, key): m._buffers[key] for m in module.modules() for key in m._non_persistent_buffers_set}
        moved = super()._move(module, device)
        for (m, key), buffer in kept.items():
            m._buffers[key] = buffer
        return moved


class ToReturnsACopy(TorchBackend):
    """module.to(device) returns a moved copy and leaves the module itself where it was (MD09)."""

    name, catches = "to-returns-a-copy", ("test_module_to_device",)

    def _move(self, module: Any, device: Any) -> Any:
        return copy.deepcopy(module).to(device)


class WholeModelSavedAsStateDict(TorchBackend):
    """Saving the whole model saves only its state_dict, so loading needs no class and passes weights_only (MD15)."""

    name, catches = "whole-model-saved-as-state-dict", ("test_module_pickle_round_trip",)

    def module_pickle_round_trip(self, tree: dict, state: dict[str, Any], class_available: bool,
                                 weights_only: bool) -> dict[str, Any]:
        return self.module_save_load(tree, state)


class LoadIgnoresWeightsOnly(TorchBackend):
    """torch.load unpickles any module whatever weights_only says, as before torch 2.6 (MD15)."""

    name, catches = "load-ignores-weights-only", ("test_module_pickle_round_trip",)

    def _load_module(self, saved: Any, weights_only: bool) -> Any:
        return super()._load_module(saved, False)
