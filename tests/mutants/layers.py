"""Broken backends for embedding, weight tying, dropout and convolution (EM01–EM11, MD05, MD08), built on the torch
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


class EmbeddingPadsRowZeroByDefault(TorchBackend):
    """The layer defaults to padding_idx=0, so row 0 gets no gradient unless told otherwise (EM03)."""

    name, catches = "embedding-padding-zero-by-default", ("test_embedding_layer_defaults",)

    def embedding_module(self, weight: Any, indices: Any, cotangent: Any, **options: Any) -> Any:
        return super().embedding_module(weight, indices, cotangent, **{"padding_idx": 0, **options})


class EmbeddingScalesByFrequencyByDefault(TorchBackend):
    """The layer defaults to scale_grad_by_freq=True: a repeated id's gradient is averaged, not summed (EM03)."""

    name, catches = "embedding-scale-by-freq-by-default", ("test_embedding_layer_defaults",)

    def embedding_module(self, weight: Any, indices: Any, cotangent: Any, **options: Any) -> Any:
        return super().embedding_module(weight, indices, cotangent, **{"scale_grad_by_freq": True, **options})


class EmbeddingDeclaresPaddingZero(TorchBackend):
    """The declared defaults say padding_idx=0, the common belief that id 0 pads (EM03)."""

    name, catches = "embedding-declares-padding-zero", ("test_embedding_declared_defaults",)

    def embedding_defaults(self) -> dict[str, Any]:
        return {**super().embedding_defaults(), "padding_idx": 0}


class EmbeddingSparseIgnored(TorchBackend):
    """sparse=True is dropped: the gradient stays dense (EM08)."""

    name, catches = "embedding-sparse-ignored", ("test_embedding_sparse_gradient", "test_embedding_layer_options")

    def embedding_module(self, weight: Any, indices: Any, cotangent: Any, **options: Any) -> Any:
        options.pop("sparse", None)
        return super().embedding_module(weight, indices, cotangent, **options)


class AdamSwappedForSparseAdam(TorchBackend):
    """A sparse gradient handed to "adam" quietly runs SparseAdam instead of raising (EM08)."""

    name, catches = "adam-swapped-for-sparse-adam", ("test_sparse_embedding_step",)

    def sparse_embedding_step(self, optimizer: str, weight: Any, indices: Any, cotangent: Any, lr: float) -> Any:
        return super().sparse_embedding_step("sparse_adam" if optimizer == "adam" else optimizer, weight, indices,
                                             cotangent, lr)


class ConvFlipsKernel(TorchBackend):
    """A true convolution: the kernel flipped along every spatial dim, not torch's cross-correlation (MD08)."""

    name, catches = "conv-flips-kernel", ("test_conv", "test_notes_conv3d_example", "test_conv_gradient")

    def conv(self, x: Any, weight: Any, bias: Any = None, stride: int = 1, padding: int = 0) -> Any:
        return super().conv(x, weight.flip(tuple(range(2, weight.ndim))), bias, stride, padding)


class ConvPadsOneSide(TorchBackend):
    """The zero padding goes before each spatial dim only, not on both sides (MD08)."""

    name, catches = "conv-pads-one-side", ("test_conv",)

    def conv(self, x: Any, weight: Any, bias: Any = None, stride: int = 1, padding: int = 0) -> Any:
        padded = self.torch.nn.functional.pad(x, (padding, 0) * (x.ndim - 2))
        return super().conv(padded, weight, bias, stride, 0)


class ConvKeepsSize(TorchBackend):
    """The convolution pads to keep the input's size ("same"), whatever padding says (MD08)."""

    name, catches = "conv-keeps-size", ("test_conv", "test_notes_conv3d_example")

    def conv(self, x: Any, weight: Any, bias: Any = None, stride: int = 1, padding: int = 0) -> Any:
        return super().conv(x, weight, bias, stride, (weight.shape[-1] - 1) // 2)


class Conv4dByFolding(TorchBackend):
    """Four spatial dims accepted by folding the first into the batch and running conv3d (MD08: there is no Conv4d)."""

    name, catches = "conv4d-by-folding", ("test_conv_four_spatial_dims",)

    def conv(self, x: Any, weight: Any, bias: Any = None, stride: int = 1, padding: int = 0) -> Any:
        if weight.ndim != 6:
            return super().conv(x, weight, bias, stride, padding)
        folded = x.movedim(2, 1).reshape(-1, x.shape[1], *x.shape[3:])
        return super().conv(folded, weight.sum(2), bias, stride, padding)
