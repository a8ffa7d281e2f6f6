"""Broken backends for embedding, weight tying and dropout (EM01–EM11, MD05), built on the torch
adapter (the gradient rules need autograd, the tying a module system)."""

from __future__ import annotations

from typing import Any

from dlspec.backends.torch import TorchBackend

CONTROL = "torch"


class PaddingRowGetsGradient(TorchBackend):
    """The lookup ignores padding_idx, so the padding row receives gradient like any other (EM04)."""

    name, catches = "padding-row-gets-gradient", ("test_embedding_gradient_rule",)

    def embedding_lookup(self, weight: Any, indices: Any, padding_idx: int | None = None,
                         scale_grad_by_freq: bool = False) -> Any:
        return super().embedding_lookup(weight, indices, None, scale_grad_by_freq)


class MaxNormNotInPlace(TorchBackend):
    """max_norm renormalises a copy of the table: the returned rows are right, the weight is untouched (EM05)."""

    name, catches = "max-norm-not-in-place", ("test_embedding_max_norm", "test_notes_max_norm_example")

    def embedding_max_norm(self, weight: Any, indices: Any, max_norm: float, norm_type: float = 2.0) -> Any:
        return super().embedding_max_norm(weight.clone(), indices, max_norm, norm_type)


class MaxNormRenormalisesAllRows(TorchBackend):
    """max_norm renormalises every row of the table, not only the looked-up ones (EM05)."""

    name, catches = "max-norm-all-rows", ("test_embedding_max_norm", "test_notes_max_norm_example")

    def embedding_max_norm(self, weight: Any, indices: Any, max_norm: float, norm_type: float = 2.0) -> Any:
        every = self.torch.arange(weight.shape[0], device=weight.device)
        super().embedding_max_norm(weight, every, max_norm, norm_type)
        return super().embedding_max_norm(weight, indices, max_norm, norm_type)


class DropoutNotScaled(TorchBackend):
    """Training-mode dropout zeroes elements but does not scale the survivors by 1/(1-p) (MD05)."""

    name, catches = "dropout-not-scaled", ("test_dropout_training",)

    def dropout(self, x: Any, p: float, training: bool, seed: int) -> Any:
        out = super().dropout(x, p, training, seed)
        return out * (1 - p) if training else out


class DropoutActiveInEval(TorchBackend):
    """Dropout keeps dropping in evaluation mode (MD05, A27: eval must be the identity)."""

    name, catches = "dropout-active-in-eval", ("test_dropout_eval_is_identity",)

    def dropout(self, x: Any, p: float, training: bool, seed: int) -> Any:
        return super().dropout(x, p, True, seed)


class TiedByCopy(TorchBackend):
    """The head gets a copy of the embedding's weight: an update through one is not seen by the other (EM09, EM10)."""

    name, catches = "tied-by-copy", ("test_tie_embedding_head",)

    def tie_embedding_head(self, weight: Any, delta: Any) -> tuple[Any, int]:
        nn = self.torch.nn
        embed, head = nn.Embedding.from_pretrained(weight.clone(), freeze=False), nn.Linear(*weight.shape[::-1], bias=False)
        head.weight = nn.Parameter(embed.weight.detach().clone())
        with self.torch.no_grad():
            embed.weight.add_(delta)
        return head.weight.detach().clone(), embed.weight.numel() + head.weight.numel()


class TiedByTranspose(TorchBackend):
    """The head is tied to the TRANSPOSED embedding weight, as the notes say: a (dim, vocab) array (EM11)."""

    name, catches = "tied-by-transpose", ("test_tie_embedding_head",)

    def tie_embedding_head(self, weight: Any, delta: Any) -> tuple[Any, int]:
        embed = self.torch.nn.Embedding.from_pretrained(weight.clone(), freeze=False)
        head_weight = self.torch.nn.Parameter(embed.weight.t())
        with self.torch.no_grad():
            embed.weight.add_(delta)
        return head_weight.detach().clone(), embed.weight.numel()
