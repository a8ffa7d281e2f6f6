"""Spec operations of loss functions (catalogue L01–L09), with torch.nn.functional's
signatures; ``reduction`` is ``"none"``, ``"mean"`` or ``"sum"`` (``kl_div`` also
``"batchmean"``)."""

from __future__ import annotations

from dlspec.spec import Array, spec_op


class LossOps:
    """Loss functions."""

    @spec_op("L01 L09")
    def cross_entropy(self, input: Array, target: Array, weight: Array | None = None, ignore_index: int = -100,
                      reduction: str = "mean", label_smoothing: float = 0.0) -> Array:
        """NLL of ``log_softmax(input)`` over the class dim (1, or 0 for 1-D input); targets
        are class indices or class probabilities."""

    @spec_op("L02")
    def binary_cross_entropy_with_logits(self, input: Array, target: Array, weight: Array | None = None,
                                         pos_weight: Array | None = None, reduction: str = "mean") -> Array:
        """``-w·[p·t·log σ(x) + (1 - t)·log(1 - σ(x))]``, stable for large logits."""

    @spec_op("L03")
    def nll_loss(self, input: Array, target: Array, weight: Array | None = None, ignore_index: int = -100,
                 reduction: str = "mean") -> Array:
        """``-w[y_i]·input[i, y_i]`` on log-probabilities; weighted mean divides by ``Σ w[y_i]``."""

    @spec_op("L04")
    def mse_loss(self, input: Array, target: Array, reduction: str = "mean") -> Array:
        """``(input - target)²`` element-wise, reduced."""

    @spec_op("L04")
    def l1_loss(self, input: Array, target: Array, reduction: str = "mean") -> Array:
        """``|input - target|`` element-wise, reduced."""

    @spec_op("L05")
    def smooth_l1_loss(self, input: Array, target: Array, reduction: str = "mean", beta: float = 1.0) -> Array:
        """``0.5·d²/beta`` for ``|d| < beta``, else ``|d| - 0.5·beta``, reduced."""

    @spec_op("L06")
    def cosine_embedding_loss(self, x1: Array, x2: Array, target: Array, margin: float = 0.0,
                              reduction: str = "mean") -> Array:
        """``1 - cos`` for label 1, ``max(0, cos - margin)`` for label -1."""

    @spec_op("L07")
    def triplet_margin_loss(self, anchor: Array, positive: Array, negative: Array, margin: float = 1.0,
                            p: float = 2.0, eps: float = 1e-6, swap: bool = False, reduction: str = "mean") -> Array:
        """``max(d(a, p) - d(a, n) + margin, 0)`` with ``d`` the ``p``-norm of ``x - y + eps``."""

    @spec_op("L08")
    def kl_div(self, input: Array, target: Array, reduction: str = "mean", log_target: bool = False) -> Array:
        """``t·(log t - input)`` (or ``e^t·(t - input)`` with ``log_target``), reduced;
        ``"batchmean"`` divides the sum by the batch size."""
