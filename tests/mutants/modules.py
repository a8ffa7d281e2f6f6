"""Broken backends for modules (MD01–MD16) and LoRA (TR03), built on the torch adapter (the only
library with a module system)."""

from __future__ import annotations

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
