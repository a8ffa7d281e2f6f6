"""Broken backends for the loss functions (L01–L09), built on the NumPy adapter."""

from __future__ import annotations

from typing import Any

import numpy as np

from dlspec.backends.numpy import NumpyBackend


class CrossEntropyIgnoresIgnoreIndex(NumpyBackend):
    """cross_entropy scores targets equal to ignore_index as class 0 instead of skipping them (L01)."""

    name, catches = "ce-ignores-ignore-index", ("test_cross_entropy", "test_notes_cross_entropy_options")

    def cross_entropy(self, input: Any, target: Any, weight: Any = None, ignore_index: int = -100,
                      reduction: str = "mean", label_smoothing: float = 0.0) -> Any:
        if target.dtype.kind == "i":
            target = np.where(target == ignore_index, 0, target)
            ignore_index = -101 if ignore_index == -100 else -100
        return super().cross_entropy(input, target, weight, ignore_index, reduction, label_smoothing)


class LabelSmoothingOverOtherClasses(NumpyBackend):
    """label smoothing moves ε onto the C - 1 wrong classes, ε/(C-1) each, instead of ε/C onto all C (L01)."""

    name, catches = "label-smoothing-over-other-classes", ("test_cross_entropy", "test_notes_cross_entropy_options")

    def cross_entropy(self, input: Any, target: Any, weight: Any = None, ignore_index: int = -100,
                      reduction: str = "mean", label_smoothing: float = 0.0) -> Any:
        dim = 0 if input.ndim == 1 else 1
        c = input.shape[dim] if input.ndim else 0
        if target.dtype.kind != "i" or label_smoothing == 0 or c < 2 or np.any(target == ignore_index) or weight is not None:
            return super().cross_entropy(input, target, weight, ignore_index, reduction, label_smoothing)
        onehot = np.moveaxis(np.eye(c, dtype=input.dtype)[target], -1, dim)
        smoothed = (1 - label_smoothing) * onehot + label_smoothing / (c - 1) * (1 - onehot)
        return super().cross_entropy(input, smoothed, None, -100, reduction, 0.0)


class WeightedMeanDividesByCount(NumpyBackend):
    """class-weighted cross_entropy's 'mean' divides by the number of targets instead of Σ w[y_i] (L01)."""

    name, catches = "weighted-mean-divides-by-count", ("test_cross_entropy", "test_notes_cross_entropy_options")

    def cross_entropy(self, input: Any, target: Any, weight: Any = None, ignore_index: int = -100,
                      reduction: str = "mean", label_smoothing: float = 0.0) -> Any:
        if reduction != "mean" or target.dtype.kind != "i":
            return super().cross_entropy(input, target, weight, ignore_index, reduction, label_smoothing)
        total = super().cross_entropy(input, target, weight, ignore_index, "sum", label_smoothing)
        return (total / max(int(np.sum(target != ignore_index)), 1)).astype(input.dtype)


class NllAppliesLogSoftmax(NumpyBackend):
    """nll_loss applies log_softmax to its input, as if it took logits (L03: it takes log-probabilities)."""

    name, catches = "nll-applies-log-softmax", ("test_nll_loss", "test_cross_entropy_is_nll_of_log_softmax")

    def nll_loss(self, input: Any, target: Any, weight: Any = None, ignore_index: int = -100,
                 reduction: str = "mean") -> Any:
        logp = self.log_softmax(input, 0 if input.ndim == 1 else 1) if input.ndim else input
        return super().nll_loss(logp, target, weight, ignore_index, reduction)


class BceWithLogitsUnstable(NumpyBackend):
    """BCEWithLogits as -[p·t·log σ(x) + (1 - t)·log(1 - σ(x))] with σ computed first: log 0 = -inf at large logits (L02)."""

    name, catches = "bce-with-logits-unstable", ("test_binary_cross_entropy_with_logits",)

    def binary_cross_entropy_with_logits(self, input: Any, target: Any, weight: Any = None, pos_weight: Any = None,
                                         reduction: str = "mean") -> Any:
        if input.shape != target.shape:
            return super().binary_cross_entropy_with_logits(input, target, weight, pos_weight, reduction)
        s = self.sigmoid(input)
        p = 1 if pos_weight is None else pos_weight
        with np.errstate(divide="ignore", invalid="ignore"):
            loss = -(p * target * np.log(s) + (1 - target) * np.log(1 - s))
        return self._reduce(loss * (1 if weight is None else weight), reduction, input.dtype)


class SmoothL1IgnoresBeta(NumpyBackend):
    """smooth_l1_loss always uses beta = 1, whatever beta it is given (L05)."""

    name, catches = "smooth-l1-ignores-beta", ("test_regression_losses", "test_notes_regression_examples")

    def smooth_l1_loss(self, input: Any, target: Any, reduction: str = "mean", beta: float = 1.0) -> Any:
        return super().smooth_l1_loss(input, target, reduction, 1.0)


class KlDivArgumentsSwapped(NumpyBackend):
    """kl_div(input, target) computed as kl_div(target, input): the log-probabilities and the target swapped (L08)."""

    name, catches = "kl-div-arguments-swapped", ("test_kl_div", "test_notes_kl_div_batchmean")

    def kl_div(self, input: Any, target: Any, reduction: str = "mean", log_target: bool = False) -> Any:
        with np.errstate(divide="ignore", invalid="ignore"):
            return super().kl_div(target, input, reduction, log_target)


class KlDivBatchmeanDividesByCount(NumpyBackend):
    """kl_div's 'batchmean' divides by the number of elements, as 'mean' does, not by the batch size (L08)."""

    name, catches = "kl-div-batchmean-is-mean", ("test_kl_div", "test_notes_kl_div_batchmean")

    def kl_div(self, input: Any, target: Any, reduction: str = "mean", log_target: bool = False) -> Any:
        return super().kl_div(input, target, "mean" if reduction == "batchmean" else reduction, log_target)
