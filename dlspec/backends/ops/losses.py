"""Adapters' implementations of loss functions (L01–L09), one mixin per library;
each backend class in ``dlspec.backends`` inherits its library's mixin.

torch calls ``torch.nn.functional``.  NumPy and JAX have no loss functions: they are composed
from the backend's own ``log_softmax`` (:mod:`dlspec.backends.ops.normalization`),
``take_along_axis``, ``logaddexp``, ``sum`` and ``where``, written to stay traceable for
``jax.vjp`` (only the targets, never differentiated, are read as values).  16-bit floats are
computed in float32 and rounded once at the end.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlspec.backends.ops.normalization import on_reference
from dlspec.spec import composed
from reference import losses as ref


class ReferenceLosses:
    """The reference: arrays are ``reference.memory.Tensor`` objects."""

    def cross_entropy(self, input: Any, target: Any, weight: Any = None, ignore_index: int = -100,
                      reduction: str = "mean", label_smoothing: float = 0.0) -> Any:
        return on_reference(ref.cross_entropy, input, target, weight, ignore_index, reduction, label_smoothing)

    def binary_cross_entropy_with_logits(self, input: Any, target: Any, weight: Any = None, pos_weight: Any = None,
                                         reduction: str = "mean") -> Any:
        return on_reference(ref.binary_cross_entropy_with_logits, input, target, weight, pos_weight, reduction)

    def nll_loss(self, input: Any, target: Any, weight: Any = None, ignore_index: int = -100,
                 reduction: str = "mean") -> Any:
        return on_reference(ref.nll_loss, input, target, weight, ignore_index, reduction)

    def mse_loss(self, input: Any, target: Any, reduction: str = "mean") -> Any:
        return on_reference(ref.mse_loss, input, target, reduction)

    def l1_loss(self, input: Any, target: Any, reduction: str = "mean") -> Any:
        return on_reference(ref.l1_loss, input, target, reduction)

    def smooth_l1_loss(self, input: Any, target: Any, reduction: str = "mean", beta: float = 1.0) -> Any:
        return on_reference(ref.smooth_l1_loss, input, target, reduction, beta)

    def cosine_embedding_loss(self, x1: Any, x2: Any, target: Any, margin: float = 0.0, reduction: str = "mean") -> Any:
        return on_reference(ref.cosine_embedding_loss, x1, x2, target, margin, reduction)

    def triplet_margin_loss(self, anchor: Any, positive: Any, negative: Any, margin: float = 1.0, p: float = 2.0,
                            eps: float = 1e-6, swap: bool = False, reduction: str = "mean") -> Any:
        return on_reference(ref.triplet_margin_loss, anchor, positive, negative, margin, p, eps, swap, reduction)

    def kl_div(self, input: Any, target: Any, reduction: str = "mean", log_target: bool = False) -> Any:
        return on_reference(ref.kl_div, input, target, reduction, log_target)


class XpLosses:
    """Libraries with NumPy's API under ``self.xp`` (NumPy, CuPy, ``jax.numpy``), composed."""

    def _reduce(self, loss: Any, reduction: str, dtype: Any, denominator: Any = None) -> Any:
        if reduction not in ref.REDUCTIONS:
            raise ValueError(f"reduction must be one of {ref.REDUCTIONS}, got {reduction!r}")
        if reduction == "none":
            return loss.astype(dtype)
        total = self.xp.sum(loss)
        if reduction == "mean":
            total = total / (loss.size if denominator is None else denominator)
        return total.astype(dtype)

    def _same_shape(self, a: Any, b: Any, what: str) -> None:
        if tuple(a.shape) != tuple(b.shape):
            raise ValueError(f"{what}: input and target shapes differ, {tuple(a.shape)} and {tuple(b.shape)}")

    def _class_weight(self, weight: Any, c: int, dtype: Any) -> Any:
        if weight is None:
            return self.xp.ones(c, dtype=dtype)
        if tuple(weight.shape) != (c,):
            raise ValueError(f"weight must have shape ({c},), got {tuple(weight.shape)}")
        return weight.astype(dtype)

    def _picked(self, logp: Any, target: Any, w: Any, ignore_index: int) -> tuple[Any, Any, Any]:
        """``(logp[i, y_i], w[y_i], kept)`` for class-index targets, zero where ignored."""
        dim = 0 if logp.ndim == 1 else 1
        if tuple(target.shape) != tuple(logp.shape[:dim]) + tuple(logp.shape[dim + 1:]):
            raise ValueError(f"target shape {tuple(target.shape)} does not match input shape {tuple(logp.shape)}")
        kept = target != ignore_index
        safe = self.xp.where(kept, target, 0)
        picked = self.xp.take_along_axis(logp, self.xp.expand_dims(safe, dim), axis=dim).squeeze(dim)
        return self.xp.where(kept, picked, 0), self.xp.where(kept, w[safe], 0), kept

    def check_targets(self, input: Any, target: Any, ignore_index: int) -> None:
        """Raise for a class index outside ``[0, C)`` that is not ``ignore_index``, or for an
        ``ignore_index`` with probability targets (checks of values: outside any ``jax.jit``)."""
        if target.dtype.kind == "f" and ignore_index != -100:
            raise ValueError("ignore_index applies to class-index targets, not probabilities")
        if input.ndim and target.dtype.kind in "iu":
            c, values = input.shape[0 if input.ndim == 1 else 1], self.to_numpy(target)
            if np.any((values != ignore_index) & ((values < 0) | (values >= c))):
                raise ValueError(f"a target is out of bounds for {c} classes")

    def _log_probs(self, input: Any) -> tuple[Any, int]:
        if input.ndim == 0:
            raise ValueError("the input needs a class dimension, got a 0-d array")
        dim = 0 if input.ndim == 1 else 1
        return self.wide(input), dim

    @composed
    def nll_loss(self, input: Any, target: Any, weight: Any = None, ignore_index: int = -100,
                 reduction: str = "mean") -> Any:
        self.check_targets(input, target, ignore_index)
        return self.nll_loss_values(input, target, weight, ignore_index, reduction)

    def nll_loss_values(self, input: Any, target: Any, weight: Any, ignore_index: int, reduction: str) -> Any:
        """:meth:`nll_loss` once the targets are checked."""
        logp, dim = self._log_probs(input)
        w = self._class_weight(weight, input.shape[dim], logp.dtype)
        picked, wy, _ = self._picked(logp, target, w, ignore_index)
        return self._reduce(-wy * picked, reduction, input.dtype, self.xp.sum(wy))

    @composed
    def cross_entropy(self, input: Any, target: Any, weight: Any = None, ignore_index: int = -100,
                      reduction: str = "mean", label_smoothing: float = 0.0) -> Any:
        self.check_targets(input, target, ignore_index)
        return self.cross_entropy_values(input, target, weight, ignore_index, reduction, label_smoothing)

    def cross_entropy_values(self, input: Any, target: Any, weight: Any, ignore_index: int, reduction: str,
                             label_smoothing: float) -> Any:
        """:meth:`cross_entropy` once the targets are checked."""
        x, dim = self._log_probs(input)
        c = input.shape[dim]
        w = self._class_weight(weight, c, x.dtype)
        logp = self.log_softmax(x, dim)
        w_b = w.reshape((c,) + (1,) * (input.ndim - dim - 1))
        if target.dtype.kind == "f":
            self._same_shape(input, target, "cross_entropy")
            t = (1 - label_smoothing) * target.astype(x.dtype) + label_smoothing / c
            loss = -self.xp.sum(w_b * t * logp, axis=dim)
            return self._reduce(loss, reduction, input.dtype)
        picked, wy, kept = self._picked(logp, target, w, ignore_index)
        smooth = self.xp.where(kept, -self.xp.sum(w_b * logp, axis=dim), 0)
        denominator = self.xp.sum(wy)
        return ((1 - label_smoothing) * self._reduce(-wy * picked, reduction, x.dtype, denominator)
                + label_smoothing / c * self._reduce(smooth, reduction, x.dtype, denominator)).astype(input.dtype)

    @composed
    def binary_cross_entropy_with_logits(self, input: Any, target: Any, weight: Any = None, pos_weight: Any = None,
                                         reduction: str = "mean") -> Any:
        self._same_shape(input, target, "binary_cross_entropy_with_logits")
        x, t = self.wide(input), self.wide(target)
        p = 1 if pos_weight is None else pos_weight
        w = 1 if weight is None else weight
        loss = w * (p * t * self.xp.logaddexp(0, -x) + (1 - t) * self.xp.logaddexp(0, x))
        return self._reduce(loss, reduction, input.dtype)

    def _difference(self, input: Any, target: Any, what: str) -> Any:
        self._same_shape(input, target, what)
        return self.wide(input) - self.wide(target)

    @composed
    def mse_loss(self, input: Any, target: Any, reduction: str = "mean") -> Any:
        d = self._difference(input, target, "mse_loss")
        return self._reduce(d * d, reduction, input.dtype)

    @composed
    def l1_loss(self, input: Any, target: Any, reduction: str = "mean") -> Any:
        return self._reduce(self.xp.abs(self._difference(input, target, "l1_loss")), reduction, input.dtype)

    @composed
    def smooth_l1_loss(self, input: Any, target: Any, reduction: str = "mean", beta: float = 1.0) -> Any:
        if beta < 0:
            raise ValueError(f"beta must be >= 0, got {beta}")
        d = self.xp.abs(self._difference(input, target, "smooth_l1_loss"))
        loss = d if beta == 0 else self.xp.where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta)
        return self._reduce(loss, reduction, input.dtype)

    def _vectors(self, *arrays: Any) -> list[Any]:
        if arrays[0].ndim not in (1, 2) or any(tuple(a.shape) != tuple(arrays[0].shape) for a in arrays):
            raise ValueError(f"inputs must be (N, D) or (D,) of one shape, got {[tuple(a.shape) for a in arrays]}")
        return [self.wide(a) for a in arrays]

    @composed
    def cosine_embedding_loss(self, x1: Any, x2: Any, target: Any, margin: float = 0.0, reduction: str = "mean") -> Any:
        a, b = self._vectors(x1, x2)
        if tuple(target.shape) != tuple(a.shape[:-1]):
            raise ValueError(f"target must have shape {tuple(a.shape[:-1])}, got {tuple(target.shape)}")
        norms = (self.xp.sum(a * a, axis=-1) + ref.COSINE_EPS) * (self.xp.sum(b * b, axis=-1) + ref.COSINE_EPS)
        cos = self.xp.sum(a * b, axis=-1) / self.xp.sqrt(norms)
        loss = self.xp.where(target == 1, 1 - cos, self.xp.maximum(cos - margin, 0))
        return self._reduce(loss, reduction, x1.dtype)

    def _distance(self, a: Any, b: Any, p: float, eps: float) -> Any:
        return self.xp.sum(self.xp.abs(a - b + eps) ** p, axis=-1) ** (1 / p)

    @composed
    def triplet_margin_loss(self, anchor: Any, positive: Any, negative: Any, margin: float = 1.0, p: float = 2.0,
                            eps: float = 1e-6, swap: bool = False, reduction: str = "mean") -> Any:
        if margin <= 0:
            raise ValueError(f"margin must be > 0, got {margin}")
        a, pos, neg = self._vectors(anchor, positive, negative)
        d_neg = self._distance(a, neg, p, eps)
        if swap:
            d_neg = self.xp.minimum(d_neg, self._distance(pos, neg, p, eps))
        loss = self.xp.maximum(self._distance(a, pos, p, eps) - d_neg + margin, 0)
        return self._reduce(loss, reduction, anchor.dtype)

    @composed
    def kl_div(self, input: Any, target: Any, reduction: str = "mean", log_target: bool = False) -> Any:
        self._same_shape(input, target, "kl_div")
        if reduction not in (*ref.REDUCTIONS, "batchmean"):
            raise ValueError(f"reduction must be one of {(*ref.REDUCTIONS, 'batchmean')}, got {reduction!r}")
        x, t = self.wide(input), self.wide(target)
        if log_target:
            loss = self.xp.exp(t) * (t - x)
        else:
            loss = self.xp.where(t == 0, 0, t * self.xp.log(self.xp.where(t == 0, 1, t))) - t * x
        if reduction == "batchmean":
            return self._reduce(loss, "mean", input.dtype, input.shape[0] if input.ndim else 1)
        return self._reduce(loss, reduction, input.dtype)


class NumpyLosses(XpLosses):
    """NumPy (and CuPy, through ``self.xp``)."""


class TorchLosses:
    """PyTorch: ``torch.nn.functional``."""

    def cross_entropy(self, input: Any, target: Any, weight: Any = None, ignore_index: int = -100,
                      reduction: str = "mean", label_smoothing: float = 0.0) -> Any:
        return self.torch.nn.functional.cross_entropy(input, target, weight, ignore_index=ignore_index,
                                                      reduction=reduction, label_smoothing=label_smoothing)

    def binary_cross_entropy_with_logits(self, input: Any, target: Any, weight: Any = None, pos_weight: Any = None,
                                         reduction: str = "mean") -> Any:
        return self.torch.nn.functional.binary_cross_entropy_with_logits(input, target, weight, reduction=reduction,
                                                                         pos_weight=pos_weight)

    def nll_loss(self, input: Any, target: Any, weight: Any = None, ignore_index: int = -100,
                 reduction: str = "mean") -> Any:
        return self.torch.nn.functional.nll_loss(input, target, weight, ignore_index=ignore_index, reduction=reduction)

    def mse_loss(self, input: Any, target: Any, reduction: str = "mean") -> Any:
        return self.torch.nn.functional.mse_loss(input, target, reduction=reduction)

    def l1_loss(self, input: Any, target: Any, reduction: str = "mean") -> Any:
        return self.torch.nn.functional.l1_loss(input, target, reduction=reduction)

    def smooth_l1_loss(self, input: Any, target: Any, reduction: str = "mean", beta: float = 1.0) -> Any:
        return self.torch.nn.functional.smooth_l1_loss(input, target, reduction=reduction, beta=beta)

    def cosine_embedding_loss(self, x1: Any, x2: Any, target: Any, margin: float = 0.0, reduction: str = "mean") -> Any:
        return self.torch.nn.functional.cosine_embedding_loss(x1, x2, target, margin, reduction=reduction)

    def triplet_margin_loss(self, anchor: Any, positive: Any, negative: Any, margin: float = 1.0, p: float = 2.0,
                            eps: float = 1e-6, swap: bool = False, reduction: str = "mean") -> Any:
        return self.torch.nn.functional.triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap,
                                                            reduction=reduction)

    def kl_div(self, input: Any, target: Any, reduction: str = "mean", log_target: bool = False) -> Any:
        return self.torch.nn.functional.kl_div(input, target, reduction=reduction, log_target=log_target)


class JaxLosses(XpLosses):
    """JAX (``jax.numpy``), composed like NumPy and compiled with ``jax.jit``
    (:meth:`dlspec.backends.ops.normalization.JaxNormalization.jitted`), the class-index
    targets checked before."""

    @composed
    def cross_entropy(self, input: Any, target: Any, weight: Any = None, ignore_index: int = -100,
                      reduction: str = "mean", label_smoothing: float = 0.0) -> Any:
        self.check_targets(input, target, ignore_index)
        return self.jitted(XpLosses.cross_entropy_values, (4,))(input, target, weight, ignore_index, reduction,
                                                                     label_smoothing)

    @composed
    def nll_loss(self, input: Any, target: Any, weight: Any = None, ignore_index: int = -100,
                 reduction: str = "mean") -> Any:
        self.check_targets(input, target, ignore_index)
        return self.jitted(XpLosses.nll_loss_values, (4,))(input, target, weight, ignore_index, reduction)

    @composed
    def binary_cross_entropy_with_logits(self, input: Any, target: Any, weight: Any = None, pos_weight: Any = None,
                                         reduction: str = "mean") -> Any:
        return self.jitted(XpLosses.binary_cross_entropy_with_logits, (4,))(input, target, weight, pos_weight,
                                                                            reduction)

    @composed
    def mse_loss(self, input: Any, target: Any, reduction: str = "mean") -> Any:
        return self.jitted(XpLosses.mse_loss, (2,))(input, target, reduction)

    @composed
    def l1_loss(self, input: Any, target: Any, reduction: str = "mean") -> Any:
        return self.jitted(XpLosses.l1_loss, (2,))(input, target, reduction)

    @composed
    def smooth_l1_loss(self, input: Any, target: Any, reduction: str = "mean", beta: float = 1.0) -> Any:
        return self.jitted(XpLosses.smooth_l1_loss, (2, 3))(input, target, reduction, beta)

    @composed
    def cosine_embedding_loss(self, x1: Any, x2: Any, target: Any, margin: float = 0.0, reduction: str = "mean") -> Any:
        return self.jitted(XpLosses.cosine_embedding_loss, (4,))(x1, x2, target, margin, reduction)

    @composed
    def triplet_margin_loss(self, anchor: Any, positive: Any, negative: Any, margin: float = 1.0, p: float = 2.0,
                            eps: float = 1e-6, swap: bool = False, reduction: str = "mean") -> Any:
        return self.jitted(XpLosses.triplet_margin_loss, (3, 4, 6, 7))(anchor, positive, negative, margin, p, eps,
                                                                          swap, reduction)

    @composed
    def kl_div(self, input: Any, target: Any, reduction: str = "mean", log_target: bool = False) -> Any:
        return self.jitted(XpLosses.kl_div, (2, 3))(input, target, reduction, log_target)
