"""Broken backends for normalisation layers and activations (NR01–NR11), built on the NumPy adapter."""

from __future__ import annotations

from typing import Any

import numpy as np

from dlspec.backends.numpy import NumpyBackend


class BatchNormEvalUsesBatchStatistics(NumpyBackend):
    """batch_norm in evaluation normalises with the batch's statistics, ignoring the running ones (NR05)."""

    name, catches = "batchnorm-eval-uses-batch-statistics", ("test_batch_norm", "test_notes_running_variance_is_unbiased")

    def batch_norm(self, x: Any, running_mean: Any = None, running_var: Any = None, weight: Any = None,
                   bias: Any = None, training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Any:
        if training or running_mean is None or x.shape[0] * np.prod(x.shape[2:]) <= 1:
            return super().batch_norm(x, running_mean, running_var, weight, bias, training, momentum, eps)
        out, _, _ = super().batch_norm(x, running_mean, running_var, weight, bias, True, momentum, eps)
        return out, running_mean, running_var


class BatchNormRunningVarianceBiased(NumpyBackend):
    """batch_norm moves the running variance with the BIASED batch variance (NR05: it is unbiased)."""

    name, catches = "batchnorm-running-variance-biased", ("test_batch_norm", "test_notes_running_variance_is_unbiased")

    def batch_norm(self, x: Any, running_mean: Any = None, running_var: Any = None, weight: Any = None,
                   bias: Any = None, training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Any:
        result = super().batch_norm(x, running_mean, running_var, weight, bias, training, momentum, eps)
        if not training or running_var is None or x.size == 0:
            return result
        out, mean, _ = result
        var = np.var(x, axis=(0, *range(2, x.ndim)))
        return out, mean, (1 - momentum) * running_var + momentum * var.astype(running_var.dtype)


class LayerNormUnbiasedVariance(NumpyBackend):
    """layer_norm divides by sqrt(unbiased variance + eps) instead of the biased one (NR01)."""

    name, catches = "layernorm-unbiased-variance", ("test_layer_norm", "test_notes_one_formula")

    def layer_norm(self, x: Any, normalized_shape: Any, weight: Any = None, bias: Any = None, eps: float = 1e-5) -> Any:
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        n = int(np.prod(shape))
        out = super().layer_norm(x, shape, None, None, eps)
        if n > 1:
            axes = tuple(range(x.ndim - len(shape), x.ndim))
            var = np.var(x.astype(np.float64), axis=axes, keepdims=True)
            out = (out * np.sqrt(var + eps) / np.sqrt(var * n / (n - 1) + eps)).astype(x.dtype)
        return self._affine(out, weight, bias)


class GroupNormWrongAxes(NumpyBackend):
    """group_norm puts channel c in group c % G (strided) instead of the consecutive block c // (C/G) (NR04)."""

    name, catches = "groupnorm-wrong-axes", ("test_group_norm", "test_notes_one_formula")

    def group_norm(self, x: Any, num_groups: int, weight: Any = None, bias: Any = None, eps: float = 1e-5) -> Any:
        if x.ndim < 2 or num_groups <= 0 or x.shape[1] % num_groups:
            return super().group_norm(x, num_groups, weight, bias, eps)
        c = x.shape[1]
        order = np.argsort([i % num_groups for i in range(c)], kind="stable")
        out = super().group_norm(x[:, order], num_groups, None, None, eps)[:, np.argsort(order)]
        return self._affine(out, self._param(weight, c, x.ndim, "weight"), self._param(bias, c, x.ndim, "bias"))


class SoftmaxWithoutMaxSubtraction(NumpyBackend):
    """softmax as exp(x) / Σ exp(x), without subtracting the max: overflows at large logits (NR08)."""

    name, catches = "softmax-without-max-subtraction", ("test_softmax", "test_notes_activation_examples")

    def softmax(self, x: Any, dim: int = -1) -> Any:
        with np.errstate(over="ignore", invalid="ignore"):
            e = np.exp(x)
            return e / np.sum(e, axis=dim, keepdims=True)


class InstanceNormOverChannels(NumpyBackend):
    """instance_norm normalises each sample over channels and spatial dims together, as LayerNorm (NR03)."""

    name, catches = "instancenorm-over-channels", ("test_instance_norm", "test_notes_one_formula")

    def instance_norm(self, x: Any, weight: Any = None, bias: Any = None, eps: float = 1e-5) -> Any:
        if x.ndim < 2 or int(np.prod(x.shape[2:])) == 1:
            return super().instance_norm(x, weight, bias, eps)
        c = x.shape[1]
        out = self._over(x, tuple(range(1, x.ndim)), None, None, eps)
        return self._affine(out, self._param(weight, c, x.ndim, "weight"), self._param(bias, c, x.ndim, "bias"))


class TanhFromExponentials(NumpyBackend):
    """tanh as (e^x - e^-x) / (e^x + e^-x): inf / inf = NaN for large |x| (NR07)."""

    name, catches = "tanh-from-exponentials", ("test_activations",)

    def tanh(self, x: Any) -> Any:
        with np.errstate(over="ignore", invalid="ignore"):
            return (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x))
